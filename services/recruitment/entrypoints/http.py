"""HTTP routes of the recruitment service: they translate, the use cases decide. A use case
that cannot do what was asked raises a `shared.problems.Problem`, which the runtime answers
with its status and the field at fault."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, model_validator

from shared.contracts.common import ContractModel
from shared.contracts.recruitment import Applicant, FailedRule, Preferences
from shared.envelope import reject_forbidden_data

from .. import use_cases
from ..adapters.store import SelectionRun
from ..domain import Call, Program, SelectionDecision
from ..use_cases import Ports


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


class SelectionRunView(BaseModel):
    run_id: str
    call_id: str
    method: str
    seed: int | None
    quota: int
    priority_seats: int
    counts: dict[str, int]
    ran_at: datetime
    published_at: datetime | None
    counted: bool | None = None

    @classmethod
    def of(cls, run: SelectionRun, counted: bool | None = None) -> "SelectionRunView":
        return cls.model_validate(run, from_attributes=True).model_copy(update={"counted": counted})


class CallDetail(BaseModel):
    call: Call
    applications: dict[str, int]


class Ranking(BaseModel):
    run_id: str
    decisions: list[SelectionDecision]


class Replay(BaseModel):
    run_id: str
    seed: int | None
    identical: bool


class Published(BaseModel):
    call_id: str
    published: int


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["citizens"])

    @router.post("/applications", status_code=status.HTTP_202_ACCEPTED)
    async def apply(request: ApplicationRequest) -> ApplicationAccepted:
        """Apply to a recruitment call. Screening follows within seconds: see the status URL."""
        application = await use_cases.apply_on_the_web(
            ports,
            call_id=request.call_id,
            applicant=request.applicant,
            preferences=request.preferences,
            application_id=request.application_id,
        )
        return ApplicationAccepted(
            application_id=application.application_id,
            status_url=f"/applications/{application.application_id}",
        )

    @router.get("/applications/{application_id}")
    async def application_status(application_id: str) -> ApplicationStatus:
        """Where an application stands, with every reason."""
        standing = await use_cases.application_standing(ports, application_id)
        screening, decision = standing.screening, standing.decision
        answer = ApplicationStatus(
            application_id=application_id,
            call_id=screening.call_id,
            status="eligible" if screening.eligible else "ineligible",
            reasons=list(screening.failed_rules),
            checked_rules=list(screening.checked_rules),
            score=screening.score,
        )
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


def operator_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["operators"])

    @router.get("/programs")
    async def programs() -> list[Program]:
        return await use_cases.programs(ports)

    @router.post("/programs", status_code=status.HTTP_201_CREATED)
    async def add_program(program: Program) -> Program:
        """Adding a program is adding data: its calls carry the rules."""
        return await use_cases.add_program(ports, program)

    @router.get("/calls")
    async def calls(program_id: str | None = None) -> list[Call]:
        return await use_cases.calls(ports, program_id)

    @router.get("/calls/{call_id}")
    async def call_detail(call_id: str) -> CallDetail:
        call = await use_cases.existing_call(ports, call_id)
        return CallDetail(
            call=call, applications=await use_cases.application_counts(ports, call_id)
        )

    @router.post("/calls", status_code=status.HTTP_201_CREATED)
    async def add_call(call: Call) -> Call:
        """A new call (모집 공고), with its rules as data. It starts as a draft."""
        return await use_cases.add_call(ports, call)

    @router.post("/calls/{call_id}/open")
    async def open_call(call_id: str) -> Call:
        return await use_cases.open_call(ports, call_id)

    @router.post("/calls/{call_id}/close")
    async def close_call(call_id: str) -> Call:
        return await use_cases.close_call(ports, call_id)

    @router.post("/calls/{call_id}/selection", status_code=status.HTTP_201_CREATED)
    async def run_selection(call_id: str, request: SelectionRequest) -> SelectionRunView:
        """Select from the closed call's applications. The run is kept for audit."""
        return SelectionRunView.of(await use_cases.run_selection(ports, call_id, request.seed))

    @router.get("/calls/{call_id}/ranking")
    async def ranking(call_id: str) -> Ranking:
        run_id, decisions = await use_cases.ranking(ports, call_id)
        return Ranking(run_id=run_id, decisions=decisions)

    @router.get("/calls/{call_id}/selection-runs")
    async def selection_runs(call_id: str) -> list[SelectionRunView]:
        """Audit: every selection run with its method, seed, counts and times. Only the run
        that moved the call to 'selected' is `counted`; one that lost a race with another
        operator's, or was cut short by a crash, stays listed for the record."""
        counted, runs = await use_cases.selection_runs(ports, call_id)
        return [SelectionRunView.of(run, run.run_id == counted) for run in runs]

    @router.get("/calls/{call_id}/selection-runs/{run_id}/replay")
    async def replay(call_id: str, run_id: str) -> Replay:
        """Audit: run the selection again from the stored screenings and seed, and compare."""
        run, identical = await use_cases.replay(ports, call_id, run_id)
        return Replay(run_id=run_id, seed=run.seed, identical=identical)

    @router.post("/calls/{call_id}/publish")
    async def publish(call_id: str) -> Published:
        """Send every decision of the selection to the applicants (as events), once."""
        return Published(
            call_id=call_id, published=await use_cases.publish_decisions(ports, call_id)
        )

    return router
