"""Pay as rules: statutory monthly paid hours, allowances in data, part months."""

import calendar
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.placement.app import load_projects
from services.placement.domain.pay import WEEKS_PER_MONTH, Allowance, PayRule


def rule(wage: int = 10_030, hours: int = 8, days: int = 5, *allowances: Allowance) -> PayRule:
    return PayRule(
        hourly_wage_krw=wage, hours_per_day=hours, days_per_week=days, allowances=allowances
    )


def shipped(call_id: str) -> PayRule:
    call = load_projects().call(call_id)
    assert call is not None
    return call.pay_of(call.projects[0])


def test_attractive_jobs_pay_the_published_2_46_million_by_the_formula_alone() -> None:
    pay = shipped("attractive-2025-public-career-youth")
    assert pay.monthly_paid_hours == 209  # (40 + 8) × 365/7/12 = 208.57
    assert pay.monthly_pay == 11_779 * 209 == 2_461_811
    assert round(pay.monthly_pay, -4) == 2_460_000  # 월 246만원 (sources/004)
    assert pay.allowances == ()


def test_companion_jobs_reach_the_published_1_77_million_through_allowances_in_data() -> None:
    pay = shipped("companion-2025h2-social-safety")
    # The formula: (30 h + 6 h weekly holiday) × 365/7/12 = 156.43 h, about 1.57 million won ...
    assert round(10_030 * pay.weekly_paid_hours * WEEKS_PER_MONTH, -4) == 1_570_000
    assert pay.monthly_paid_hours == 156
    assert pay.wage_per_month == 10_030 * 156 == 1_564_680
    # ... and the city publishes 월 177만원: the difference is the program's allowances.
    assert {a.name for a in pay.allowances} == {"연차수당", "부대경비"}
    assert round(pay.monthly_pay, -4) == 1_770_000


@pytest.mark.parametrize(
    ("hours", "days", "paid_hours"),
    [
        (8, 5, 209),  # 48 h a week with the weekly holiday
        (6, 5, 156),  # 36
        (4, 5, 104),  # 24
        (7, 5, 183),  # 42 × 365/84 = 182.5: half an hour rounds up
        (5, 3, 78),  # 15 h: just enough for a weekly holiday of 3 h
        (3, 4, 52),  # 12 h: below 15, no paid weekly holiday (근로기준법 제18조 ③)
        (2, 5, 43),  # 10 h: none either
    ],
    ids=[
        "full time is the Ministry's 209 hours",
        "six hours a day is 156 hours",
        "four hours a day is 104 hours",
        "a half hour rounds up",
        "fifteen hours a week earn a weekly holiday",
        "twelve hours a week earn none",
        "ten hours a week earn none",
    ],
)
def test_part_time_hours_earn_the_weekly_holiday_in_proportion_from_15_hours_a_week(
    hours: int, days: int, paid_hours: int
) -> None:
    pay = rule(hours=hours, days=days)
    assert pay.monthly_paid_hours == paid_hours
    assert pay.monthly_pay == 10_030 * paid_hours


def test_a_term_starting_mid_month_pays_that_month_by_its_working_days() -> None:
    """Companion Jobs' first half starts Friday 10 January 2025: 16 of January's 23 weekdays.
    The month's pay without the paid leave (earned by a full month only), times 16/23."""
    pay = shipped("companion-2025h2-digital")
    without_leave = Fraction(1_564_680) + 6_680 * 5 * WEEKS_PER_MONTH
    first = pay.schedule(date(2025, 1, 10), date(2025, 6, 30))[0]
    assert (first.month, first.full) == (date(2025, 1, 1), False)
    assert first.pay_krw == int(without_leave * 16 / 23) == 1_189_433
    # Attractive Jobs from Monday 10 March 2025: 16 of March's 21 weekdays.
    attractive = shipped("attractive-2025-public-career-youth")
    assert attractive.for_period(date(2025, 3, 10), date(2025, 3, 31)) == 2_461_811 * 16 // 21


def test_a_term_starting_on_a_weekend_pays_as_one_starting_the_next_monday() -> None:
    """Saturday 1 March and Monday 3 March 2025 start the same working days: one pay. Prorating
    by calendar days would pay the weekend as if it were worked."""
    pay = shipped("companion-2025h2-digital")
    assert pay.for_period(date(2025, 3, 1), date(2025, 3, 31)) == pay.monthly_pay
    assert pay.for_period(date(2025, 3, 3), date(2025, 3, 31)) == pay.monthly_pay


def test_every_full_month_pays_the_monthly_figure_and_the_last_part_month_its_share() -> None:
    pay = shipped("companion-2025h2-digital")
    months = pay.schedule(date(2025, 7, 1), date(2025, 12, 20))
    assert [m.pay_krw for m in months[:5]] == [pay.monthly_pay] * 5  # 23, 21, 22, 23, 20 weekdays
    december = months[-1]
    assert (december.first, december.last, december.full) == (
        date(2025, 12, 1),
        date(2025, 12, 20),
        False,
    )
    assert december.pay_krw < pay.monthly_pay


@given(
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=5),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=30),
)
def test_a_part_month_never_pays_more_than_a_full_one_nor_less_for_more_days(
    hours: int, days: int, first: date, length: int
) -> None:
    daily = Allowance(kind="per_working_day", name="부대경비", amount_krw=5_000)
    pay = rule(10_030, hours, days, daily)
    month_end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    last = min(month_end, first + timedelta(days=length))
    shorter = max(first, last - timedelta(days=1))
    assert pay.for_period(first, last) <= pay.monthly_pay
    assert pay.for_period(first, shorter) <= pay.for_period(first, last)


def test_pay_rules_refuse_more_than_the_statutory_day_and_ill_formed_allowances() -> None:
    with pytest.raises(ValueError, match="less than or equal to 8"):
        rule(hours=9)
    with pytest.raises(ValueError, match="takes `days`"):
        Allowance(kind="paid_leave_days", name="연차수당", amount_krw=60_000)
    with pytest.raises(ValueError, match="takes `amount_krw`"):
        Allowance(kind="monthly", name="교통비")
