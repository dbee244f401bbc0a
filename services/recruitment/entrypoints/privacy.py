"""Privacy routes of the recruitment service (docs/decisions/0006): a citizen's right of
access to what recruitment holds about them, and the operators' retention purge.

Who may call what (shared/auth.py): a citizen reads their own data; an operator of every
program reads a citizen's data to answer their written request; auditors do not read
personal data. Only an operator of every program runs the retention purge. Both go to the
audit log when an operator calls them (ids only, never the data)."""

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.audit import Audit
from shared.auth import Forbidden, Operator
from shared.contracts.recruitment import ApplicationSubmitted
from shared.personal_data import PersonalDataSettings
from shared.privacy import CitizenOrOperator, may_export

from .. import use_cases
from ..domain import Screening, SelectionDecision
from ..use_cases import Ports


class ApplicationHeld(BaseModel):
    application_id: str
    call_id: str
    received_at: datetime | None
    application: ApplicationSubmitted | None = Field(
        description="as submitted, personal data decrypted; null once purged by retention"
    )
    screening: Screening
    refused: bool
    decisions: list[SelectionDecision] = Field(
        description="every selection decision about the application, of every run"
    )
    personal_data_purged_at: datetime | None


class CitizenDataView(BaseModel):
    service: str = "recruitment"
    applicant_id: str
    applications: list[ApplicationHeld]


class RetentionRun(BaseModel):
    retention_days: int
    purged: dict[str, int] = Field(
        description="per call purged now: how many applications lost their personal data"
    )


def retention_of(settings: PersonalDataSettings | None = None) -> timedelta:
    days = (settings or PersonalDataSettings.load()).personal_data_retention_days
    return use_cases.DEFAULT_RETENTION if days is None else timedelta(days=days)


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    @router.get("/citizens/{applicant_id}/data")
    async def citizen_data(
        applicant_id: str, who: CitizenOrOperator, audit: Audit
    ) -> CitizenDataView:
        """Everything recruitment holds about one citizen (right of access), personal data
        decrypted: each application as submitted, its screening and every selection
        decision about it. For that citizen only (a citizen token whose subject is this
        `applicant_id`), or an operator of every program answering the citizen's written
        request; never for anyone else."""
        await may_export(who, applicant_id, audit)
        held = await use_cases.citizen_data(ports, applicant_id)
        return CitizenDataView(
            applicant_id=held.applicant_id,
            applications=[
                ApplicationHeld.model_validate(a, from_attributes=True) for a in held.applications
            ],
        )

    return router


def operator_routes(ports: Ports, retention: timedelta | None = None) -> APIRouter:
    """`retention` left out: PERSONAL_DATA_RETENTION_DAYS, else recruitment's default."""
    kept_for = retention if retention is not None else retention_of()
    router = APIRouter(tags=["privacy"])

    @router.post("/privacy/retention/run")
    async def run_retention(who: Operator, audit: Audit) -> RetentionRun:
        """An operator of every program (or a scheduled job with such a token): drop the
        personal data of the applicants of every call whose programme ended longer ago than
        the retention period; screenings, decisions and counts stay as anonymous
        statistics. Safe to repeat."""
        if not who.operates_everything:
            raise Forbidden("role", "retention spans every program: an operator of all of them")
        purged = await use_cases.purge_expired_personal_data(ports, kept_for)
        await audit.record(
            "personal_data.purged",
            ",".join(sorted(purged)) or "-",
            applications=sum(purged.values()),
        )
        return RetentionRun(retention_days=kept_for.days, purged=purged)

    return router
