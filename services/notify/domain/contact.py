"""How to reach a citizen: each of their applications gives a contact, kept as a version of its
own; the latest application's counts. A number the SMS gateway refused for good is never used
again, whichever application gives it.

Event-carried state: notify learns contacts from `recruitment.application.submitted` only and
never asks another service. Versions are facts that only accumulate, so the order in which
applications are handled (two consumers, a redelivery) does not change which one is in force.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.recruitment import ApplicationSubmitted, Consents

from .notification import Recipient


@dataclass(frozen=True)
class ContactVersion:
    """The contact one application gave."""

    applicant_id: str
    name: str
    phone: str | None  # digits only, as the gateway wants them: 01012345678
    email: str | None
    consents: Consents
    as_of: datetime  # when the application was submitted
    application_id: str  # decides between two applications submitted in the same instant

    @classmethod
    def from_application(cls, application: ApplicationSubmitted) -> "ContactVersion":
        applicant = application.applicant
        return cls(
            applicant_id=applicant.applicant_id,
            name=applicant.name,
            phone=applicant.phone_digits,
            email=applicant.email,
            consents=applicant.consents,
            as_of=application.submitted_at,
            application_id=application.application_id,
        )

    @property
    def order(self) -> tuple[datetime, str]:
        return self.as_of, self.application_id

    def recipient(self, undeliverable_phones: Collection[str] = ()) -> Recipient:
        return Recipient(
            self.applicant_id, self.name, self.phone, self.email, self.consents
        ).reachable(undeliverable_phones)


@dataclass(frozen=True)
class Contact:
    """A citizen as known now: their latest contact, and the numbers refused for good."""

    latest: ContactVersion
    undeliverable_phones: frozenset[str] = frozenset()

    @property
    def recipient(self) -> Recipient:
        return self.latest.recipient(self.undeliverable_phones)


def latest_versions(versions: Iterable[ContactVersion]) -> dict[str, ContactVersion]:
    """Per citizen, the version of their latest application, whatever order they come in."""
    latest: dict[str, ContactVersion] = {}
    for version in versions:
        known = latest.get(version.applicant_id)
        if known is None or version.order > known.order:
            latest[version.applicant_id] = version
    return latest


def contacts(
    versions: Iterable[ContactVersion], undeliverable: Iterable[tuple[str, str]]
) -> dict[str, Contact]:
    """Per citizen with at least one version: the contact in force. `undeliverable` holds
    (applicant_id, phone) pairs."""
    refused: dict[str, set[str]] = {}
    for applicant_id, phone in undeliverable:
        refused.setdefault(applicant_id, set()).add(phone)
    return {
        applicant_id: Contact(version, frozenset(refused.get(applicant_id, ())))
        for applicant_id, version in latest_versions(versions).items()
    }


@dataclass(frozen=True)
class AwaitingContact:
    """A citizen event that came before the citizen's first application (which alone carries
    the contact): kept, as received, until the application comes."""

    event_id: str
    applicant_id: str
    event_type: str
    envelope_json: str
