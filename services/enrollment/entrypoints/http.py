"""HTTP routes of the enrollment service: they translate, the use cases decide."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from .. import use_cases
from ..use_cases import Ports


class EnrollmentView(BaseModel):
    enrollment_id: str
    application_id: str
    applicant_id: str
    call_id: str
    program_id: str
    track: str | None
    rank: int | None
    selected_at: datetime


class ApplicantEnrollments(BaseModel):
    applicant_id: str
    enrollments: list[EnrollmentView]


def routes(ports: Ports) -> APIRouter:
    router = APIRouter(tags=["enrollment"])

    @router.get("/applicants/{applicant_id}/enrollments")
    async def enrollments(applicant_id: str) -> ApplicantEnrollments:
        found = await use_cases.enrollments_of(ports, applicant_id)
        return ApplicantEnrollments(
            applicant_id=applicant_id,
            enrollments=[EnrollmentView.model_validate(e, from_attributes=True) for e in found],
        )

    return router
