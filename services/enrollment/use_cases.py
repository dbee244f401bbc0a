"""What the enrollment service does, one function each: ports in, results out.

Nothing here changes a cohort's seats directly. Selections, waitlistings, answers to offers,
withdrawals, deadline checks and completions become seat commands on the internal topic, keyed
by cohort; `apply_seat_commands`, run by the one consumer that owns the cohort's partition, is
the only writer of its seats (docs/decisions/0004).
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from shared.contracts.enrollment import (
    CohortFilled,
    CourseRecommendation,
    EnrollmentCompleted,
    EnrollmentConfirmed,
    EnrollmentWithdrawn,
    WaitlistPromoted,
)
from shared.contracts.placement import StudyPathwayOpened
from shared.contracts.recruitment import ApplicationDecided
from shared.envelope import Envelope, derive_event_id
from shared.kafka import EventPublisher, Outgoing
from shared.problems import Conflict, NotFound, Unprocessable
from shared.topics import InternalTopic, Topic

from .adapters.metrics import EnrollmentMetrics
from .adapters.seat_log import Entry, SeatLog, SeatView
from .adapters.store import EnrollmentStore
from .domain.attendance import (
    AttendanceError,
    Mark,
    RecordedMark,
    parse_csv,
    sessions_attended,
)
from .domain.cohort import Cohort
from .domain.commands import (
    AcceptOffer,
    CheckDeadlines,
    Command,
    Complete,
    DeclineOffer,
    JoinWaitlist,
    OfferSeat,
    SeatCommand,
    Withdraw,
)
from .domain.enrollment import PendingEnrollment, pending_enrollment
from .domain.recommendation import recommend
from .domain.search import CatalogQuery, Found, cohort_for_pathway, search
from .domain.seats import (
    CohortSeats,
    Fact,
    FactKind,
    Instruction,
    Seat,
    SeatStatus,
    attendance_suffices,
    decide,
)
from .domain.survey import Answers, Averages, Response, Scope, averages

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

WITHDRAWN_BY_CITIZEN = "본인 요청"
# A cohort is checked for overdue offers until this long after its last offer could be made.
DEADLINE_CHECK_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Publishers:
    commands: EventPublisher[SeatCommand]
    promoted: EventPublisher[WaitlistPromoted]
    confirmed: EventPublisher[EnrollmentConfirmed]
    withdrawn: EventPublisher[EnrollmentWithdrawn]
    completed: EventPublisher[EnrollmentCompleted]
    filled: EventPublisher[CohortFilled]


@dataclass(frozen=True)
class Ports:
    store: EnrollmentStore
    seats: SeatLog
    publish: Publishers
    metrics: EnrollmentMetrics
    clock: Clock
    survey_base_url: str = "https://jobs.seoul.example/survey"
    # Times a writer reads a cohort again after another writer moved it on, before the batch
    # is left to be delivered again.
    fence_retries: int = 3


class SeatLogContention(RuntimeError):
    """Another consumer kept writing the same cohorts: a rebalance still under way."""


def _ms(moment: datetime) -> datetime:
    # The database keeps milliseconds: a time read back must equal the one decided with.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _now(ports: Ports) -> datetime:
    return _ms(ports.clock())


# -- the catalog -------------------------------------------------------------------------------
async def add_cohort(ports: Ports, cohort: Cohort) -> Cohort:
    if not await ports.store.add_cohort(cohort):
        known = await ports.store.cohorts_by_id([cohort.id])
        if cohort.id in known:
            raise Conflict("id", "a cohort with this id exists")
        raise Conflict("call.id", "this recruitment call fills another cohort")
    return cohort


async def cohort(ports: Ports, cohort_id: str) -> Cohort:
    found = (await ports.store.cohorts_by_id([cohort_id])).get(cohort_id)
    if found is None:
        raise NotFound("cohort_id", "no cohort with this id")
    return found


async def find_cohorts(ports: Ports, query: CatalogQuery) -> list[Found]:
    return search(await ports.store.cohorts(), query, ports.clock())


# -- from recruitment --------------------------------------------------------------------------
async def take_selections(ports: Ports, events: Sequence[Envelope[ApplicationDecided]]) -> None:
    """A selected applicant is offered a seat in the cohort their call fills. A call that fills
    no cohort (a public job) leaves a pending enrollment, as before cohorts existed."""
    cohorts = await ports.store.cohorts_by_call({e.data.call_id for e in events})
    pending: list[PendingEnrollment] = []
    commands = []
    for event in events:
        found = cohorts.get(event.data.call_id)
        if found is None:
            pending.append(pending_enrollment(event.data))
            continue
        offer = OfferSeat(
            application_id=event.data.application_id,
            applicant_id=event.data.applicant_id,
            rank=event.data.rank,
        )
        commands.append(_command(ports, event, found.id, offer, "offer"))
    await ports.store.add_pending(pending)
    await ports.publish.commands.publish(*commands)


async def take_waitlistings(ports: Ports, events: Sequence[Envelope[ApplicationDecided]]) -> None:
    """A waitlisted applicant joins the waitlist of the cohort their call fills, at their
    position."""
    cohorts = await ports.store.cohorts_by_call({e.data.call_id for e in events})
    commands = []
    for event in events:
        found = cohorts.get(event.data.call_id)
        position = event.data.waitlist_position
        if found is None or position is None:
            continue  # no cohort to wait for (a public job), or no place in line given
        join = JoinWaitlist(
            application_id=event.data.application_id,
            applicant_id=event.data.applicant_id,
            position=position,
        )
        commands.append(_command(ports, event, found.id, join, "waitlist"))
    await ports.publish.commands.publish(*commands)


# -- from placement ----------------------------------------------------------------------------
async def take_study_pathways(ports: Ports, events: Sequence[Envelope[StudyPathwayOpened]]) -> int:
    """A hire at a pathway partner is offered a seat in the next cohort of the linked course,
    as a selected applicant is (the offer's id names the employment). How many were offered;
    a course with no cohort to come is logged, and offered nothing."""
    cohorts = await ports.store.cohorts()
    commands = []
    for event in events:
        pathway = event.data
        found = cohort_for_pathway(cohorts, pathway.program_id, pathway.course_id, _now(ports))
        if found is None:
            log.warning(
                "no cohort to come of a pathway's course",
                extra={"program_id": pathway.program_id, "course_id": pathway.course_id},
            )
            continue
        offer = OfferSeat(
            application_id=f"pathway-{pathway.employment_id}", applicant_id=pathway.applicant_id
        )
        commands.append(_command(ports, event, found.id, offer, "offer"))
    await ports.publish.commands.publish(*commands)
    return len(commands)


def _command(
    ports: Ports,
    cause: Envelope[ApplicationDecided] | Envelope[StudyPathwayOpened],
    cohort_id: str,
    command: OfferSeat | JoinWaitlist,
    name: str,
) -> Outgoing[SeatCommand]:
    # The id derives from the application: the same decision published again (a redelivery,
    # recruitment publishing again) is the same command, which the writer's inbox drops.
    application_id = command.application_id
    return Outgoing.caused_by(
        cause,
        SeatCommand(cohort_id=cohort_id, at=_now(ports), command=command),
        key=cohort_id,
        event_id=derive_event_id(cohort_id, application_id, InternalTopic.SEAT_COMMANDS, name),
    )


# -- the one writer of a cohort's seats --------------------------------------------------------
async def apply_seat_commands(ports: Ports, events: Sequence[Envelope[SeatCommand]]) -> None:
    """Apply a batch of seat commands, cohort by cohort, in the order they came; append what
    changed to each cohort's log and publish the citizen-facing events."""
    by_cohort: dict[str, list[Envelope[SeatCommand]]] = defaultdict(list)
    for event in events:
        by_cohort[event.data.cohort_id].append(event)
    cohorts = await ports.store.cohorts_by_id(by_cohort.keys())
    for unknown in by_cohort.keys() - cohorts.keys():
        log.warning("seat commands for an unknown cohort skipped", extra={"cohort_id": unknown})
    todo = {cohort_id: by_cohort[cohort_id] for cohort_id in cohorts}
    for _ in range(ports.fence_retries + 1):
        try:
            todo = await _apply_once(ports, cohorts, todo)
        except Exception:
            ports.seats.forget(by_cohort)  # read again when the batch comes again
            raise
        if not todo:
            return
        log.info(
            "another writer moved cohorts on; reading them again", extra={"cohorts": len(todo)}
        )
    raise SeatLogContention(f"{len(todo)} cohort(s) kept changing under this writer")


async def _apply_once(
    ports: Ports, cohorts: dict[str, Cohort], todo: dict[str, list[Envelope[SeatCommand]]]
) -> dict[str, list[Envelope[SeatCommand]]]:
    """One attempt: the cohorts whose log another writer moved on meanwhile, still to do."""
    taken = await ports.seats.take(todo.keys())
    unsent = [(cohorts[c], t.unsent) for c, t in taken.items() if t.unsent]
    await _publish_facts(ports, unsent)  # a crash may have come between append and publish
    entries = []
    for cohort_id, events in todo.items():
        instructions = [
            Instruction(e.event_id, e.correlation_id, e.data.at, e.data.command) for e in events
        ]
        state, facts = decide(cohorts[cohort_id], taken[cohort_id].state, instructions)
        if facts:
            entries.append(
                Entry(
                    cohort_id,
                    taken[cohort_id].seq + 1,
                    state,
                    facts,
                    [e.event_id for e in events],
                    _now(ports),
                )
            )
    written = await ports.seats.append(entries)
    done = [entry for entry in entries if entry.cohort_id in written]
    await _publish_facts(ports, [(cohorts[e.cohort_id], e.facts) for e in done])
    for entry in done:
        ports.metrics.count(cohorts[entry.cohort_id].program_id, entry.facts)
    refused = {entry.cohort_id for entry in entries} - written
    return {cohort_id: events for cohort_id, events in todo.items() if cohort_id in refused}


async def _publish_facts(ports: Ports, changes: Sequence[tuple[Cohort, list[Fact]]]) -> None:
    if not changes:
        return
    completed = any(f.kind is FactKind.COMPLETED for _, facts in changes for f in facts)
    catalog = await ports.store.cohorts() if completed else []
    promoted: list[Outgoing[WaitlistPromoted]] = []
    confirmed: list[Outgoing[EnrollmentConfirmed]] = []
    withdrawn: list[Outgoing[EnrollmentWithdrawn]] = []
    finished: list[Outgoing[EnrollmentCompleted]] = []
    filled: list[Outgoing[CohortFilled]] = []
    for cohort_, facts in changes:
        correlation = cohort_.id
        for fact in facts:
            seat = fact.seat
            if seat is None:
                if fact.kind is FactKind.FILLED and fact.filling is not None:
                    filled.append(_filled(cohort_, fact, fact.filling, correlation))
                continue
            correlation = seat.correlation_id
            if fact.kind is FactKind.PROMOTED:
                promoted.append(
                    _event(seat, fact, Topic.WAITLIST_PROMOTED, _promoted(cohort_, seat))
                )
            elif fact.kind is FactKind.CONFIRMED:
                confirmed.append(
                    _event(seat, fact, Topic.ENROLLMENT_CONFIRMED, _confirmed(cohort_, seat))
                )
            elif fact.kind in (FactKind.DECLINED, FactKind.EXPIRED, FactKind.WITHDRAWN):
                withdrawn.append(
                    _event(seat, fact, Topic.ENROLLMENT_WITHDRAWN, _withdrawn(cohort_, seat))
                )
            elif fact.kind is FactKind.COMPLETED:
                recommendation = recommend(cohort_, catalog, fact.at)
                data = _completed(ports, cohort_, seat, recommendation)
                finished.append(_event(seat, fact, Topic.ENROLLMENT_COMPLETED, data))
    await ports.publish.promoted.publish(*promoted)
    await ports.publish.confirmed.publish(*confirmed)
    await ports.publish.withdrawn.publish(*withdrawn)
    await ports.publish.completed.publish(*finished)
    await ports.publish.filled.publish(*filled)


def _event(seat: Seat, fact: Fact, topic: Topic, data: Any) -> Outgoing[Any]:
    # Once per enrollment and topic (an offer is promoted once, an enrollment confirmed once…):
    # published again after a crash, the same event.
    return Outgoing(
        data,
        key=seat.enrollment_id,
        event_id=derive_event_id(seat.enrollment_id, topic),
        correlation_id=seat.correlation_id,
        causation_id=fact.caused_by,
    )


def _promoted(cohort_: Cohort, seat: Seat) -> WaitlistPromoted:
    assert seat.offer_id is not None and seat.deadline is not None
    return WaitlistPromoted(
        offer_id=seat.offer_id,
        application_id=seat.application_id,
        applicant_id=seat.applicant_id,
        cohort_id=cohort_.id,
        program_name=cohort_.program_name,
        course_name=cohort_.course.name,
        offer_deadline=seat.deadline,
        promoted_at=seat.changed_at,
    )


def _confirmed(cohort_: Cohort, seat: Seat) -> EnrollmentConfirmed:
    return EnrollmentConfirmed(
        enrollment_id=seat.enrollment_id,
        application_id=seat.application_id,
        applicant_id=seat.applicant_id,
        cohort_id=cohort_.id,
        program_name=cohort_.program_name,
        course_name=cohort_.course.name,
        campus_name=cohort_.campus.name,
        campus_address=cohort_.campus.address,
        start_date=cohort_.start_date,
        confirmed_at=seat.changed_at,
    )


def _withdrawn(cohort_: Cohort, seat: Seat) -> EnrollmentWithdrawn:
    return EnrollmentWithdrawn(
        enrollment_id=seat.enrollment_id,
        applicant_id=seat.applicant_id,
        cohort_id=cohort_.id,
        reason=seat.reason or WITHDRAWN_BY_CITIZEN,
        withdrawn_at=seat.changed_at,
    )


def survey_url(ports: Ports, enrollment_id: str) -> str:
    return f"{ports.survey_base_url.rstrip('/')}/{enrollment_id}"


def _completed(
    ports: Ports, cohort_: Cohort, seat: Seat, recommendation: CourseRecommendation | None
) -> EnrollmentCompleted:
    return EnrollmentCompleted(
        enrollment_id=seat.enrollment_id,
        applicant_id=seat.applicant_id,
        cohort_id=cohort_.id,
        program_name=cohort_.program_name,
        course_name=cohort_.course.name,
        survey_url=survey_url(ports, seat.enrollment_id),
        completed_at=seat.changed_at,
        recommended_course=recommendation,
        campus_id=cohort_.campus.id,
        campus_name=cohort_.campus.name,
        term=cohort_.term,
    )


def _filled(cohort_: Cohort, fact: Fact, filling: int, correlation: str) -> Outgoing[CohortFilled]:
    return Outgoing(
        CohortFilled(cohort_id=cohort_.id, capacity=cohort_.capacity, filled_at=fact.at),
        key=cohort_.id,
        event_id=derive_event_id(cohort_.id, Topic.COHORT_FILLED, str(filling)),
        correlation_id=correlation,
        causation_id=fact.caused_by,
    )


# -- citizens: offers and enrollments ----------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    """An application's seat in a cohort, as its citizen sees it."""

    cohort: Cohort
    seat: Seat
    recommendation: CourseRecommendation | None = None


async def _standings(ports: Ports, views: Iterable[SeatView]) -> list[Standing]:
    views = list(views)
    cohorts = await ports.store.cohorts_by_id({v.cohort_id for v in views})
    return [Standing(cohorts[v.cohort_id], v.seat) for v in views if v.cohort_id in cohorts]


async def offers_of(ports: Ports, applicant_id: str) -> list[Standing]:
    """Every seat offered to the citizen, open or answered."""
    views = await ports.seats.seats_of_applicant(applicant_id)
    return await _standings(ports, (v for v in views if v.seat.offer_id is not None))


async def answer_offer(ports: Ports, applicant_id: str, offer_id: str, *, accept: bool) -> Standing:
    """Accept or decline an open offer. Decided by the cohort's writer, in order with every
    other change to its seats: the answer is taken now and the result follows in moments."""
    views = await ports.seats.seats_of_applicant(applicant_id)
    view = next((v for v in views if v.seat.offer_id == offer_id), None)
    if view is None:
        raise NotFound("offer_id", "no offer with this id for this applicant")
    seat = view.seat
    if seat.status is not SeatStatus.OFFERED:
        raise Conflict("offer_id", f"the offer is not open: it is {seat.status.value}")
    now = _now(ports)
    if seat.deadline is not None and now > seat.deadline:
        raise Conflict("offer_id", "the offer's deadline has passed")
    command: Command = (
        AcceptOffer(application_id=seat.application_id, offer_id=offer_id)
        if accept
        else DeclineOffer(application_id=seat.application_id, offer_id=offer_id)
    )
    name = "accept" if accept else "decline"
    await _send(ports, view.cohort_id, command, seat, name, now)
    return (await _standings(ports, [view]))[0]


async def withdraw(ports: Ports, applicant_id: str, enrollment_id: str) -> Standing:
    """Give up a seat, an open offer or a waitlist place; a seat freed goes to the next in
    line (until a few days after the start: see `Cohort.late_entry_days`)."""
    views = await ports.seats.seats_of_applicant(applicant_id)
    view = next((v for v in views if v.seat.enrollment_id == enrollment_id), None)
    if view is None:
        raise NotFound("enrollment_id", "no enrollment with this id for this applicant")
    seat = view.seat
    if seat.status not in (SeatStatus.WAITING, SeatStatus.OFFERED, SeatStatus.CONFIRMED):
        raise Conflict("enrollment_id", f"nothing to withdraw from: it is {seat.status.value}")
    command = Withdraw(application_id=seat.application_id, reason=WITHDRAWN_BY_CITIZEN)
    await _send(ports, view.cohort_id, command, seat, "withdraw", _now(ports))
    return (await _standings(ports, [view]))[0]


async def _send(
    ports: Ports, cohort_id: str, command: Command, seat: Seat, name: str, at: datetime
) -> None:
    # One id per application and kind of answer: a request sent twice is one command.
    await ports.publish.commands.publish(
        Outgoing(
            SeatCommand(cohort_id=cohort_id, at=at, command=command),
            key=cohort_id,
            event_id=derive_event_id(
                cohort_id, seat.application_id, InternalTopic.SEAT_COMMANDS, name
            ),
            correlation_id=seat.correlation_id,
        )
    )


@dataclass(frozen=True)
class Enrollments:
    in_cohorts: list[Standing]
    pending: list[PendingEnrollment]  # selected by a call that fills no cohort


ENROLLED = (
    SeatStatus.CONFIRMED,
    SeatStatus.WITHDRAWN,
    SeatStatus.COMPLETED,
    SeatStatus.DROPPED_OUT,
)


async def enrollments_of(ports: Ports, applicant_id: str) -> Enrollments:
    views = await ports.seats.seats_of_applicant(applicant_id)
    enrolled = [v for v in views if v.seat.status in ENROLLED and v.seat.offered_at is not None]
    standings = await _standings(ports, enrolled)
    if any(s.seat.status is SeatStatus.COMPLETED for s in standings):
        catalog = await ports.store.cohorts()
        standings = [
            Standing(s.cohort, s.seat, recommend(s.cohort, catalog, ports.clock()))
            if s.seat.status is SeatStatus.COMPLETED
            else s
            for s in standings
        ]
    return Enrollments(standings, await ports.store.pending_of(applicant_id))


# -- deadlines ---------------------------------------------------------------------------------
async def check_deadlines(ports: Ports, every: timedelta) -> int:
    """Ask the writer of every cohort that may hold open offers to expire the overdue ones.
    The command's id is the same for every instance within one period: one check each."""
    now = _now(ports)
    period = str(int(now.timestamp() // max(every.total_seconds(), 0.001)))
    checks = [
        Outgoing(
            SeatCommand(cohort_id=c.id, at=now, command=CheckDeadlines()),
            key=c.id,
            event_id=derive_event_id(c.id, InternalTopic.SEAT_COMMANDS, "check_deadlines", period),
            correlation_id=c.id,
        )
        for c in await ports.store.cohorts()
        if now <= c.promotions_close_at + timedelta(hours=c.offer_hours) + DEADLINE_CHECK_MARGIN
    ]
    await ports.publish.commands.publish(*checks)
    return len(checks)


# -- operators: roster, attendance, completion -------------------------------------------------
@dataclass(frozen=True)
class Roster:
    cohort: Cohort
    seats: CohortSeats


async def roster(ports: Ports, cohort_id: str) -> Roster:
    return Roster(await cohort(ports, cohort_id), await ports.seats.cohort(cohort_id))


async def _enrolled_ids(ports: Ports, cohort_: Cohort) -> set[str]:
    seats = await ports.seats.cohort(cohort_.id)
    return {s.enrollment_id for s in seats.seats.values() if s.status is SeatStatus.CONFIRMED}


def _check_marks(cohort_: Cohort, marks: Sequence[Mark], enrolled: set[str], field: str) -> None:
    for index, mark in enumerate(marks):
        where = field.format(index)
        if not 1 <= mark.session <= cohort_.sessions:
            raise Unprocessable(f"{where}.session", f"sessions are 1 to {cohort_.sessions}")
        if mark.enrollment_id not in enrolled:
            raise Unprocessable(
                f"{where}.enrollment_id", "not a confirmed enrollment of this cohort"
            )


async def record_attendance(
    ports: Ports, cohort_id: str, session: int, present: Sequence[tuple[str, bool]]
) -> int:
    """One session's attendance (a later record corrects an earlier one)."""
    found = await cohort(ports, cohort_id)
    if not 1 <= session <= found.sessions:
        raise Unprocessable("session", f"sessions are 1 to {found.sessions}")
    marks = [Mark(enrollment_id, session, here) for enrollment_id, here in present]
    _check_marks(found, marks, await _enrolled_ids(ports, found), "marks[{}]")
    await ports.store.record_marks(cohort_id, marks, _now(ports), "http")
    return len(marks)


async def import_attendance(ports: Ports, cohort_id: str, text: str) -> int:
    """A campus system's export: `enrollment_id,session,present` rows. All or nothing."""
    found = await cohort(ports, cohort_id)
    try:
        marks = parse_csv(text)
    except AttendanceError as error:
        raise Unprocessable(error.field, error.problem) from error
    enrolled = await _enrolled_ids(ports, found)
    for line, mark in enumerate(marks, start=2):  # rows are named by line: the header is 1
        _check_marks(found, [mark], enrolled, f"rows[{line}]")
    await ports.store.record_marks(cohort_id, marks, _now(ports), "csv")
    return len(marks)


@dataclass(frozen=True)
class AttendanceLine:
    enrollment_id: str
    attended: int
    sessions: int
    rate: float
    meets_rate: bool


async def attendance(ports: Ports, cohort_id: str) -> list[AttendanceLine]:
    found = await cohort(ports, cohort_id)
    seats = await ports.seats.cohort(cohort_id)
    attended = sessions_attended(await ports.store.marks_of(cohort_id))
    taking_part = (SeatStatus.CONFIRMED, SeatStatus.COMPLETED, SeatStatus.DROPPED_OUT)
    lines = []
    for seat in sorted(seats.seats.values(), key=lambda s: s.enrollment_id):
        if seat.status not in taking_part:
            continue
        # after completion the count that decided it stands
        count = seat.attended if seat.attended is not None else attended.get(seat.enrollment_id, 0)
        lines.append(
            AttendanceLine(
                seat.enrollment_id,
                count,
                found.sessions,
                round(count / found.sessions, 4),
                attendance_suffices(count, found.sessions, Fraction(found.attendance_rate)),
            )
        )
    return lines


async def complete_cohort(ports: Ports, cohort_id: str) -> int:
    """The course is over: each confirmed enrollment completes (→ enrollment.completed, with
    the survey link) or drops out, by the attendance recorded so far. Returns how many were
    judged."""
    found = await cohort(ports, cohort_id)
    now = _now(ports)
    if not found.has_ended(now):
        raise Conflict("end_date", "the course has not ended yet")
    enrolled = await _enrolled_ids(ports, found)
    counted = sessions_attended(await ports.store.marks_of(cohort_id))
    attended = {enrollment_id: counted.get(enrollment_id, 0) for enrollment_id in enrolled}
    await ports.publish.commands.publish(
        Outgoing(
            SeatCommand(cohort_id=cohort_id, at=now, command=Complete(attended=attended)),
            key=cohort_id,
            event_id=derive_event_id(
                cohort_id, InternalTopic.SEAT_COMMANDS, "complete", now.isoformat()
            ),
            correlation_id=cohort_id,
        )
    )
    return len(attended)


# -- the satisfaction survey -------------------------------------------------------------------
async def _completed_standing(ports: Ports, enrollment_id: str) -> Standing:
    view = await ports.seats.seat(enrollment_id)
    if view is None:
        raise NotFound("enrollment_id", "no enrollment with this id")
    if view.seat.status is not SeatStatus.COMPLETED:
        raise Conflict("enrollment_id", "the survey opens when the course is completed")
    standings = await _standings(ports, [view])
    if not standings:
        raise NotFound("enrollment_id", "no enrollment with this id")
    return standings[0]


async def survey_for(ports: Ports, enrollment_id: str) -> Standing:
    return await _completed_standing(ports, enrollment_id)


async def answer_survey(ports: Ports, enrollment_id: str, answers: Answers) -> Response:
    """Once per enrollment: a second answer is refused (the insert decides)."""
    standing = await _completed_standing(ports, enrollment_id)
    response = Response(
        enrollment_id=enrollment_id,
        program_id=standing.cohort.program_id,
        cohort_id=standing.cohort.id,
        campus_id=standing.cohort.campus.id,
        answers=answers,
        answered_at=_now(ports),
    )
    if not await ports.store.add_response(response):
        raise Conflict("enrollment_id", "this enrollment has answered the survey already")
    return response


async def survey_results(ports: Ports, scope: Scope, id_: str | None = None) -> list[Averages]:
    match = {
        Scope.PROGRAM: "program_id",
        Scope.COHORT: "cohort_id",
        Scope.CAMPUS: "campus_id",
    }[scope]
    responses = await ports.store.responses(**({match: id_} if id_ else {}))
    return averages(responses, scope)


# -- gauges ------------------------------------------------------------------------------------
async def refresh_gauges(ports: Ports) -> None:
    cohorts = {c.id: c for c in await ports.store.cohorts()}
    ports.metrics.show_seats(cohorts, await ports.seats.summaries())
    responses = await ports.store.responses()
    for scope in Scope:
        ports.metrics.show_survey(averages(responses, scope))


# -- privacy: right of access (docs/decisions/0006) -------------------------------------------
@dataclass(frozen=True)
class CitizenData:
    """Everything enrollment holds about one citizen. It holds no name, phone, e-mail or birth
    date: a citizen is known here by the pseudonymous `applicant_id` alone."""

    applicant_id: str
    seats: list[SeatView]  # offers, waitlist places, enrollments, in every cohort
    pending: list[PendingEnrollment]  # selected by a call that fills no cohort
    attendance: list[RecordedMark]
    surveys: list[Response]


async def citizen_data(ports: Ports, applicant_id: str) -> CitizenData:
    """Everything enrollment holds about one person (right of access): every seat in every
    cohort as it stands (offered, waitlisted, enrolled, completed...), pending enrollments,
    attendance marks and survey answers."""
    seats = await ports.seats.seats_of_applicant(applicant_id)
    pending = await ports.store.pending_of(applicant_id)
    enrollment_ids = {v.seat.enrollment_id for v in seats} | {p.enrollment_id for p in pending}
    return CitizenData(
        applicant_id=applicant_id,
        seats=seats,
        pending=pending,
        attendance=await ports.store.marks_of_enrollments(enrollment_ids),
        surveys=await ports.store.responses_of(enrollment_ids),
    )
