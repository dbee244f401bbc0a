"""Kafka subscribers of the placement service: they translate, the use cases decide."""

from shared.contracts.enrollment import EnrollmentCompleted
from shared.contracts.placement import EmploymentReported
from shared.contracts.recruitment import ApplicationDecided, ApplicationSubmitted
from shared.envelope import Envelope
from shared.service import ServiceRuntime
from shared.topics import InternalTopic, Topic

from .. import use_cases
from ..domain.assignment import AssignmentRequested
from ..use_cases import Ports


def subscribe(runtime: ServiceRuntime, ports: Ports) -> None:
    @runtime.subscribe(
        Topic.EMPLOYMENT_REPORTED,
        EmploymentReported,
        "A partner system, an employer or a citizen reports that a citizen started a job.",
    )
    async def employment_reported(events: list[Envelope[EmploymentReported]]) -> None:
        await use_cases.take_employment_reports(ports, events)

    @runtime.subscribe(
        Topic.ENROLLMENT_COMPLETED,
        EnrollmentCompleted,
        "A citizen completed a course: the start of the six-month outcome window, and a "
        "graduate for job matching.",
    )
    async def enrollment_completed(events: list[Envelope[EnrollmentCompleted]]) -> None:
        await use_cases.take_completions(ports, events)

    @runtime.subscribe(
        Topic.APPLICATION_SUBMITTED,
        ApplicationSubmitted,
        "Applications to public-job calls: the preferred project and district are kept for "
        "the assignment.",
        # Most applications are to training calls: skipped before the inbox, so a call's
        # opening burst costs placement no database write.
        wanted=lambda application: use_cases.is_public_job_application(ports, application),
    )
    async def application_submitted(events: list[Envelope[ApplicationSubmitted]]) -> None:
        await use_cases.remember_public_job_applications(ports, events)

    @runtime.subscribe(
        Topic.APPLICATION_SELECTED,
        ApplicationDecided,
        "Selected applicants of public-job calls are to be given a position.",
    )
    async def application_selected(events: list[Envelope[ApplicationDecided]]) -> None:
        await use_cases.request_assignments(ports, events)

    @runtime.subscribe(
        InternalTopic.ASSIGNMENT_COMMANDS,
        AssignmentRequested,
        "Internal, keyed by call_id: the one writer of a call's positions assigns them.",
    )
    async def assignment_requested(events: list[Envelope[AssignmentRequested]]) -> None:
        await use_cases.assign_positions(ports, events)
