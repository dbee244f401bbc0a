"""enrollment.* payloads (key: `enrollment_id`, or `cohort_id` for cohort events)."""

from datetime import date

from pydantic import AwareDatetime, Field

from shared.contracts.common import ContractModel


class PublicJobAssignment(ContractModel):
    """For public-job programs: where and on what terms the citizen works."""

    workplace: str
    workplace_address: str
    start_date: date
    end_date: date | None = None
    hours_per_day: int = Field(ge=1, le=12)
    monthly_pay_krw: int = Field(ge=0)


class EnrollmentConfirmed(ContractModel):
    enrollment_id: str
    application_id: str
    applicant_id: str
    cohort_id: str
    program_name: str
    course_name: str
    campus_name: str
    campus_address: str
    start_date: date
    assignment: PublicJobAssignment | None = None
    confirmed_at: AwareDatetime


class EnrollmentWithdrawn(ContractModel):
    enrollment_id: str
    applicant_id: str
    cohort_id: str
    reason: str
    withdrawn_at: AwareDatetime


class CourseRecommendation(ContractModel):
    """After a taster course (원데이 클래스): the regular course it leads to and, when one is
    taking applications or will, the cohort and the recruitment call to apply to."""

    course_name: str
    cohort_id: str | None = None
    campus_name: str | None = None
    start_date: date | None = None
    call_id: str | None = Field(
        default=None, description="the recruitment call to apply to (POST /applications)"
    )


class EnrollmentCompleted(ContractModel):
    enrollment_id: str
    applicant_id: str
    cohort_id: str
    program_name: str
    course_name: str
    survey_url: str
    completed_at: AwareDatetime
    recommended_course: CourseRecommendation | None = Field(
        default=None, description="a taster course's regular course; null for any other course"
    )
    campus_id: str | None = Field(default=None, description="where the cohort was taught")
    campus_name: str | None = None
    term: str | None = Field(
        default=None,
        description="the half-year the cohort started in: `2025-H1` (상반기) or `2025-H2` (하반기)",
        examples=["2025-H2"],
    )


class CohortFilled(ContractModel):
    cohort_id: str
    capacity: int
    filled_at: AwareDatetime


class WaitlistPromoted(ContractModel):
    """A seat became free and is offered to the next person on the waitlist."""

    offer_id: str
    application_id: str
    applicant_id: str
    cohort_id: str
    program_name: str
    course_name: str
    offer_deadline: AwareDatetime
    promoted_at: AwareDatetime
