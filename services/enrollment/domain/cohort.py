"""Cohorts (기수): one course at one campus in one term, with a fixed number of seats.

A cohort is plain data: where (campus, district, address), what (course, field, the regular
course a taster leads to), when (start, end, sessions), for whom (ages), how many (capacity),
which recruitment call fills it, and the rules of its program (attendance rate for completion,
how long an offer stays open, how long after the start a freed seat is offered again). The seed
catalog (`services/enrollment/catalog/*.yaml`) and operators over HTTP add cohorts the same way.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clock import SEOUL

from .districts import DISTRICTS


class Spec(BaseModel):
    """Strict and immutable: a misspelt key is an error, never a rule that silently does
    nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TrainingField(StrEnum):
    """What a course trains for (분야): what a citizen searches the catalog by."""

    AI_DATA = "ai_data"
    SOFTWARE = "software"
    COOKING = "cooking"
    BAKING = "baking"
    ONLINE_COMMERCE = "online_commerce"
    AUTOMOTIVE = "automotive"
    BUILDING = "building"
    ELECTRICAL = "electrical"
    MANUFACTURING = "manufacturing"
    SECURITY = "security"
    CARE = "care"


FIELD_LABELS = {
    TrainingField.AI_DATA: "AI·빅데이터",
    TrainingField.SOFTWARE: "SW·클라우드",
    TrainingField.COOKING: "조리",
    TrainingField.BAKING: "제과·제빵",
    TrainingField.ONLINE_COMMERCE: "온라인쇼핑몰·창업",
    TrainingField.AUTOMOTIVE: "자동차",
    TrainingField.BUILDING: "건축·인테리어",
    TrainingField.ELECTRICAL: "전기",
    TrainingField.MANUFACTURING: "제조·기계",
    TrainingField.SECURITY: "경비",
    TrainingField.CARE: "요양·돌봄",
}


class AgeGroup(StrEnum):
    """How citizens describe themselves when they look for a course."""

    YOUTH = "youth"  # 청년
    MIDDLE_AGED = "middle_aged"  # 중장년 (서울런4050, 50플러스)
    SENIOR = "senior"  # 어르신


# Inclusive bounds. Assumed: the sources speak of 청년 (the academy: 15+, mainly 20s–30s) and
# 중장년 (40+, the 2025 rule was 40 to under 65 before its ceiling was lifted).
AGE_GROUP_BOUNDS: dict[AgeGroup, tuple[int, int | None]] = {
    AgeGroup.YOUTH: (15, 39),
    AgeGroup.MIDDLE_AGED: (40, 64),
    AgeGroup.SENIOR: (65, None),
}


class CallStatus(StrEnum):
    """Where the recruitment call that fills a cohort stands, by its window."""

    NOT_ANNOUNCED = "not_announced"  # no call yet
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class Campus(Spec):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    address: str = Field(min_length=1, max_length=200)
    district: str = Field(description="시군구 of the campus, e.g. 용산구", examples=["용산구"])

    @field_validator("district")
    @classmethod
    def _known_district(cls, district: str) -> str:
        if district not in DISTRICTS:
            raise ValueError(f"unknown district {district!r}")
        return district


class CourseRef(Spec):
    """The regular course a taster (원데이 클래스) leads to."""

    program_id: str = Field(min_length=1)
    course_id: str = Field(min_length=1)
    course_name: str = Field(min_length=1)


class Course(Spec):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    field: TrainingField
    leads_to: CourseRef | None = None


class Call(Spec):
    """The recruitment call (모집 공고) whose selected and waitlisted applicants fill the cohort:
    its id as recruitment knows it, and its window."""

    id: str = Field(min_length=1, max_length=128)
    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self

    def status(self, at: datetime) -> CallStatus:
        if at < self.opens_at:
            return CallStatus.UPCOMING
        return CallStatus.OPEN if at < self.closes_at else CallStatus.CLOSED


class Ages(Spec):
    min: int = Field(default=0, ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)

    def overlap(self, low: int, high: int | None) -> bool:
        top = 200 if self.max is None else self.max
        return self.min <= (200 if high is None else high) and low <= top


class Cohort(Spec):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    program_id: str = Field(min_length=1, max_length=64)
    program_name: str = Field(min_length=1, max_length=100)
    campus: Campus
    course: Course
    call: Call | None = Field(default=None, description="null: no recruitment call yet")
    start_date: date
    end_date: date
    sessions: int = Field(ge=1, le=2000, description="planned sessions (회차)")
    capacity: int = Field(ge=1, le=10_000)
    ages: Ages = Ages()
    attendance_rate: Decimal = Field(
        default=Decimal("0.8"),
        gt=0,
        le=1,
        description="share of sessions attended to complete (수료 출석률); 80% by default",
    )
    offer_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="how long an offer of a seat stays open"
    )
    late_entry_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="a seat freed later than this many days after the start is not offered again",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.ages.max is not None and self.ages.max < self.ages.min:
            raise ValueError("ages.max is below ages.min")
        return self

    @property
    def term(self) -> str:
        """The half-year the cohort starts in (상반기 H1, 하반기 H2): how outcomes are compared
        from one term to the next."""
        return f"{self.start_date.year}-H{1 if self.start_date.month <= 6 else 2}"

    def call_status(self, at: datetime) -> CallStatus:
        return CallStatus.NOT_ANNOUNCED if self.call is None else self.call.status(at)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start_date, time.min, SEOUL)

    @property
    def promotions_close_at(self) -> datetime:
        """From this moment a freed seat stays free: too late to join the course."""
        return self.starts_at + timedelta(days=self.late_entry_days)

    def offer_deadline(self, offered_at: datetime) -> datetime:
        return offered_at + timedelta(hours=self.offer_hours)

    def has_ended(self, at: datetime) -> bool:
        return at.astimezone(SEOUL).date() >= self.end_date
