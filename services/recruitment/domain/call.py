"""Recruitment calls (모집 공고): who may apply, when, for how many seats, and how they are chosen.

A call is plain data (its rules are specs, see `eligibility` and `scoring`) plus a small
lifecycle: draft → open → closed → selected → published. "published" means the decisions have
been sent to the applicants; nothing follows it.
"""

import math
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import AwareDatetime, Field, field_validator, model_validator

from services.recruitment.domain.dates import KeyDates
from services.recruitment.domain.eligibility import EligibilityRule
from services.recruitment.domain.program import ProgramKind
from services.recruitment.domain.scoring import Bonus
from services.recruitment.domain.spec import Spec
from shared.clock import SEOUL
from shared.contracts.recruitment import Applicant, IncomeCategory


class CallStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    SELECTED = "selected"
    PUBLISHED = "published"


_NEXT_STATUS = {
    CallStatus.DRAFT: CallStatus.OPEN,
    CallStatus.OPEN: CallStatus.CLOSED,
    CallStatus.CLOSED: CallStatus.SELECTED,
    CallStatus.SELECTED: CallStatus.PUBLISHED,
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow: statuses only move one step forward."""

    def __init__(self, call_id: str, current: CallStatus, requested: CallStatus) -> None:
        allowed = _NEXT_STATUS.get(current)
        then = f"it can only become '{allowed}'" if allowed else "that is final"
        super().__init__(f"call {call_id} cannot go from '{current}' to '{requested}': {then}")
        self.call_id = call_id
        self.current = current
        self.requested = requested


_START_LABEL = {ProgramKind.PUBLIC_JOB: "근무 시작일", ProgramKind.TRAINING: "교육 시작일"}


class SelectionMethod(StrEnum):
    RANKED = "ranked"  # by score (가점), see selection.py for the tie-break
    LOTTERY = "lottery"  # 추첨, with a recorded seed
    FIRST_COME = "first_come"  # 선착순, by submitted_at


class PriorityGround(StrEnum):
    """Why an applicant may take a priority seat (우선선발 대상)."""

    BASIC_LIVELIHOOD = "basic_livelihood"  # 국민기초생활수급자
    NEAR_POOR = "near_poor"  # 차상위계층
    NATIONAL_MERIT = "national_merit"  # 국가유공자

    def applies_to(self, applicant: Applicant) -> bool:
        match self:
            case PriorityGround.BASIC_LIVELIHOOD:
                return applicant.income_category is IncomeCategory.BASIC_LIVELIHOOD
            case PriorityGround.NEAR_POOR:
                return applicant.income_category is IncomeCategory.NEAR_POOR
            case PriorityGround.NATIONAL_MERIT:
                return applicant.national_merit


class PriorityTrack(Spec):
    """Seats reserved for priority applicants: at most floor(quota × share). Seats it cannot
    fill go to the general track, and priority applicants it cannot seat compete there too."""

    share: Decimal = Field(gt=0, le=1, examples=["0.3"])  # Decimal: 0.3 × 10 must floor to 3
    grounds: tuple[PriorityGround, ...] = Field(min_length=1)

    def seats(self, quota: int) -> int:
        return math.floor(self.share * quota)

    def grounds_met(self, applicant: Applicant) -> tuple[PriorityGround, ...]:
        return tuple(ground for ground in self.grounds if ground.applies_to(applicant))


class ApplicationWindow(Spec):
    """Applications are accepted from `opens_at` up to and including `closes_at`, as a notice's
    "18:00까지" reads. Times are kept in Seoul time whatever offset they arrived with."""

    opens_at: AwareDatetime
    closes_at: AwareDatetime

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _in_seoul(cls, value: datetime) -> datetime:
        # A recruitment call of this century: year 1 with an offset cannot even be moved to
        # Seoul time (it overflows), and no notice is that old.
        if not 2000 <= value.year <= 2100:
            raise ValueError("a call's window lies between the years 2000 and 2100")
        return value.astimezone(SEOUL)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.closes_at <= self.opens_at:
            raise ValueError("the window closes before it opens")
        return self

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


class Pay(Spec):
    """What a public job pays (시급, 일 근무시간, 주 근무일)."""

    hourly_wage_krw: int = Field(gt=0, examples=[10030])
    hours_per_day: int = Field(gt=0, le=24)
    days_per_week: int = Field(gt=0, le=7)


class Call(Spec):
    """A 모집 공고. `program_kind` is copied from the program (the catalog parser does it) so the
    call alone says whether a citizen reads 근무 시작일 or 교육 시작일. The lifecycle methods
    return the call in its next status; a call is never changed in place."""

    id: str = Field(min_length=1, max_length=128)
    program_id: str = Field(min_length=1)
    program_kind: ProgramKind
    title: str = Field(min_length=1, examples=["2025년 하반기 서울 동행일자리 참여자 모집"])
    status: CallStatus = CallStatus.DRAFT
    window: ApplicationWindow
    start_date: date = Field(description="work or course start (근무/교육 시작일)")
    end_date: date | None = None
    campus_id: str | None = None
    course_id: str | None = None
    job_type_id: str | None = None
    quota: int = Field(gt=0)
    waitlist_size: int | None = Field(
        default=None, ge=0, description="null = every eligible applicant not selected"
    )
    selection_method: SelectionMethod
    eligibility: tuple[EligibilityRule, ...] = ()
    scoring: tuple[Bonus, ...] = ()
    priority_track: PriorityTrack | None = None
    pay: Pay | None = None
    closed_at: AwareDatetime | None = Field(
        default=None,
        description="when an operator closed the call; closed early, nothing submitted later "
        "is taken, whichever way it arrives",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.closed_at is not None and self.status in (CallStatus.DRAFT, CallStatus.OPEN):
            raise ValueError("only a closed call has closed_at")
        if self.window.closes_at.date() > self.start_date:
            raise ValueError("the call starts before its application window closes")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        kinds = [rule.kind for rule in self.eligibility]
        if len(kinds) != len(set(kinds)):
            raise ValueError("each eligibility rule kind may appear once per call")
        return self

    @property
    def priority_seats(self) -> int:
        return self.priority_track.seats(self.quota) if self.priority_track else 0

    @property
    def key_dates(self) -> KeyDates:
        return KeyDates(
            start_date=self.start_date,
            window_opens=self.window.opens_at.date(),
            window_closes=self.window.closes_at.date(),
            start_label=_START_LABEL[self.program_kind],
        )

    def accepts_applications(self, moment: datetime) -> bool:
        return self.status is CallStatus.OPEN and self.window.contains(moment)

    def open(self) -> Self:
        return self._become(CallStatus.OPEN)

    def close(self, at: datetime) -> Self:
        return self._become(CallStatus.CLOSED).model_copy(update={"closed_at": at})

    def took_submission_at(self, moment: datetime) -> bool:
        """Inside the announced window and not after an early close."""
        return self.window.contains(moment) and (self.closed_at is None or moment <= self.closed_at)

    def mark_selected(self) -> Self:
        return self._become(CallStatus.SELECTED)

    def publish(self) -> Self:
        return self._become(CallStatus.PUBLISHED)

    def _become(self, status: CallStatus) -> Self:
        if _NEXT_STATUS.get(self.status) is not status:
            raise IllegalTransition(self.id, self.status, status)
        return self.model_copy(update={"status": status})
