"""Privacy routes of the enrollment service (docs/decisions/0006): a citizen's right of access
to what enrollment holds about them. Enrollment stores no name, phone, e-mail or birth date
(a citizen is known here by the pseudonymous `applicant_id`), so it has nothing to seal and
its retention purge is recruitment's: what stays here is pseudonymous by construction.

Who may call it (shared/privacy.py): the citizen themself, or an operator of every program
answering the citizen's written request (audited)."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from shared.audit import Audit
from shared.privacy import CitizenOrOperator, may_export

from .. import use_cases
from ..domain.enrollment import PendingEnrollment
from ..domain.seats import Seat
from ..domain.survey import Answers
from ..use_cases import Ports


class SeatHeld(BaseModel):
    cohort_id: str
    seat: Seat


class MarkHeld(BaseModel):
    enrollment_id: str
    session: int
    present: bool
    recorded_at: datetime


class SurveyHeld(BaseModel):
    enrollment_id: str
    cohort_id: str
    answers: Answers
    answered_at: datetime


class CitizenDataView(BaseModel):
    service: str = "enrollment"
    applicant_id: str
    seats: list[SeatHeld] = Field(description="offers, waitlist places and enrollments")
    pending: list[PendingEnrollment] = Field(
        description="selected by a call that fills no cohort (public jobs)"
    )
    attendance: list[MarkHeld] = Field(description="every mark recorded, corrections included")
    surveys: list[SurveyHeld]


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    @router.get("/citizens/{applicant_id}/data")
    async def citizen_data(
        applicant_id: str, who: CitizenOrOperator, audit: Audit
    ) -> CitizenDataView:
        """Everything enrollment holds about one citizen (right of access): seats in every
        cohort, pending enrollments, attendance marks and survey answers. For that citizen
        only (a citizen token whose subject is this `applicant_id`), or an operator of every
        program answering the citizen's written request; never for anyone else."""
        await may_export(who, applicant_id, audit)
        held = await use_cases.citizen_data(ports, applicant_id)
        return CitizenDataView(
            applicant_id=held.applicant_id,
            seats=[SeatHeld(cohort_id=v.cohort_id, seat=v.seat) for v in held.seats],
            pending=held.pending,
            attendance=[
                MarkHeld(
                    enrollment_id=m.mark.enrollment_id,
                    session=m.mark.session,
                    present=m.mark.present,
                    recorded_at=m.recorded_at,
                )
                for m in held.attendance
            ],
            surveys=[
                SurveyHeld(
                    enrollment_id=r.enrollment_id,
                    cohort_id=r.cohort_id,
                    answers=r.answers,
                    answered_at=r.answered_at,
                )
                for r in held.surveys
            ],
        )

    return router
