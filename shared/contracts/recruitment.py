"""recruitment.application.* payloads."""

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from shared.contracts.common import ContractModel, EmailAddress


class Channel(StrEnum):
    WEB = "web"
    DISTRICT_OFFICE = "district_office"
    PARTNER_SYSTEM = "partner_system"


class EmploymentStatus(StrEnum):
    UNEMPLOYED = "unemployed"
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    STUDENT = "student"


class IncomeCategory(StrEnum):
    BASIC_LIVELIHOOD = "basic_livelihood"
    NEAR_POOR = "near_poor"
    GENERAL = "general"


class Address(ContractModel):
    sido: str = Field(min_length=1, examples=["서울특별시"])
    sigungu: str = Field(min_length=1, examples=["금천구"])


class Household(ContractModel):
    is_head: bool
    single_person: bool


class UnemploymentBenefit(ContractModel):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> "UnemploymentBenefit":
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Consents(ContractModel):
    sms: bool
    email: bool


PHONE_PATTERN = r"^01[016789]-?\d{3,4}-?\d{4}$"


class Applicant(ContractModel):
    applicant_id: str = Field(min_length=1, max_length=128)
    name: str = Field(min_length=1, max_length=100)
    birth_date: date
    phone: str = Field(pattern=PHONE_PATTERN, examples=["010-1234-5678"])
    email: EmailAddress | None = None
    address: Address
    nationality: str = Field(pattern=r"^[A-Z]{2}$", examples=["KR"])
    student_visa: bool = False
    household: Household
    employment_status: EmploymentStatus
    unemployment_benefit: UnemploymentBenefit | None = None
    income_category: IncomeCategory
    national_merit: bool = False
    veteran_discharged_on: date | None = None
    military_service_months: int | None = Field(
        default=None,
        ge=0,
        le=600,
        examples=[21],
        description=(
            "length of military service; for a discharged veteran it extends an age ceiling"
            " by that period, capped at 3 years. Null or absent = unknown"
        ),
    )
    consents: Consents

    @property
    def phone_digits(self) -> str:
        return self.phone.replace("-", "")


class Preferences(ContractModel):
    campus_id: str | None = None
    course_id: str | None = None


class ApplicationSubmitted(ContractModel):
    """Inbound, key `application_id`. Also what the recruitment HTTP API publishes."""

    application_id: str = Field(min_length=1, max_length=128)
    call_id: str = Field(min_length=1, max_length=128)
    submitted_at: AwareDatetime
    channel: Channel
    applicant: Applicant
    preferences: Preferences = Preferences()


class FailedRule(ContractModel):
    """A rule the applicant did not meet: a stable code and a sentence the citizen understands."""

    code: str = Field(examples=["age.too_young"])
    message: str = Field(examples=["신청일 기준 만 18세 이상이어야 합니다."])


class ApplicationScreened(ContractModel):
    """Outbound, key `application_id`: eligible or not, with every failed rule."""

    application_id: str
    call_id: str
    applicant_id: str
    program_id: str
    call_title: str
    eligible: bool
    failed_rules: list[FailedRule] = Field(default_factory=list)
    checked_rules: list[str] = Field(
        default_factory=list, description="codes of every rule evaluated"
    )
    score: float | None = None
    screened_at: AwareDatetime


Track = Literal["priority", "general"]
Decision = Literal["selected", "waitlisted", "rejected"]


class ApplicationDecided(ContractModel):
    """Outbound on recruitment.application.{selected,waitlisted,rejected}, key `application_id`."""

    application_id: str
    call_id: str
    applicant_id: str
    program_id: str
    call_title: str
    decision: Decision
    rank: int | None = Field(default=None, description="1-based rank within the call")
    score: float | None = None
    track: Track | None = None
    waitlist_position: int | None = Field(default=None, description="1-based, waitlisted only")
    reasons: list[FailedRule] = Field(default_factory=list)
    selection_run_id: str
    decided_at: AwareDatetime
