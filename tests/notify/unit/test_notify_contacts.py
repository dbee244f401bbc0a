"""A citizen's contact: each application adds a version, the latest application's counts,
in whatever order the versions are read; a number refused for good is never used again."""

from datetime import datetime, timedelta
from itertools import permutations

from services.notify.domain.contact import (
    Contact,
    ContactVersion,
    contacts,
    latest_versions,
)
from services.notify.domain.samples import sample
from shared.clock import SEOUL
from shared.contracts.recruitment import ApplicationSubmitted, Consents

MORNING = datetime(2025, 5, 12, 9, 0, tzinfo=SEOUL)


def version(
    minutes: int,
    application_id: str,
    phone: str = "01012345678",
    email: str | None = "hong@example.com",
    applicant_id: str = "P-7F3A21",
) -> ContactVersion:
    return ContactVersion(
        applicant_id=applicant_id,
        name="홍길동",
        phone=phone,
        email=email,
        consents=Consents(sms=True, email=True),
        as_of=MORNING + timedelta(minutes=minutes),
        application_id=application_id,
    )


def test_a_version_is_what_the_application_gave() -> None:
    application = sample("application_received").data
    assert isinstance(application, ApplicationSubmitted)

    given = ContactVersion.from_application(application)

    assert (given.applicant_id, given.phone, given.email) == (
        "P-7F3A21",
        "01012345678",
        "hong@example.com",
    )
    assert (given.as_of, given.application_id) == (
        application.submitted_at,
        application.application_id,
    )


def test_the_latest_application_counts_whatever_order_the_versions_come_in() -> None:
    first = version(0, "A-1", phone="01011112222")
    second = version(5, "A-2", phone="01033334444", email=None)
    third = version(30, "A-3", phone="01055556666")

    for order in permutations([first, second, third]):
        assert latest_versions(order) == {"P-7F3A21": third}


def test_two_applications_in_the_same_instant_are_decided_by_their_ids_alike_everywhere() -> None:
    a, b = version(0, "A-1", phone="01011112222"), version(0, "A-2", phone="01033334444")

    assert latest_versions([a, b]) == latest_versions([b, a]) == {"P-7F3A21": b}


def test_each_citizen_has_their_own_latest() -> None:
    hong = version(10, "A-1")
    kim = version(0, "A-2", phone="01099998888", applicant_id="P-KIM")

    assert latest_versions([hong, kim, version(0, "A-0")]) == {"P-7F3A21": hong, "P-KIM": kim}


def test_a_number_refused_for_good_is_left_out_whichever_application_gives_it() -> None:
    refused = version(0, "A-1", phone="01011112222")
    again = version(10, "A-2", phone="01011112222")

    known = contacts([again, refused], [("P-7F3A21", "01011112222"), ("P-KIM", "01011112222")])

    assert known == {"P-7F3A21": Contact(again, frozenset({"01011112222"}))}
    assert known["P-7F3A21"].recipient.phone is None
    assert known["P-7F3A21"].recipient.channels() == ["email"]


def test_a_new_number_after_a_refused_one_is_used() -> None:
    moved = version(10, "A-2", phone="01033334444")

    known = contacts([version(0, "A-1", phone="01011112222"), moved], [("P-7F3A21", "01011112222")])

    assert known["P-7F3A21"].recipient.phone == "01033334444"
    assert known["P-7F3A21"].recipient.channels() == ["sms", "email"]


def test_a_citizen_who_never_applied_has_no_contact_even_with_a_refused_number() -> None:
    assert contacts([], [("P-7F3A21", "01011112222")]) == {}
