"""Which events reach citizens, and with which template.

Every topic of the contract is decided here, one way or the other: an event is routed to a
template, or it is silent (internal bookkeeping the citizen has no use for). An event type
that is in neither table is unknown and also sends nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from shared.contracts.common import ContractModel
from shared.contracts.enrollment import (
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentWithdrawn,
    WaitlistPromoted,
)
from shared.contracts.placement import EmploymentConfirmed, PublicJobAssigned
from shared.contracts.recruitment import (
    ApplicationDecided,
    ApplicationScreened,
    ApplicationSubmitted,
)
from shared.topics import InternalTopic, Topic

PayloadT = TypeVar("PayloadT", bound=ContractModel)


@dataclass(frozen=True)
class Variant:
    """Use `template` instead of the route's default when `data[field]` is set and truthy."""

    field: str
    template: str


@dataclass(frozen=True)
class Route(Generic[PayloadT]):
    event_type: str
    payload: type[PayloadT]  # the model of the envelope's `data`
    template: str
    variants: tuple[Variant, ...] = ()

    def template_for(self, data: Mapping[str, Any]) -> str:
        for variant in self.variants:
            if data.get(variant.field):
                return variant.template
        return self.template

    def applicant_of(self, data: PayloadT) -> str:
        """The citizen the event is about. Every routed payload names them: the application
        in `applicant.applicant_id`, every later event in `applicant_id`."""
        if isinstance(data, ApplicationSubmitted):
            return data.applicant.applicant_id
        applicant_id = getattr(data, "applicant_id", None)
        if not isinstance(applicant_id, str):
            raise TypeError(f"{self.event_type} does not name the citizen it is about")
        return applicant_id


def _routes(*routes: Route[Any]) -> Mapping[str, Route[Any]]:
    return MappingProxyType({route.event_type: route for route in routes})


ROUTES: Mapping[str, Route[Any]] = _routes(
    Route(Topic.APPLICATION_SUBMITTED, ApplicationSubmitted, "application_received"),
    Route(
        Topic.APPLICATION_SCREENED,
        ApplicationScreened,
        "screening_failed",
        (Variant("eligible", "screening_passed"),),
    ),
    Route(Topic.APPLICATION_SELECTED, ApplicationDecided, "application_selected"),
    Route(Topic.APPLICATION_WAITLISTED, ApplicationDecided, "application_waitlisted"),
    Route(Topic.APPLICATION_REJECTED, ApplicationDecided, "application_rejected"),
    Route(Topic.WAITLIST_PROMOTED, WaitlistPromoted, "seat_offered"),
    # A public-job program confirms a workplace, not a classroom: a different message.
    Route(
        Topic.ENROLLMENT_CONFIRMED,
        EnrollmentConfirmed,
        "enrollment_confirmed",
        (Variant("assignment", "public_job_assigned"),),
    ),
    # Whoever asked for it, the citizen should learn that their place is gone.
    Route(Topic.ENROLLMENT_WITHDRAWN, EnrollmentWithdrawn, "enrollment_withdrawn"),
    Route(Topic.ENROLLMENT_COMPLETED, EnrollmentCompleted, "course_completed"),
    Route(Topic.EMPLOYMENT_CONFIRMED, EmploymentConfirmed, "employment_confirmed"),
    # Placement's assignment of a public-job position: workplace, start date, hours and pay.
    Route(InternalTopic.PUBLIC_JOB_ASSIGNED, PublicJobAssigned, "public_job_assigned"),
)

SILENT_EVENTS: frozenset[str] = frozenset(
    {
        Topic.COHORT_FILLED,  # capacity bookkeeping; each citizen already has their confirmation
        # Only a confirmed employment is news to the citizen, who made or knows of the report.
        Topic.EMPLOYMENT_REPORTED,
        # Our own outcomes: notifying about notifications would never end.
        Topic.NOTIFICATION_SENT,
        Topic.NOTIFICATION_FAILED,
        # Commands inside enrollment and placement, and a pathway enrollment acts on first.
        InternalTopic.SEAT_COMMANDS,
        InternalTopic.ASSIGNMENT_COMMANDS,
        InternalTopic.STUDY_PATHWAY_OPENED,
    }
)


def route_for(event_type: str) -> Route[Any] | None:
    """The route of a citizen-visible event; None for silent and unknown events."""
    return ROUTES.get(event_type)
