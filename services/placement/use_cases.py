"""What the placement service does, one function each: ports in, results out."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from shared.clock import SEOUL
from shared.contracts.enrollment import EnrollmentCompleted
from shared.contracts.placement import (
    EmploymentConfirmed,
    EmploymentReported,
    EmploymentType,
    PublicJobAssigned,
    StudyPathwayOpened,
)
from shared.contracts.recruitment import ApplicationDecided, ApplicationSubmitted
from shared.envelope import Envelope, derive_event_id
from shared.kafka import EventPublisher, Outgoing
from shared.problems import Conflict, NotFound, Unprocessable
from shared.topics import InternalTopic, Topic

from .adapters.metrics import OutcomeGauges
from .adapters.store import PlacementStore, Referral, SeatClaim, StoredReport, Unplaced
from .domain.assignment import (
    AssignmentRequested,
    Placement,
    StatedPreferences,
    assignment_event,
    place,
)
from .domain.employers import RegisteredEmployer, pathway_opened
from .domain.employment import Employment, confirm, confirms
from .domain.matching import (
    CourseSkills,
    Graduate,
    InterviewRequest,
    MatchingDay,
    Opening,
    Recommendation,
    course_skills,
    normalise_tags,
    recommend,
    schedule,
    slot_starts,
)
from .domain.outcomes import Completion, ProgramOutcome, outcomes
from .domain.projects import ProjectCatalog, PublicJobCall

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Rounds of "place, insert, re-read on refusal" before a batch of one call gives up (and is
# delivered again): a refusal means another writer took seats, which only a rebalance causes.
ASSIGNMENT_ROUNDS = 5


@dataclass(frozen=True)
class Publishers:
    employment_confirmed: EventPublisher[EmploymentConfirmed]
    study_pathway_opened: EventPublisher[StudyPathwayOpened]
    assignment_requested: EventPublisher[AssignmentRequested]
    public_job_assigned: EventPublisher[PublicJobAssigned]


@dataclass(frozen=True)
class Ports:
    store: PlacementStore
    publish: Publishers
    projects: ProjectCatalog
    course_skills: CourseSkills
    gauges: OutcomeGauges
    clock: Clock


# -- employment confirmation -----------------------------------------------------------------
async def take_employment_reports(
    ports: Ports, events: list[Envelope[EmploymentReported]]
) -> list[Employment]:
    """Keep every report; confirm the jobs employment insurance reports (an employer's or a
    citizen's report waits for verification or for insurance). Returns the employments these
    reports confirmed."""
    await ports.store.record_reports(events)
    now = ports.clock()
    confirming = [event for event in events if confirms(event.data)]
    stored = await ports.store.confirm([confirm(event.data, now) for event in confirming])
    # Published by the report that confirmed it, with an id derived from the employment: a
    # redelivery publishes the same event again (consumers drop it), another report of the
    # same job publishes nothing.
    confirmed = [
        (event.correlation_id, event.event_id, employment)
        for event, employment in zip(confirming, stored, strict=True)
        if employment.confirmed_by == event.data.report_id
    ]
    await _announce(ports, confirmed)
    return [employment for _, _, employment in confirmed]


async def verify_report(ports: Ports, report_id: str, verified_by: str) -> tuple[Employment, bool]:
    """An operator verifies an employer's or a citizen's report: its job is confirmed, unless
    it already was (by employment insurance, or another verified report of the same job).
    Returns the employment and whether this verification confirmed it. The confirmation is
    published once; a verification repeated after a crash between the insert and the
    publish publishes it then."""
    stored = await ports.store.report(report_id)
    if stored is None:
        raise NotFound("report_id", "no employment report with this id")
    employment, confirmed_now = await ports.store.confirm_one(
        confirm(stored.report, ports.clock(), verified_by=verified_by)
    )
    by_this_report = employment.confirmed_by == report_id
    if by_this_report and (
        confirmed_now or not await ports.store.announced(employment.employment_id)
    ):
        await _announce(ports, [(stored.correlation_id, stored.event_id, employment)])
        await ports.store.mark_announced(employment.employment_id, ports.clock())
    return employment, confirmed_now


async def _announce(ports: Ports, confirmed: Sequence[tuple[str, str, Employment]]) -> None:
    """Publish the confirmations and, for hires at a pathway partner, the study pathway."""
    if not confirmed:
        return
    await ports.publish.employment_confirmed.publish(
        *(
            Outgoing(
                employment.as_event(),
                key=employment.applicant_id,
                event_id=derive_event_id(employment.employment_id, Topic.EMPLOYMENT_CONFIRMED),
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for correlation_id, causation_id, employment in confirmed
        )
    )
    employers = await ports.store.employers(e.employer.business_no for _, _, e in confirmed)
    now = ports.clock()
    opened = [
        (correlation_id, causation_id, pathway)
        for correlation_id, causation_id, employment in confirmed
        if (
            pathway := pathway_opened(
                employment, employers.get(employment.employer.business_no), now
            )
        )
    ]
    await ports.publish.study_pathway_opened.publish(
        *(
            Outgoing(
                pathway,
                key=pathway.applicant_id,
                event_id=derive_event_id(pathway.employment_id, InternalTopic.STUDY_PATHWAY_OPENED),
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            for correlation_id, causation_id, pathway in opened
        )
    )


async def employments_of(ports: Ports, applicant_id: str) -> list[Employment]:
    return await ports.store.employments_of(applicant_id)


async def reports_of(ports: Ports, applicant_id: str) -> list[EmploymentReported]:
    return await ports.store.reports_of(applicant_id)


async def pending_reports(ports: Ports) -> list[StoredReport]:
    return await ports.store.pending_reports()


# -- outcome rates ---------------------------------------------------------------------------
async def take_completions(ports: Ports, events: list[Envelope[EnrollmentCompleted]]) -> None:
    await ports.store.record_completions(
        [
            Completion(
                enrollment_id=e.data.enrollment_id,
                applicant_id=e.data.applicant_id,
                cohort_id=e.data.cohort_id,
                program_name=e.data.program_name,
                course_name=e.data.course_name,
                completed_on=e.data.completed_at.astimezone(SEOUL).date(),
                campus_id=e.data.campus_id,
                campus_name=e.data.campus_name,
                term=e.data.term,
            )
            for e in events
        ]
    )


async def outcome_rates(ports: Ports) -> tuple[date, tuple[ProgramOutcome, ...]]:
    """Employment within six months of completion, per program, cohort, campus and term, as
    of today; the
    Prometheus gauges show the same figures."""
    today = ports.clock().astimezone(SEOUL).date()
    rates = outcomes(await ports.store.completions(), await ports.store.job_starts(), today)
    ports.gauges.show(rates)
    return today, rates


# -- public-job assignment -------------------------------------------------------------------
def is_public_job_application(ports: Ports, application: ApplicationSubmitted) -> bool:
    return ports.projects.call(application.call_id) is not None


async def remember_public_job_applications(
    ports: Ports, events: list[Envelope[ApplicationSubmitted]]
) -> None:
    """Keep the preferences of applications to public-job calls: a selection names the
    application only. Applications to any other call are not kept."""
    await ports.store.remember_applications(
        [
            StatedPreferences(
                application_id=e.data.application_id,
                call_id=e.data.call_id,
                project=e.data.preferences.course_id,
                district=e.data.preferences.campus_id,
                home_district=e.data.applicant.address.sigungu,
            )
            for e in events
            if is_public_job_application(ports, e.data)
        ]
    )


async def request_assignments(ports: Ports, events: list[Envelope[ApplicationDecided]]) -> None:
    """Re-key the selections of public-job calls by call: the consumer that owns a call's
    partition of the internal topic is the one writer of its positions."""
    public = [e for e in events if ports.projects.call(e.data.call_id) is not None]
    if not public:
        return
    stated = await ports.store.preferences([e.data.application_id for e in public])
    commands = []
    for event in public:
        said = stated.get(event.data.application_id)  # None: its application was not read yet
        command = AssignmentRequested(
            application_id=event.data.application_id,
            applicant_id=event.data.applicant_id,
            call_id=event.data.call_id,
            rank=event.data.rank,
            preferred_project=said.project if said else None,
            preferred_district=said.district if said else None,
            home_district=said.home_district if said else None,
            selected_at=event.data.decided_at,
        )
        commands.append(
            Outgoing.caused_by(
                event,
                command,
                key=command.call_id,
                event_id=derive_event_id(command.application_id, InternalTopic.ASSIGNMENT_COMMANDS),
            )
        )
    await ports.publish.assignment_requested.publish(*commands)


async def assign_positions(
    ports: Ports, events: list[Envelope[AssignmentRequested]]
) -> list[PublicJobAssigned]:
    """Place each selected applicant in a position of the call's projects and publish the
    assignment. Returns the assignments published (again, for a redelivered command)."""
    by_call: dict[str, list[Envelope[AssignmentRequested]]] = {}
    for event in events:
        by_call.setdefault(event.data.call_id, []).append(event)
    published: list[PublicJobAssigned] = []
    for call_id, commands in by_call.items():
        call = ports.projects.call(call_id)
        if call is None:  # the catalog no longer has it: nothing to place in
            log.warning("assignment for a call without projects", extra={"call_id": call_id})
            continue
        published.extend(await _assign_call(ports, call, commands))
    return published


async def _assign_call(
    ports: Ports, call: PublicJobCall, commands: list[Envelope[AssignmentRequested]]
) -> list[PublicJobAssigned]:
    outgoing: list[Outgoing[PublicJobAssigned]] = []
    pending = {c.data.application_id: c for c in commands}
    for _ in range(ASSIGNMENT_ROUNDS):
        positions = await ports.store.positions(call.call_id)
        for application_id in [a for a in pending if a in positions.assigned]:
            cause = pending.pop(application_id)  # placed before: publish the same event again
            outgoing.append(_assigned(cause, positions.assigned[application_id]))
        if not pending:
            break
        plan = place(call, [c.data for c in pending.values()], positions.taken)
        now = ports.clock()
        claims = [
            _claim(call, placement, pending[placement.request.application_id], now)
            for placement in plan.placed
        ]
        went_in = await ports.store.claim_seats(call.call_id, claims)
        for claim, new in zip(claims, went_in, strict=True):
            if new:
                cause = pending.pop(claim.event.application_id)
                outgoing.append(_assigned(cause, claim.event))
        if plan.unplaced and all(went_in):
            await ports.store.record_unplaced(plan.unplaced, now)
            log.warning(
                "no position left for selected applicants",
                extra={"call_id": call.call_id, "unplaced": len(plan.unplaced)},
            )
            for request in plan.unplaced:
                pending.pop(request.application_id)
        if not pending:
            break
    else:
        raise RuntimeError(f"positions of {call.call_id} kept changing under this writer")
    await ports.publish.public_job_assigned.publish(*outgoing)
    return [o.data for o in outgoing]


def _claim(
    call: PublicJobCall,
    placement: Placement,
    cause: Envelope[AssignmentRequested],
    now: datetime,
) -> SeatClaim:
    return SeatClaim(
        seat=placement.seat,
        event=assignment_event(call, placement, now),
        correlation_id=cause.correlation_id,
        causation_id=cause.event_id,
    )


def _assigned(
    cause: Envelope[AssignmentRequested], event: PublicJobAssigned
) -> Outgoing[PublicJobAssigned]:
    return Outgoing.caused_by(
        cause,
        event,
        key=event.application_id,
        event_id=derive_event_id(event.application_id, InternalTopic.PUBLIC_JOB_ASSIGNED),
    )


@dataclass(frozen=True)
class ProjectStatus:
    call: PublicJobCall
    assigned: Mapping[str, int]
    unplaced: Sequence[str]


async def positions_of(ports: Ports, call_id: str) -> ProjectStatus:
    call = ports.projects.call(call_id)
    if call is None:
        raise NotFound("call_id", "no public-job projects for this call")
    return ProjectStatus(
        call,
        await ports.store.assigned_per_project(call_id),
        await ports.store.unplaced(call_id),
    )


async def assignment_of(ports: Ports, application_id: str) -> PublicJobAssigned:
    found = await ports.store.assignment_of(application_id)
    if found is None:
        raise NotFound("application_id", "no position assigned to this application")
    return found


# -- job matching ----------------------------------------------------------------------------
async def register_employer(ports: Ports, employer: RegisteredEmployer) -> RegisteredEmployer:
    await ports.store.save_employer(employer, ports.clock())
    return employer


async def post_opening(
    ports: Ports,
    business_no: str,
    *,
    title: str,
    tags: Sequence[str],
    district: str,
    employment_type: EmploymentType,
    positions: int,
    closes_on: date,
) -> Opening:
    employers = await ports.store.employers([business_no])
    employer = employers.get(business_no)
    if employer is None:
        raise NotFound("business_no", "register the employer first (POST /employers)")
    if closes_on < ports.clock().astimezone(SEOUL).date():
        raise Unprocessable("closes_on", "the opening would be closed already")
    opening = Opening(
        opening_id=f"o-{uuid.uuid4().hex[:12]}",
        business_no=business_no,
        employer_name=employer.name,
        title=title,
        tags=normalise_tags(tags),
        district=district,
        employment_type=employment_type,
        positions=positions,
        closes_on=closes_on,
    )
    await ports.store.add_opening(opening, ports.clock())
    return opening


async def save_graduate_profile(
    ports: Ports,
    applicant_id: str,
    *,
    skills: Sequence[str],
    districts: Sequence[str],
    employment_types: Sequence[EmploymentType],
) -> Graduate:
    """A job coordinator's counselling notes (잡코디): extra skills, districts and employment
    types the graduate wants."""
    if not await ports.store.completions(applicant_id):
        raise NotFound("applicant_id", "no completed course known for this person")
    await ports.store.save_profile(
        applicant_id,
        {
            "skills": sorted(normalise_tags(skills)),
            "districts": sorted(set(districts)),
            "employment_types": sorted({t.value for t in employment_types}),
        },
    )
    return await graduate(ports, applicant_id)


async def graduate(ports: Ports, applicant_id: str) -> Graduate:
    completions = await ports.store.completions(applicant_id)
    if not completions:
        raise NotFound("applicant_id", "no completed course known for this person")
    profile = await ports.store.profile(applicant_id) or {}
    skills = course_skills(
        ports.course_skills, ((c.program_name, c.course_name) for c in completions)
    )
    return Graduate(
        applicant_id=applicant_id,
        skills=skills | normalise_tags(profile.get("skills", ())),
        districts=frozenset(profile.get("districts", ())),
        employment_types=frozenset(EmploymentType(t) for t in profile.get("employment_types", ())),
    )


async def recommendations(ports: Ports, applicant_id: str) -> list[Recommendation]:
    person = await graduate(ports, applicant_id)
    today = ports.clock().astimezone(SEOUL).date()
    return recommend(person, await ports.store.openings(), today)


async def refer(
    ports: Ports, opening_id: str, applicant_id: str, coordinator: str
) -> tuple[Referral, bool]:
    opening = await ports.store.opening(opening_id)
    if opening is None:
        raise NotFound("opening_id", "no such opening")
    await graduate(ports, applicant_id)  # a graduate known from a completion
    if not opening.open_on(ports.clock().astimezone(SEOUL).date()):
        raise Conflict("opening_id", "the opening is closed")
    return await ports.store.refer(
        Referral(
            referral_id=f"{opening_id}/{applicant_id}",
            opening_id=opening_id,
            business_no=opening.business_no,
            applicant_id=applicant_id,
            coordinator=coordinator,
            referred_at=ports.clock(),
        )
    )


async def plan_matching_day(
    ports: Ports,
    matching_day_id: str,
    *,
    day: date,
    opens: time,
    closes: time,
    slot_minutes: int,
    employers: Sequence[str],
) -> MatchingDay:
    """Interview slots for every candidate referred to the day's employers, nobody booked
    twice at once. A day is planned once: planning it again is refused."""
    if closes <= opens:
        raise Unprocessable("closes", "the day closes before it opens")
    slots = slot_starts(day, opens, closes, slot_minutes, SEOUL)
    if not slots:
        raise Unprocessable("slot_minutes", "not one slot fits between opening and closing")
    referrals = await ports.store.referrals_to(employers)
    requests = [InterviewRequest(r.applicant_id, r.business_no) for r in referrals]
    planned = MatchingDay(
        matching_day_id, day, tuple(dict.fromkeys(employers)), schedule(requests, slots)
    )
    went_in = await ports.store.save_matching_day(planned)
    if not went_in:
        raise Conflict("matching_day_id", "this matching day is planned already")
    return planned


async def matching_day(ports: Ports, matching_day_id: str) -> MatchingDay:
    found = await ports.store.matching_day(matching_day_id)
    if found is None:
        raise NotFound("matching_day_id", "no such matching day")
    return found


# -- privacy: right of access (docs/decisions/0006) -------------------------------------------
@dataclass(frozen=True)
class CitizenData:
    """Everything placement holds about one citizen. It holds no name, phone, e-mail or birth
    date: a citizen is known here by the pseudonymous `applicant_id` alone."""

    applicant_id: str
    employments: list[Employment]
    employment_reports: list[EmploymentReported]
    completions: list[Completion]
    assignments: list[PublicJobAssigned]
    unplaced: list[Unplaced]
    preferences: list[StatedPreferences]
    profile: dict[str, Any] | None
    referrals: list[Referral]
    matching_days: list[MatchingDay]


async def citizen_data(ports: Ports, applicant_id: str) -> CitizenData:
    """Everything placement holds about one person (right of access): confirmed jobs and the
    reports about them, course completions, public-job assignments (and selections left
    without a position) with the preferences their applications stated, the graduate
    profile, referrals to employers and matching-day interviews."""
    store = ports.store
    assignments = await store.assignments_to(applicant_id)
    unplaced = await store.unplaced_of(applicant_id)
    application_ids = [a.application_id for a in assignments] + [u.application_id for u in unplaced]
    preferences = await store.preferences(application_ids)
    return CitizenData(
        applicant_id=applicant_id,
        employments=await store.employments_of(applicant_id),
        employment_reports=await store.reports_of(applicant_id),
        completions=await store.completions(applicant_id),
        assignments=assignments,
        unplaced=unplaced,
        preferences=[preferences[id_] for id_ in application_ids if id_ in preferences],
        profile=await store.profile(applicant_id),
        referrals=await store.referrals_of(applicant_id),
        matching_days=await store.matching_days_with(applicant_id),
    )
