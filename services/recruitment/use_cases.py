"""What the recruitment service does, one function each: ports in, results out.

Citizens and partner systems submit applications the same way in the end: the web use case
publishes `recruitment.application.submitted` and `take_applications` does the rest.
"""

import secrets
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.contracts.recruitment import (
    Applicant,
    ApplicationDecided,
    ApplicationScreened,
    ApplicationSubmitted,
    Channel,
    FailedRule,
    Preferences,
)
from shared.envelope import Envelope, derive_event_id
from shared.kafka import EventPublisher, Outgoing
from shared.problems import Conflict, NotFound, Unprocessable
from shared.topics import Topic

from .adapters.store import (
    AlreadyStored,
    RecruitmentStore,
    SecondApplication,
    SelectionRun,
    StaleCall,
    decision_order,
)
from .domain import (
    Call,
    CallStatus,
    IllegalTransition,
    Program,
    Screening,
    SelectionDecision,
    SelectionError,
    SelectionMethod,
    screen_application,
    select_applicants,
)
from .domain.intake import (
    call_refusal,
    duplicate_refusal,
    new_receipt_number,
    refused,
    screened_event,
    selection_started_refusal,
)

Clock = Callable[[], datetime]
# Decisions are published this many at a time: enough to keep the producer's batches full.
PUBLISH_CHUNK = 500
# A selection takes seconds; one reserved longer ago than this was cut short by a crash.
SELECTION_STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Publishers:
    submitted: EventPublisher[ApplicationSubmitted]
    screened: EventPublisher[ApplicationScreened]
    selected: EventPublisher[ApplicationDecided]
    waitlisted: EventPublisher[ApplicationDecided]
    rejected: EventPublisher[ApplicationDecided]

    def of_decision(self, decision: str) -> EventPublisher[ApplicationDecided]:
        return {"selected": self.selected, "waitlisted": self.waitlisted}.get(
            decision, self.rejected
        )


@dataclass(frozen=True)
class Ports:
    store: RecruitmentStore
    publish: Publishers
    clock: Clock
    # A lottery left without a seed draws one; it is recorded, so the draw can be replayed.
    new_seed: Callable[[], int] = field(default=lambda: secrets.randbits(63))


# -- applications ----------------------------------------------------------------------------
async def take_applications(
    ports: Ports, events: Sequence[Envelope[ApplicationSubmitted]]
) -> list[Screening]:
    """Screen a batch of applications against their calls, store them and publish each
    screening. An application already taken is answered as it was the first time; a person's
    second application to a call is refused, with the first one's number."""
    now = ports.clock()
    applications = [event.data for event in events]
    calls = await ports.store.calls_by_id({a.call_id for a in applications})
    async with ports.store.intake(calls.keys()) as selection_started:
        screenings: dict[str, Screening] = {}
        admitted: list[tuple[ApplicationSubmitted, Screening]] = []
        refusals: list[tuple[ApplicationSubmitted, Screening]] = []
        for application in applications:
            call = calls.get(application.call_id)
            reason = _intake_refusal(call, application.call_id, selection_started)
            if reason is not None:
                refusals.append((application, refused(application, reason)))
            elif call is not None:
                admitted.append((application, screen_application(call, application)))
        for (application, screening), outcome in zip(
            admitted, await ports.store.admit(admitted, now), strict=True
        ):
            if isinstance(outcome, SecondApplication):
                reason = duplicate_refusal(outcome.first_application_id)
                refusals.append((application, refused(application, reason)))
            else:
                screenings[application.application_id] = _as_first_time(screening, outcome)
        for (application, screening), refusal in zip(
            refusals, await ports.store.refuse(refusals, now), strict=True
        ):
            screenings[application.application_id] = _as_first_time(screening, refusal)
    # The id derives from the application: a redelivery or a re-sent application_id publishes
    # the same event again, and consumers drop the copy.
    await ports.publish.screened.publish(
        *(
            Outgoing.caused_by(
                event,
                screened_event(
                    screenings[event.data.application_id], calls.get(event.data.call_id), now
                ),
                key=event.data.application_id,
                event_id=derive_event_id(event.data.application_id, Topic.APPLICATION_SCREENED),
            )
            for event in events
        )
    )
    return [screenings[a.application_id] for a in applications]


def _intake_refusal(
    call: Call | None, call_id: str, selection_started: Collection[str]
) -> FailedRule | None:
    reason = call_refusal(call, call_id)
    if reason is None and call is not None and call.id in selection_started:
        return selection_started_refusal(call)
    return reason


def _as_first_time(screening: Screening, outcome: object) -> Screening:
    return outcome.screening if isinstance(outcome, AlreadyStored) else screening


async def apply_on_the_web(
    ports: Ports,
    *,
    call_id: str,
    applicant: Applicant,
    preferences: Preferences,
    application_id: str | None = None,
) -> ApplicationSubmitted:
    """A citizen applies on the web: published as partner systems publish, then taken the
    same way. Refused at once only when the call is not taking applications at all."""
    now = ports.clock()
    # The copy intake reads (a read of the calls per request would cost every web
    # application a database round trip); intake judges the application again anyway.
    call = (await ports.store.calls_by_id({call_id})).get(call_id)
    if call is None:
        raise NotFound("call_id", "no recruitment call with this id")
    if call_refusal(call, call_id) is not None or not call.accepts_applications(now):
        raise Conflict("call_id", "this call is not taking applications now")
    application = ApplicationSubmitted(
        application_id=application_id or new_receipt_number(now),
        call_id=call_id,
        submitted_at=now,
        channel=Channel.WEB,
        applicant=applicant,
        preferences=preferences,
    )
    await ports.publish.submitted.publish(
        Outgoing(
            application,
            key=application.application_id,
            event_id=derive_event_id(application.application_id, Topic.APPLICATION_SUBMITTED),
            correlation_id=application.application_id,
        )
    )
    return application


@dataclass(frozen=True)
class Standing:
    """Where an application stands: its screening and, once published, its decision."""

    screening: Screening
    decision: SelectionDecision | None


async def application_standing(ports: Ports, application_id: str) -> Standing:
    stored = await ports.store.application(application_id)
    if stored is None:
        raise NotFound("application_id", "no application with this id (yet)")
    call_id = stored.screening.call_id
    run_id = await ports.store.selection_run_id(call_id)
    decision = await ports.store.published_decision(run_id, application_id) if run_id else None
    return Standing(stored.screening, decision)


# -- the catalog -----------------------------------------------------------------------------
async def programs(ports: Ports) -> list[Program]:
    return await ports.store.programs()


async def add_program(ports: Ports, program: Program) -> Program:
    """Adding a program is adding data: its calls carry the rules."""
    if not await ports.store.add_program(program):
        raise Conflict("id", "a program with this id exists")
    return program


async def calls(ports: Ports, program_id: str | None = None) -> list[Call]:
    return await ports.store.calls(program_id)


async def existing_call(ports: Ports, call_id: str) -> Call:
    call = await ports.store.call(call_id)
    if call is None:
        raise NotFound("call_id", "no recruitment call with this id")
    return call


async def application_counts(ports: Ports, call_id: str) -> dict[str, int]:
    await existing_call(ports, call_id)
    return await ports.store.application_counts(call_id)


async def add_call(ports: Ports, call: Call) -> Call:
    """A new call (모집 공고), with its rules as data. It starts as a draft."""
    program = await ports.store.program(call.program_id)
    if program is None:
        raise NotFound("program_id", "no program with this id")
    if call.program_kind is not program.kind:
        raise Unprocessable("program_kind", f"the program is of kind '{program.kind}'")
    if call.status is not CallStatus.DRAFT:
        raise Unprocessable("status", "a new call starts as 'draft'")
    if not await ports.store.add_call(call):
        raise Conflict("id", "a call with this id exists")
    return call


async def _move(ports: Ports, call: Call, changed: Callable[[], Call]) -> Call:
    try:
        new = changed()
        await ports.store.replace_call(new, call.status)
    except IllegalTransition as error:
        raise Conflict("status", str(error)) from error
    except StaleCall as error:
        raise Conflict("status", "the call changed meanwhile; reload it") from error
    return new


async def open_call(ports: Ports, call_id: str) -> Call:
    call = await existing_call(ports, call_id)
    return await _move(ports, call, call.open)


async def close_call(ports: Ports, call_id: str) -> Call:
    call = await existing_call(ports, call_id)
    # Closed before its window ends, the call takes nothing submitted from now on.
    return await _move(ports, call, lambda: call.close(ports.clock()))


# -- selection -------------------------------------------------------------------------------
async def run_selection(ports: Ports, call_id: str, seed: int | None) -> SelectionRun:
    """Select from the closed call's applications. The run is kept for audit and replay."""
    call = await existing_call(ports, call_id)
    if call.status is not CallStatus.CLOSED:
        raise Conflict("status", f"selection needs a closed call; it is '{call.status}'")
    if call.selection_method is SelectionMethod.LOTTERY and seed is None:
        seed = ports.new_seed()
    store = ports.store
    if not await store.start_selection(call.id, ports.clock(), SELECTION_STALE_AFTER):
        raise Conflict("status", "another selection of this call is under way")
    try:
        # Applications still on their way are refused from here on: none can arrive after
        # the read below and go without a decision.
        await store.fence_intake(call.id, ports.clock())
        screenings = await store.screenings_for_selection(call.id)
        try:
            result = select_applicants(call, screenings, seed)
        except SelectionError as error:
            raise Conflict("call_id", str(error)) from error
        run_id = str(uuid.uuid4())
        await store.record_run(run_id, result, ports.clock())
        try:
            await store.replace_call(call.mark_selected(), CallStatus.CLOSED, run_id)
        except StaleCall as error:
            raise Conflict("status", "the call changed meanwhile") from error
    finally:
        await store.end_selection(call.id)
    run = await store.run(run_id)
    assert run is not None
    return run


async def counted_run(ports: Ports, call_id: str) -> str:
    await existing_call(ports, call_id)
    return await _counted_run_of(ports, call_id)


async def _counted_run_of(ports: Ports, call_id: str) -> str:
    run_id = await ports.store.selection_run_id(call_id)
    if run_id is None:
        raise Conflict("call_id", "selection has not run for this call")
    return run_id


async def ranking(ports: Ports, call_id: str) -> tuple[str, list[SelectionDecision]]:
    run_id = await counted_run(ports, call_id)
    return run_id, await ports.store.decisions_of_run(run_id)


async def selection_runs(ports: Ports, call_id: str) -> tuple[str | None, list[SelectionRun]]:
    """Every selection run, and which one moved the call to 'selected' (the one that counts;
    one that lost a race or was cut short by a crash stays listed for the record)."""
    await existing_call(ports, call_id)
    return await ports.store.selection_run_id(call_id), await ports.store.runs(call_id)


async def replay(ports: Ports, call_id: str, run_id: str) -> tuple[SelectionRun, bool]:
    """Run the selection again from the stored screenings and seed: identical or not."""
    call = await existing_call(ports, call_id)
    run = await ports.store.run(run_id)
    if run is None or run.call_id != call_id:
        raise NotFound("run_id", "no selection run with this id for this call")
    stored = await ports.store.decisions_of_run(run_id)
    closed = call.model_copy(update={"status": CallStatus.CLOSED})
    again = select_applicants(closed, await ports.store.screenings_for_selection(call_id), run.seed)
    return run, sorted(again.decisions, key=decision_order) == stored


async def publish_decisions(ports: Ports, call_id: str) -> int:
    """Send every decision of the counted run to the applicants (as events), once: ids derive
    from the run, so publishing again after a crash repeats the same events."""
    call = await existing_call(ports, call_id)
    if call.status is not CallStatus.SELECTED:
        raise Conflict("status", f"publishing needs a selected call; it is '{call.status}'")
    run_id = await _counted_run_of(ports, call_id)  # the call was read just above
    decisions = await ports.store.decisions_of_run(run_id)
    now = ports.clock()
    for start in range(0, len(decisions), PUBLISH_CHUNK):
        chunk = decisions[start : start + PUBLISH_CHUNK]
        for kind in ("selected", "waitlisted", "rejected"):
            topic = f"recruitment.application.{kind}"
            await ports.publish.of_decision(kind).publish(
                *(
                    Outgoing(
                        d.as_event(call, run_id, now),
                        key=d.application_id,
                        event_id=derive_event_id(run_id, d.application_id, topic),
                        correlation_id=d.application_id,
                    )
                    for d in chunk
                    if d.decision == kind
                )
            )
    await ports.store.mark_published(run_id, now)
    try:
        await ports.store.replace_call(call.publish(), CallStatus.SELECTED)
    except StaleCall as error:
        raise Conflict("status", "the call changed meanwhile") from error
    return len(decisions)


# -- privacy: right of access and retention (docs/decisions/0006) ----------------------------
# Personal data of a call's applicants is kept this long after the programme's term ends:
# long enough for objections and appeals against a selection, the city's audits of subsidised
# programmes and the checks of repeated participation that several programmes make over the
# previous years; after that only anonymous statistics are needed. An assumption for the
# city's privacy officer to confirm; configurable: PERSONAL_DATA_RETENTION_DAYS.
DEFAULT_RETENTION = timedelta(days=3 * 365)


@dataclass(frozen=True)
class CitizenApplication:
    """One application as recruitment holds it, personal data opened (None once purged)."""

    application_id: str
    call_id: str
    received_at: datetime | None
    application: ApplicationSubmitted | None
    screening: Screening
    refused: bool
    decisions: list[SelectionDecision]
    personal_data_purged_at: datetime | None


@dataclass(frozen=True)
class CitizenData:
    applicant_id: str
    applications: list[CitizenApplication]


async def citizen_data(ports: Ports, applicant_id: str) -> CitizenData:
    """Everything recruitment holds about one person (right of access): every application
    with its personal data decrypted, its screening and every selection decision about it."""
    stored = await ports.store.applications_of(applicant_id)
    decisions = await ports.store.decisions_about([s.screening.application_id for s in stored])
    by_application: dict[str, list[SelectionDecision]] = {}
    for decision in decisions:
        by_application.setdefault(decision.application_id, []).append(decision)
    return CitizenData(
        applicant_id=applicant_id,
        applications=[
            CitizenApplication(
                application_id=s.screening.application_id,
                call_id=s.screening.call_id,
                received_at=s.received_at,
                application=s.application,
                screening=s.screening,
                refused=s.refused,
                decisions=by_application.get(s.screening.application_id, []),
                personal_data_purged_at=s.personal_data_purged_at,
            )
            for s in stored
        ],
    )


def program_ended_on(call: Call) -> date:
    """When the programme a call recruited for ends: its end date, or, for a call that gives
    none (a course whose end is not announced), its start date, so that the retention period
    is never open-ended."""
    return call.end_date or call.start_date


async def purge_expired_personal_data(
    ports: Ports, retention: timedelta = DEFAULT_RETENTION
) -> dict[str, int]:
    """Drop the personal data of the applicants of every call whose programme ended more
    than `retention` ago; screenings, decisions, selection runs and counts stay as
    anonymous statistics. Safe to run again at any time: for each call purged now, how many
    applications lost their personal data."""
    now = ports.clock()
    today = now.date()
    purged: dict[str, int] = {}
    for call in await ports.store.calls():
        if program_ended_on(call) + retention < today:
            count = await ports.store.purge_personal_data(call.id, now)
            if count:
                purged[call.id] = count
    return purged
