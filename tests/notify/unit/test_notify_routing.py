"""Which events reach citizens: every contract topic is decided, internal ones send nothing."""

import pytest

from services.notify.domain.catalog import CATALOG
from services.notify.domain.routing import ROUTES, SILENT_EVENTS, route_for
from shared.topics import Topic


def test_every_topic_of_the_contract_is_either_routed_or_silent() -> None:
    assert set(ROUTES) | SILENT_EVENTS == {topic.value for topic in Topic}
    assert not set(ROUTES) & SILENT_EVENTS


@pytest.mark.parametrize(
    "event_type",
    [
        "enrollment.cohort.filled",
        "notify.notification.sent",
        "notify.notification.failed",
        "placement.employment.reported",
        "recruitment.application.unheard_of",
    ],
)
def test_internal_and_unknown_events_send_nothing(event_type: str) -> None:
    assert route_for(event_type) is None


def test_a_withdrawal_is_confirmed_to_the_citizen() -> None:
    route = route_for("enrollment.enrollment.withdrawn")

    assert route is not None
    assert route.template == "enrollment_withdrawn"


def test_every_route_leads_to_templates_in_the_catalog() -> None:
    for route in ROUTES.values():
        assert route.template in CATALOG
        assert all(variant.template in CATALOG for variant in route.variants)


@pytest.mark.parametrize(
    ("eligible", "template"), [(True, "screening_passed"), (False, "screening_failed")]
)
def test_the_screening_result_picks_its_text(eligible: bool, template: str) -> None:
    route = route_for("recruitment.application.screened")

    assert route is not None
    assert route.template_for({"eligible": eligible}) == template


def test_a_public_job_assignment_replaces_the_course_confirmation() -> None:
    route = route_for("enrollment.enrollment.confirmed")

    assert route is not None
    assert route.template_for({"assignment": None}) == "enrollment_confirmed"
    assert route.template_for({"assignment": {"workplace": "금천구청"}}) == "public_job_assigned"


def test_only_the_seat_offer_is_urgent() -> None:
    assert {name for name, entry in CATALOG.items() if entry.urgent} == {"seat_offered"}
