"""Entry points of the recruitment service: Kafka events and HTTP, both thin.

Citizens and partner systems submit applications the same way in the end: the HTTP API
publishes `recruitment.application.submitted` and the event handler does the rest.
"""

import asyncio
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field, model_validator

from shared.clock import now_kst
from shared.contracts.common import ContractModel
from shared.contracts.recruitment import (
    Applicant,
    ApplicationSubmitted,
    Channel,
    FailedRule,
    Preferences,
)
from shared.envelope import Envelope, derive_event_id, new_envelope, reject_forbidden_data
from shared.kafka import EventPublisher
from shared.topics import Topic

from .domain import (
    Call,
    CallStatus,
    IllegalTransition,
    Program,
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
)
from .store import (
    Added,
    Admission,
    AlreadyStored,
    RecruitmentStore,
    SecondApplication,
    StaleCall,
    decision_order,
)

PRODUCER = "recruitment"
Clock = Callable[[], datetime]
# Decisions are published this many at a time: enough to keep the producer's batches full.
PUBLISH_CONCURRENCY = 200
# A selection takes seconds; one reserved longer ago than this was cut short by a crash.
SELECTION_STALE_AFTER = timedelta(minutes=10)


class RecruitmentPublishers:
    def __init__(
        self,
        submitted: EventPublisher,
        screened: EventPublisher,
        selected: EventPublisher,
        waitlisted: EventPublisher,
        rejected: EventPublisher,
    ) -> None:
        self.submitted = submitted
        self.screened = screened
        self.by_decision = {"selected": selected, "waitlisted": waitlisted, "rejected": rejected}


class RecruitmentHandlers:
    def __init__(
        self, store: RecruitmentStore, publish: RecruitmentPublishers, clock: Clock = now_kst
    ) -> None:
        self.store = store
        self.publish = publish
        self.clock = clock

    # -- events --------------------------------------------------------------------------
    async def application_submitted(self, event: Envelope[ApplicationSubmitted]) -> None:
        application = event.data
        now = self.clock()
        call = await self.store.call(application.call_id)
        refusal = call_refusal(call, application.call_id)
        outcome: Admission = Added()
        if refusal is None and call is not None:
            screening = screen_application(call, application)
            outcome = await self.store.admit(application, screening, now)
            if isinstance(outcome, SecondApplication):
                refusal = duplicate_refusal(outcome.first_application_id)
        if refusal is not None:
            screening = refused(application, refusal)
            outcome = await self.store.refuse(application, screening, now)
        if isinstance(outcome, AlreadyStored):
            screening = outcome.stored.screening  # answered the same as the first time
        # The id derives from the application: a redelivery or a re-sent application_id
        # publishes the same event again, and consumers drop the copy.
        await self.publish.screened.publish(
            new_envelope(
                screened_event(screening, call, now),
                event_type=Topic.APPLICATION_SCREENED,
                producer=PRODUCER,
                correlation_id=event.correlation_id,
                causation_id=event.event_id,
                event_id=derive_event_id(application.application_id, Topic.APPLICATION_SCREENED),
            ),
            key=application.application_id,
        )

    # -- operator actions ----------------------------------------------------------------
    async def run_selection(self, call: Call, seed: int | None) -> dict[str, Any]:
        if call.selection_method is SelectionMethod.LOTTERY and seed is None:
            seed = secrets.randbits(63)  # recorded with the run, so the draw can be replayed
        if not await self.store.start_selection(call.id, self.clock(), SELECTION_STALE_AFTER):
            raise StaleCall(call.id)
        try:
            screenings = await self.store.screenings_for_selection(call.id)
            result = select_applicants(call, screenings, seed)
            run_id = str(uuid.uuid4())
            await self.store.record_run(run_id, result, self.clock())
            await self.store.replace_call(call.mark_selected(), CallStatus.CLOSED, run_id)
        finally:
            await self.store.end_selection(call.id)
        run = await self.store.run(run_id)
        assert run is not None
        return run

    async def publish_decisions(self, call: Call) -> int:
        run_id = await self.store.selection_run_id(call.id)
        if run_id is None:
            raise SelectionError(f"call {call.id} has no selection run")
        decisions = await self.store.decisions_of_run(run_id)
        now = self.clock()
        for start in range(0, len(decisions), PUBLISH_CONCURRENCY):
            chunk = decisions[start : start + PUBLISH_CONCURRENCY]
            await asyncio.gather(*(self._publish_decision(call, run_id, d, now) for d in chunk))
        await self.store.mark_published(run_id, now)
        await self.store.replace_call(call.publish(), CallStatus.SELECTED)
        return len(decisions)

    async def _publish_decision(
        self, call: Call, run_id: str, decision: SelectionDecision, now: datetime
    ) -> None:
        topic = f"recruitment.application.{decision.decision}"
        # Derived from the run: publishing again after a crash repeats the same events.
        await self.publish.by_decision[decision.decision].publish(
            new_envelope(
                decision.as_event(call, run_id, now),
                event_type=topic,
                producer=PRODUCER,
                correlation_id=decision.application_id,
                event_id=derive_event_id(run_id, decision.application_id, topic),
            ),
            key=decision.application_id,
        )


# -- HTTP --------------------------------------------------------------------------------
class ApplicationRequest(ContractModel):
    """A citizen's application on the web. The id is the idempotency key: a form re-sent
    with the same id is the same application. Left out, the service makes one."""

    application_id: str | None = Field(default=None, min_length=1, max_length=128)
    call_id: str = Field(min_length=1, max_length=128)
    applicant: Applicant
    preferences: Preferences = Preferences()

    @model_validator(mode="before")
    @classmethod
    def _no_resident_numbers(cls, raw: Any) -> Any:
        return reject_forbidden_data(raw)


class ApplicationAccepted(BaseModel):
    application_id: str
    status: Literal["received"] = "received"
    status_url: str


class ApplicationStatus(BaseModel):
    application_id: str
    call_id: str
    status: Literal["eligible", "ineligible", "selected", "waitlisted", "rejected"]
    reasons: list[FailedRule]
    checked_rules: list[str]
    score: float | None
    rank: int | None = None
    track: str | None = None
    waitlist_position: int | None = None


class SelectionRequest(BaseModel):
    seed: int | None = Field(
        default=None, ge=0, description="lottery seed; left out, one is drawn and recorded"
    )


def problem(status_code: int, field: str, text: str) -> HTTPException:
    """4xx bodies name the field and the problem, like request validation does."""
    return HTTPException(status_code, detail=[{"field": field, "problem": text}])


def citizen_routes(handlers: RecruitmentHandlers) -> APIRouter:
    router = APIRouter(tags=["citizens"])
    store = handlers.store

    @router.post("/applications", status_code=status.HTTP_202_ACCEPTED)
    async def apply(request: ApplicationRequest) -> ApplicationAccepted:
        """Apply to a recruitment call. Screening follows within seconds: see the status URL."""
        now = handlers.clock()
        call = await store.call(request.call_id)
        refusal = call_refusal(call, request.call_id)
        if call is None:
            raise problem(404, "call_id", "no recruitment call with this id")
        if refusal is not None or not call.accepts_applications(now):
            raise problem(409, "call_id", "this call is not taking applications now")
        application = ApplicationSubmitted(
            application_id=request.application_id or new_receipt_number(now),
            call_id=request.call_id,
            submitted_at=now,
            channel=Channel.WEB,
            applicant=request.applicant,
            preferences=request.preferences,
        )
        await handlers.publish.submitted.publish(
            new_envelope(
                application,
                event_type=Topic.APPLICATION_SUBMITTED,
                producer=PRODUCER,
                correlation_id=application.application_id,
                event_id=derive_event_id(application.application_id, Topic.APPLICATION_SUBMITTED),
            ),
            key=application.application_id,
        )
        return ApplicationAccepted(
            application_id=application.application_id,
            status_url=f"/applications/{application.application_id}",
        )

    @router.get("/applications/{application_id}")
    async def application_status(application_id: str) -> ApplicationStatus:
        """Where an application stands, with every reason."""
        stored = await store.application(application_id)
        if stored is None:
            raise problem(404, "application_id", "no application with this id (yet)")
        screening = stored.screening
        answer = ApplicationStatus(
            application_id=application_id,
            call_id=screening.call_id,
            status="eligible" if screening.eligible else "ineligible",
            reasons=list(screening.failed_rules),
            checked_rules=list(screening.checked_rules),
            score=screening.score,
        )
        run_id = await store.selection_run_id(screening.call_id)
        decision = await store.published_decision(run_id, application_id) if run_id else None
        if decision is None:
            return answer
        return answer.model_copy(
            update={
                "status": decision.decision,
                "reasons": list(decision.reasons),
                "rank": decision.rank,
                "track": decision.track,
                "waitlist_position": decision.waitlist_position,
            }
        )

    return router


def operator_routes(handlers: RecruitmentHandlers) -> APIRouter:
    router = APIRouter(tags=["operators"])
    store = handlers.store

    async def existing_call(call_id: str) -> Call:
        call = await store.call(call_id)
        if call is None:
            raise problem(404, "call_id", "no recruitment call with this id")
        return call

    @router.get("/programs")
    async def programs() -> list[Program]:
        return await store.programs()

    @router.post("/programs", status_code=status.HTTP_201_CREATED)
    async def add_program(program: Program) -> Program:
        """Adding a program is adding data: its calls carry the rules."""
        if not await store.add_program(program):
            raise problem(409, "id", "a program with this id exists")
        return program

    @router.get("/calls")
    async def calls(program_id: str | None = None) -> list[Call]:
        return await store.calls(program_id)

    @router.get("/calls/{call_id}")
    async def call_detail(call_id: str) -> dict[str, Any]:
        call = await existing_call(call_id)
        return {"call": call, "applications": await store.application_counts(call_id)}

    @router.post("/calls", status_code=status.HTTP_201_CREATED)
    async def add_call(call: Call) -> Call:
        """A new call (모집 공고), with its rules as data. It starts as a draft."""
        program = await store.program(call.program_id)
        if program is None:
            raise problem(404, "program_id", "no program with this id")
        if call.program_kind is not program.kind:
            raise problem(422, "program_kind", f"the program is of kind '{program.kind}'")
        if call.status is not CallStatus.DRAFT:
            raise problem(422, "status", "a new call starts as 'draft'")
        if not await store.add_call(call):
            raise problem(409, "id", "a call with this id exists")
        return call

    async def move(call: Call, changed: Callable[[], Call]) -> Call:
        try:
            new = changed()
            await store.replace_call(new, call.status)
        except IllegalTransition as error:
            raise problem(409, "status", str(error)) from error
        except StaleCall as error:
            raise problem(409, "status", "the call changed meanwhile; reload it") from error
        return new

    @router.post("/calls/{call_id}/open")
    async def open_call(call_id: str) -> Call:
        call = await existing_call(call_id)
        return await move(call, call.open)

    @router.post("/calls/{call_id}/close")
    async def close_call(call_id: str) -> Call:
        call = await existing_call(call_id)
        # Closed before its window ends, the call takes nothing submitted from now on.
        return await move(call, lambda: call.close(handlers.clock()))

    @router.post("/calls/{call_id}/selection", status_code=status.HTTP_201_CREATED)
    async def run_selection(call_id: str, request: SelectionRequest) -> dict[str, Any]:
        """Select from the closed call's applications. The run is kept for audit."""
        call = await existing_call(call_id)
        if call.status is not CallStatus.CLOSED:
            raise problem(409, "status", f"selection needs a closed call; it is '{call.status}'")
        try:
            return await handlers.run_selection(call, request.seed)
        except SelectionError as error:
            raise problem(409, "call_id", str(error)) from error
        except StaleCall as error:
            raise problem(409, "status", "the call changed meanwhile") from error

    @router.get("/calls/{call_id}/ranking")
    async def ranking(call_id: str) -> dict[str, Any]:
        await existing_call(call_id)
        run_id = await store.selection_run_id(call_id)
        if run_id is None:
            raise problem(409, "call_id", "selection has not run for this call")
        return {"run_id": run_id, "decisions": await store.decisions_of_run(run_id)}

    @router.get("/calls/{call_id}/selection-runs")
    async def selection_runs(call_id: str) -> list[dict[str, Any]]:
        """Audit: every selection run with its method, seed, counts and times. Only the run
        that moved the call to 'selected' is `counted`; one that lost a race with another
        operator's, or was cut short by a crash, stays listed for the record."""
        await existing_call(call_id)
        counted = await store.selection_run_id(call_id)
        return [run | {"counted": run["run_id"] == counted} for run in await store.runs(call_id)]

    @router.get("/calls/{call_id}/selection-runs/{run_id}/replay")
    async def replay(call_id: str, run_id: str) -> dict[str, Any]:
        """Audit: run the selection again from the stored screenings and seed, and compare."""
        call = await existing_call(call_id)
        run = await store.run(run_id)
        if run is None or run["call_id"] != call_id:
            raise problem(404, "run_id", "no selection run with this id for this call")
        stored = await store.decisions_of_run(run_id)
        closed = call.model_copy(update={"status": CallStatus.CLOSED})
        again = select_applicants(
            closed, await store.screenings_for_selection(call_id), run["seed"]
        )
        replayed = sorted(again.decisions, key=decision_order)
        return {"run_id": run_id, "seed": run["seed"], "identical": replayed == stored}

    @router.post("/calls/{call_id}/publish")
    async def publish(call_id: str) -> dict[str, Any]:
        """Send every decision of the selection to the applicants (as events), once."""
        call = await existing_call(call_id)
        if call.status is not CallStatus.SELECTED:
            raise problem(409, "status", f"publishing needs a selected call; it is '{call.status}'")
        try:
            count = await handlers.publish_decisions(call)
        except StaleCall as error:
            raise problem(409, "status", "the call changed meanwhile") from error
        return {"call_id": call_id, "published": count}

    return router
