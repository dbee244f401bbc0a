"""Privacy routes of the placement service (docs/decisions/0006): a citizen's right of access
to what placement holds about them. Placement stores no name, phone, e-mail or birth date (a
citizen is known here by the pseudonymous `applicant_id`; employers are businesses), so it has
nothing to seal.

Who may call it (shared/privacy.py): the citizen themself, or an operator of every program
answering the citizen's written request (audited)."""

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from shared.audit import Audit
from shared.contracts.placement import EmploymentReported, PublicJobAssigned
from shared.privacy import CitizenOrOperator, may_export

from .. import use_cases
from ..adapters.store import Unplaced
from ..domain.assignment import StatedPreferences
from ..domain.employment import Employment
from ..domain.outcomes import Completion
from ..use_cases import Ports


class ReferralHeld(BaseModel):
    referral_id: str
    opening_id: str
    business_no: str
    coordinator: str
    referred_at: datetime


class InterviewHeld(BaseModel):
    matching_day_id: str
    day: date
    business_no: str
    slot: int | None
    starts_at: datetime | None  # None: requested, but the day had no slot left


class CitizenDataView(BaseModel):
    service: str = "placement"
    applicant_id: str
    employments: list[Employment]
    employment_reports: list[EmploymentReported]
    completions: list[Completion]
    assignments: list[PublicJobAssigned]
    unplaced: list[Unplaced]
    preferences: list[StatedPreferences]
    profile: dict[str, Any] | None
    referrals: list[ReferralHeld]
    interviews: list[InterviewHeld]


def citizen_routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    @router.get("/citizens/{applicant_id}/data")
    async def citizen_data(
        applicant_id: str, who: CitizenOrOperator, audit: Audit
    ) -> CitizenDataView:
        """Everything placement holds about one citizen (right of access): jobs and the
        reports about them, completions, public-job assignments and stated preferences, the
        graduate profile, referrals and matching-day interviews. For that citizen only (a
        citizen token whose subject is this `applicant_id`), or an operator of every program
        answering the citizen's written request; never for anyone else."""
        await may_export(who, applicant_id, audit)
        held = await use_cases.citizen_data(ports, applicant_id)
        interviews = [
            InterviewHeld(
                matching_day_id=day.matching_day_id,
                day=day.day,
                business_no=i.business_no,
                slot=i.slot,
                starts_at=i.starts_at,
            )
            for day in held.matching_days
            for i in day.schedule.interviews
            if i.applicant_id == applicant_id
        ] + [
            InterviewHeld(
                matching_day_id=day.matching_day_id,
                day=day.day,
                business_no=r.business_no,
                slot=None,
                starts_at=None,
            )
            for day in held.matching_days
            for r in day.schedule.unscheduled
            if r.applicant_id == applicant_id
        ]
        return CitizenDataView(
            applicant_id=held.applicant_id,
            employments=held.employments,
            employment_reports=held.employment_reports,
            completions=held.completions,
            assignments=held.assignments,
            unplaced=held.unplaced,
            preferences=held.preferences,
            profile=held.profile,
            referrals=[
                ReferralHeld(
                    referral_id=r.referral_id,
                    opening_id=r.opening_id,
                    business_no=r.business_no,
                    coordinator=r.coordinator,
                    referred_at=r.referred_at,
                )
                for r in held.referrals
            ],
            interviews=interviews,
        )

    return router
