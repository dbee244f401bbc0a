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
