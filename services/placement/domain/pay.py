"""Pay of a public job, from rules rather than constants (docs/decisions/0005).

Monthly pay = hourly wage × statutory monthly paid hours + the program's allowances.

- Statutory monthly paid hours (월 유급 근로시간): (weekly hours + paid weekly-holiday hours)
  × 365 / 7 / 12, rounded to the whole hour as the Ministry of Employment and Labor publishes
  it: 209 h at 40 h a week (48 × 365/84 = 208.57).
- Paid weekly-holiday hours (주휴시간; 근로기준법 제55조 ①, 시행령 제30조 ① and 별표 2 for
  part-timers): weekly hours ÷ 40 × 8, i.e. one working day's hours at five days a week; none
  below 15 hours a week (근로기준법 제18조 ③).
- Allowances are data per program: a fixed monthly amount, an amount per working day, or paid
  leave days per month (days × daily hours × wage).

A month the term covers only in part is paid pro rata by its scheduled working days, not by
calendar days (see `PayRule.for_period` and docs/decisions/0005): these jobs are paid by the
hour for scheduled days (시급제), and the weekly holiday is earned by the working days of a
week, so the days that count are working days. A term starting on Saturday the 1st and one
starting on Monday the 3rd work the same days and are paid the same.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# 365 days / 7 / 12 months: the average weeks in a month used for statutory monthly hours.
WEEKS_PER_MONTH = Fraction(365, 7 * 12)
FULL_TIME_WEEKLY_HOURS = 40  # 근로기준법 제50조 ①
FULL_TIME_WEEKLY_HOLIDAY_HOURS = 8
WEEKLY_HOLIDAY_THRESHOLD_HOURS = 15  # 근로기준법 제18조 ③: below it, no paid weekly holiday
WEEKDAYS = 5  # Monday to Friday: the days a working week is scheduled on


class AllowanceKind(StrEnum):
    MONTHLY = "monthly"  # a fixed amount per full month
    PER_WORKING_DAY = "per_working_day"  # an amount per scheduled working day
    PAID_LEAVE_DAYS = "paid_leave_days"  # days of paid leave per full month, paid as wages


class Allowance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AllowanceKind
    name: str = Field(min_length=1)
    amount_krw: int | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Self:
        wants_days = self.kind is AllowanceKind.PAID_LEAVE_DAYS
        if wants_days and (self.days is None or self.amount_krw is not None):
            raise ValueError(f"{self.name}: paid_leave_days takes `days`, not an amount")
        if not wants_days and (self.amount_krw is None or self.days is not None):
            raise ValueError(f"{self.name}: {self.kind} takes `amount_krw`, not days")
        return self


class PayRule(BaseModel):
    """The terms one position is paid on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hourly_wage_krw: int = Field(gt=0)
    # 근로기준법 제50조: 8 hours a day, 40 a week (at most five days of eight)
    hours_per_day: int = Field(ge=1, le=8)
    days_per_week: int = Field(ge=1, le=WEEKDAYS)
    allowances: tuple[Allowance, ...] = ()

    @property
    def weekly_hours(self) -> int:
        return self.hours_per_day * self.days_per_week

    @property
    def weekly_holiday_hours(self) -> Fraction:
        if self.weekly_hours < WEEKLY_HOLIDAY_THRESHOLD_HOURS:
            return Fraction(0)
        return Fraction(self.weekly_hours * FULL_TIME_WEEKLY_HOLIDAY_HOURS, FULL_TIME_WEEKLY_HOURS)

    @property
    def weekly_paid_hours(self) -> Fraction:
        return self.weekly_hours + self.weekly_holiday_hours

    @property
    def monthly_paid_hours(self) -> int:
        """(weekly hours + weekly-holiday hours) × 365/7/12, to the nearest whole hour."""
        return round_half_up(self.weekly_paid_hours * WEEKS_PER_MONTH)

    @property
    def paid_hours_per_working_day(self) -> Fraction:
        """A working day's hours and the share of the weekly holiday it earns."""
        return self.weekly_paid_hours / self.days_per_week

    @property
    def working_days_per_month(self) -> Fraction:
        """Scheduled working days in the average month: days a week × 365/7/12."""
        return self.days_per_week * WEEKS_PER_MONTH

    @property
    def wage_per_month(self) -> int:
        """The statutory part alone: hourly wage × monthly paid hours."""
        return self.hourly_wage_krw * self.monthly_paid_hours

    def allowance_per_month(self, allowance: Allowance) -> Fraction:
        match allowance.kind:
            case AllowanceKind.MONTHLY:
                return Fraction(allowance.amount_krw or 0)
            case AllowanceKind.PER_WORKING_DAY:
                return (allowance.amount_krw or 0) * self.working_days_per_month
            case AllowanceKind.PAID_LEAVE_DAYS:
                return Fraction((allowance.days or 0) * self.hours_per_day * self.hourly_wage_krw)

    @property
    def monthly_pay(self) -> int:
        """Pay for a full month, allowances included, in whole won (원 미만 절사)."""
        allowances = sum((self.allowance_per_month(a) for a in self.allowances), Fraction(0))
        return math.floor(self.wage_per_month + allowances)

    def for_period(self, first: date, last: date) -> int:
        """Pay for the days `first`..`last` of one calendar month (both included).

        A period holding every scheduled working day of its month pays `monthly_pay`. Any
        other pays the month's pay pro rata by scheduled working days (소정근로일수 기준 일할
        계산): the working days in the period over the working days of that month. Paid leave
        is left out of a part month: it is earned by a full month worked (근로기준법 제60조 ②:
        one day per month of full attendance).
        """
        if (first.year, first.month) != (last.year, last.month) or last < first:
            raise ValueError("a pay period lies within one calendar month")
        month = self.working_days(first.replace(day=1), first.replace(day=month_length(first)))
        worked = self.working_days(first, last)
        if worked == month:
            return self.monthly_pay
        earned = self.wage_per_month + sum(
            (
                self.allowance_per_month(a)
                for a in self.allowances
                if a.kind is not AllowanceKind.PAID_LEAVE_DAYS
            ),
            Fraction(0),
        )
        return math.floor(earned * worked / month)

    def working_days(self, first: date, last: date) -> Fraction:
        """Scheduled working days in `first`..`last`: the weekdays, scaled to the days a week
        the job has (a three-day job works 3/5 of the weekdays)."""
        weekdays = sum(
            1
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() < WEEKDAYS
        )
        return Fraction(weekdays * self.days_per_week, WEEKDAYS)

    def schedule(self, start: date, end: date) -> list[MonthPay]:
        """Pay for each calendar month of a term from `start` to `end` (both included)."""
        if end < start:
            raise ValueError("the term ends before it starts")
        months: list[MonthPay] = []
        first = start
        while first <= end:
            last = min(end, first.replace(day=month_length(first)))
            months.append(
                MonthPay(
                    month=first.replace(day=1),
                    first=first,
                    last=last,
                    full=self.working_days(first, last)
                    == self.working_days(
                        first.replace(day=1), first.replace(day=month_length(first))
                    ),
                    pay_krw=self.for_period(first, last),
                )
            )
            first = last + timedelta(days=1)
        return months


@dataclass(frozen=True)
class MonthPay:
    month: date
    first: date
    last: date
    full: bool
    pay_krw: int


def month_length(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))
