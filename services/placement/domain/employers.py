"""Employers known to placement: those that post openings, and partner employers of the
"employment first, study later" pathway (선취업-후학습, the Vocational Education Innovation
District's): a hire confirmed at such an employer makes the person eligible for the study
course linked to it, which enrollment then offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.placement import Employer, StudyPathwayOpened

from .employment import Employment


@dataclass(frozen=True)
class StudyCourse:
    """The course a partner employer's hires may take while they work."""

    program_id: str
    course_id: str
    course_name: str


@dataclass(frozen=True)
class RegisteredEmployer:
    business_no: str
    name: str
    study_course: StudyCourse | None = None

    @property
    def is_pathway_partner(self) -> bool:
        return self.study_course is not None


def pathway_opened(
    employment: Employment, employer: RegisteredEmployer | None, at: datetime
) -> StudyPathwayOpened | None:
    """The pathway this confirmed employment opens: none unless the employer is a partner."""
    if employer is None or employer.study_course is None:
        return None
    course = employer.study_course
    return StudyPathwayOpened(
        applicant_id=employment.applicant_id,
        employment_id=employment.employment_id,
        employer=Employer(business_no=employer.business_no, name=employment.employer.name),
        job_title=employment.job_title,
        start_date=employment.start_date,
        program_id=course.program_id,
        course_id=course.course_id,
        course_name=course.course_name,
        opened_at=at,
    )
