"""HTTP routes of the recruitment service: they translate, the use cases decide. A use case
that cannot do what was asked raises a `shared.problems.Problem`, which the runtime answers
with its status and the field at fault.

Who may call what (shared/auth.py): a citizen applies for themself and reads their own
applications; a partner system submits applications for anyone; an operator acts on the calls
of the programs in their token; an auditor reads selection runs, rankings and replays. The
catalog (programs, calls) is readable with any token. Operator actions go to the audit log."""

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, model_validator

from shared.audit import Audit
from shared.auth import (
    Anyone,
    CitizenOrStaff,
    Forbidden,
    Operator,
    OperatorOrAuditor,
    Principal,
    Role,
    Submitter,
)
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


async def _call_of(ports: Ports, who: Principal, call_id: str) -> Call:
    """The call, if `who` operates its program (or audits: auditors read every call)."""
    call = await use_cases.existing_call(ports, call_id)
    if not who.has(Role.AUDITOR):
        who.require_program(call.program_id)
    return call


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["citizens"])

    @router.post("/applications", status_code=status.HTTP_202_ACCEPTED)
    async def apply(request: ApplicationRequest, who: Submitter) -> ApplicationAccepted:
        """Apply to a recruitment call (a citizen for themself, a partner system for anyone).
        Screening follows within seconds: see the status URL."""
        if not who.has(Role.PARTNER) and request.applicant.applicant_id != who.subject:
            raise Forbidden("applicant.applicant_id", "a citizen applies only for themself")
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
    async def application_status(application_id: str, who: CitizenOrStaff) -> ApplicationStatus:
        """Where an application stands, with every reason (the applicant's own, or one of a
        call an operator runs)."""
        standing = await use_cases.application_standing(ports, application_id)
        screening, decision = standing.screening, standing.decision
        if not (who.has(Role.CITIZEN) and who.subject == screening.applicant_id):
            call = await use_cases.existing_call(ports, screening.call_id)
            who.require_self_or_staff(screening.applicant_id, program_id=call.program_id)
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
    async def programs(_: Anyone) -> list[Program]:
        return await use_cases.programs(ports)

    @router.post("/programs", status_code=status.HTTP_201_CREATED)
    async def add_program(program: Program, who: Operator, audit: Audit) -> Program:
        """Adding a program is adding data: its calls carry the rules. The operator's token
        names the new program's id (or "*")."""
        who.require_program(program.id)
        added = await use_cases.add_program(ports, program)
        await audit.record("program.added", program.id)
        return added

    @router.get("/calls")
    async def calls(_: Anyone, program_id: str | None = None) -> list[Call]:
        return await use_cases.calls(ports, program_id)

    @router.get("/calls/{call_id}")
    async def call_detail(call_id: str, _: Anyone) -> CallDetail:
        call = await use_cases.existing_call(ports, call_id)
        return CallDetail(
            call=call, applications=await use_cases.application_counts(ports, call_id)
        )

    @router.post("/calls", status_code=status.HTTP_201_CREATED)
    async def add_call(call: Call, who: Operator, audit: Audit) -> Call:
        """A new call (모집 공고), with its rules as data. It starts as a draft."""
        who.require_program(call.program_id)
        added = await use_cases.add_call(ports, call)
        await audit.record("call.added", call.id, program_id=call.program_id)
        return added

    @router.post("/calls/{call_id}/open")
    async def open_call(call_id: str, who: Operator, audit: Audit) -> Call:
        await _call_of(ports, who, call_id)
        opened = await use_cases.open_call(ports, call_id)
        await audit.record("call.opened", call_id)
        return opened

    @router.post("/calls/{call_id}/close")
    async def close_call(call_id: str, who: Operator, audit: Audit) -> Call:
        await _call_of(ports, who, call_id)
        closed = await use_cases.close_call(ports, call_id)
        await audit.record("call.closed", call_id)
        return closed

    @router.post("/calls/{call_id}/selection", status_code=status.HTTP_201_CREATED)
    async def run_selection(
        call_id: str, request: SelectionRequest, who: Operator, audit: Audit
    ) -> SelectionRunView:
        """Select from the closed call's applications. The run is kept for audit."""
        await _call_of(ports, who, call_id)
        run = await use_cases.run_selection(ports, call_id, request.seed)
        await audit.record(
            "selection.ran", call_id, run_id=run.run_id, method=run.method, seed=run.seed
        )
        return SelectionRunView.of(run)

    @router.get("/calls/{call_id}/ranking")
    async def ranking(call_id: str, who: OperatorOrAuditor) -> Ranking:
        await _call_of(ports, who, call_id)
        run_id, decisions = await use_cases.ranking(ports, call_id)
        return Ranking(run_id=run_id, decisions=decisions)

    @router.get("/calls/{call_id}/selection-runs")
    async def selection_runs(call_id: str, who: OperatorOrAuditor) -> list[SelectionRunView]:
        """Audit: every selection run with its method, seed, counts and times. Only the run
        that moved the call to 'selected' is `counted`; one that lost a race with another
        operator's, or was cut short by a crash, stays listed for the record."""
        await _call_of(ports, who, call_id)
        counted, runs = await use_cases.selection_runs(ports, call_id)
        return [SelectionRunView.of(run, run.run_id == counted) for run in runs]

    @router.get("/calls/{call_id}/selection-runs/{run_id}/replay")
    async def replay(call_id: str, run_id: str, who: OperatorOrAuditor) -> Replay:
        """Audit: run the selection again from the stored screenings and seed, and compare."""
        await _call_of(ports, who, call_id)
        run, identical = await use_cases.replay(ports, call_id, run_id)
        return Replay(run_id=run_id, seed=run.seed, identical=identical)

    @router.post("/calls/{call_id}/publish")
    async def publish(call_id: str, who: Operator, audit: Audit) -> Published:
        """Send every decision of the selection to the applicants (as events), once."""
        await _call_of(ports, who, call_id)
        published = await use_cases.publish_decisions(ports, call_id)
        await audit.record("selection.published", call_id, published=published)
        return Published(call_id=call_id, published=published)

    return router
