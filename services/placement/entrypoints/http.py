"""HTTP routes of the placement service: they translate, the use cases decide."""

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from shared.contracts.placement import Employer, EmploymentReported, EmploymentType, ReportSource

from .. import use_cases
from ..domain.employment import Employment
from ..use_cases import Ports


class EmploymentView(BaseModel):
    employment_id: str
    employer: Employer
    job_title: str
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    confirmed_by: str
    confirmed_at: datetime

    @classmethod
    def of(cls, employment: Employment) -> "EmploymentView":
        return cls(
            employment_id=employment.employment_id,
            employer=employment.employer,
            job_title=employment.job_title,
            employment_type=employment.employment_type,
            start_date=employment.start_date,
            source=employment.source,
            confirmed_by=employment.confirmed_by,
            confirmed_at=employment.confirmed_at,
        )


class ApplicantEmployments(BaseModel):
    applicant_id: str
    employments: list[EmploymentView]
    reports: list[EmploymentReported]


def routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["placement"])

    @router.get("/applicants/{applicant_id}/employments")
    async def employments(applicant_id: str) -> ApplicantEmployments:
        """Confirmed employments of a citizen, and every report received about them."""
        return ApplicantEmployments(
            applicant_id=applicant_id,
            employments=[
                EmploymentView.of(e) for e in await use_cases.employments_of(ports, applicant_id)
            ],
            reports=await use_cases.reports_of(ports, applicant_id),
        )

    return router
