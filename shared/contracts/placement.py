"""placement.* payloads."""

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, Field

from shared.contracts.common import ContractModel


class EmploymentType(StrEnum):
    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"
    PART_TIME = "part_time"


class ReportSource(StrEnum):
    EMPLOYMENT_INSURANCE = "employment_insurance"
    EMPLOYER = "employer"
    SELF_REPORT = "self_report"


class Employer(ContractModel):
    business_no: str = Field(pattern=r"^\d{3}-\d{2}-\d{5}$", examples=["123-45-67890"])
    name: str = Field(min_length=1)


class EmploymentReported(ContractModel):
    """Inbound, key `applicant_id`."""

    report_id: str = Field(min_length=1, max_length=128)
    applicant_id: str = Field(min_length=1, max_length=128)
    employer: Employer
    job_title: str = Field(min_length=1)
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    reported_at: AwareDatetime


class EmploymentConfirmed(ContractModel):
    """Outbound, key `applicant_id`."""

    report_id: str
    applicant_id: str
    employer_name: str
    job_title: str
    employment_type: EmploymentType
    start_date: date
    source: ReportSource
    confirmed_at: AwareDatetime


# -- placement's own events, beside the published contract ------------------------------------
# Topics in shared.topics.InternalTopic: read by the platform's other services (notify,
# enrollment), documented in placement's AsyncAPI; additive, so the contract above is unchanged.


class PublicJobTerms(ContractModel):
    """Where and on what terms a citizen works in a public job: the fields notify's
    `public_job_assigned` template shows, and what the monthly pay is made of."""

    workplace: str
    workplace_address: str
    start_date: date
    end_date: date
    hours_per_day: int = Field(ge=1, le=8)
    days_per_week: int = Field(ge=1, le=5)
    hourly_wage_krw: int = Field(gt=0)
    monthly_paid_hours: int = Field(
        description="(weekly hours + paid weekly-holiday hours) × 365/7/12, whole hours"
    )
    monthly_pay_krw: int = Field(ge=0, description="a full month, allowances included")
    first_month_pay_krw: int = Field(
        ge=0, description="the term's first calendar month: pro rata by working days if partial"
    )


class PreferenceMatched(StrEnum):
    PROJECT = "project"  # the project the applicant asked for
    DISTRICT = "district"  # a project in the district the applicant asked for
    HOME_DISTRICT = "home_district"  # a project in the district the applicant lives in
    NONE = "none"  # no preference given, or none could be met: the project with most room


class PublicJobAssigned(ContractModel):
    """`placement.public-job.assigned`, key `application_id`: a selected applicant of a
    public-job program has a position. What the citizen hears (notify: `public_job_assigned`)."""

    assignment_id: str
    application_id: str
    applicant_id: str
    call_id: str
    program_id: str
    program_name: str = Field(examples=["서울 동행일자리"])
    category: str = Field(examples=["사회안전"])
    project_id: str
    course_name: str = Field(
        examples=["빗물받이 관리자"],
        description="the project (사업) the citizen works in; named as the other "
        "citizen-facing events name what a citizen takes part in",
    )
    assignment: PublicJobTerms
    preference: PreferenceMatched
    assigned_at: AwareDatetime


class StudyPathwayOpened(ContractModel):
    """`placement.study-pathway.opened`, key `applicant_id`: employment first, study later
    (선취업-후학습). A confirmed hire at a partner employer makes the person eligible for the
    study course linked to that employer; enrollment can offer it."""

    applicant_id: str
    employment_id: str
    employer: Employer
    job_title: str
    start_date: date
    program_id: str
    course_id: str
    course_name: str
    opened_at: AwareDatetime
