"""Employment within six calendar months of completion, per program, cohort, campus and term."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.placement.domain.outcomes import (
    Completion,
    add_calendar_months,
    employed_within_window,
    outcomes,
)

PROGRAM = "청년취업사관학교"


def completion(
    applicant_id: str = "p-1",
    completed_on: date = date(2025, 3, 14),
    cohort_id: str = "yja-2025-mapo-ai-service-developer",
    program_name: str = PROGRAM,
    campus: str | None = None,
    term: str | None = None,
) -> Completion:
    return Completion(
        enrollment_id=f"e-{applicant_id}-{cohort_id}",
        applicant_id=applicant_id,
        cohort_id=cohort_id,
        program_name=program_name,
        course_name="AI 서비스 개발자 과정",
        completed_on=completed_on,
        campus_id=campus,
        campus_name=f"{campus} 캠퍼스" if campus else None,
        term=term,
    )


def test_a_job_starting_exactly_six_calendar_months_after_completion_counts() -> None:
    done = completion(completed_on=date(2025, 3, 14))
    assert employed_within_window(done, [date(2025, 9, 14)])


def test_a_job_starting_one_day_later_does_not() -> None:
    done = completion(completed_on=date(2025, 3, 14))
    assert not employed_within_window(done, [date(2025, 9, 15)])


def test_a_job_starting_on_the_day_of_completion_counts_and_one_before_it_does_not() -> None:
    done = completion(completed_on=date(2025, 3, 14))
    assert employed_within_window(done, [date(2025, 3, 14)])
    assert not employed_within_window(done, [date(2025, 3, 13)])


@pytest.mark.parametrize(
    ("completed", "window_ends"),
    [
        (date(2025, 8, 31), date(2026, 2, 28)),
        (date(2023, 8, 31), date(2024, 2, 29)),
        (date(2025, 12, 31), date(2026, 6, 30)),
        (date(2025, 7, 15), date(2026, 1, 15)),
    ],
    ids=[
        "the end of August ends its window at the end of February",
        "in a leap year on the 29th",
        "the window crosses a year",
        "a mid-month completion ends on the same day",
    ],
)
def test_six_calendar_months_end_on_the_same_day_or_the_last_day_of_a_shorter_month(
    completed: date, window_ends: date
) -> None:
    assert add_calendar_months(completed, 6) == window_ends
    assert employed_within_window(completion(completed_on=completed), [window_ends])
    assert not employed_within_window(
        completion(completed_on=completed), [window_ends + timedelta(days=1)]
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 60))
def test_adding_calendar_months_moves_the_month_and_never_past_its_end(
    day: date, months: int
) -> None:
    later = add_calendar_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day <= day.day


def test_rates_are_per_cohort_and_add_up_per_program() -> None:
    mapo, jongno = "yja-2025-mapo-ai-service-developer", "yja-2025-jongno-generative-ai-engineer"
    done = date(2025, 3, 14)
    completions = [
        completion("p-1", done, mapo),
        completion("p-2", done, mapo),
        completion("p-3", done, mapo),
        completion("p-4", done, jongno),
        completion("p-5", date(2025, 3, 1), "jungbu-global-cooking-2025", "서울시 기술교육원"),
    ]
    starts = {
        "p-1": [date(2025, 4, 1)],
        "p-2": [date(2025, 10, 1)],  # too late
        "p-4": [date(2025, 2, 1), date(2025, 9, 14)],  # the second job counts
    }
    programs = {p.program_name: p for p in outcomes(completions, starts, today=date(2025, 12, 1))}
    academy = programs[PROGRAM]
    by_cohort = {c.cohort_id: c.rate for c in academy.cohorts}
    assert (by_cohort[mapo].completed, by_cohort[mapo].employed) == (3, 1)
    assert by_cohort[mapo].rate == pytest.approx(1 / 3)
    assert (by_cohort[jongno].completed, by_cohort[jongno].employed) == (1, 1)
    assert (academy.rate.completed, academy.rate.employed, academy.rate.awaiting) == (4, 2, 0)
    assert programs["서울시 기술교육원"].rate.rate == 0.0


def test_a_completion_whose_window_is_still_open_is_awaiting_not_failed() -> None:
    [program] = outcomes([completion("p-1", date(2025, 9, 1))], {}, today=date(2025, 11, 1))
    assert (program.rate.completed, program.rate.employed, program.rate.awaiting) == (1, 0, 1)
    [later] = outcomes([completion("p-1", date(2025, 9, 1))], {}, today=date(2026, 3, 2))
    assert later.rate.awaiting == 0


def test_rates_per_campus_and_term_add_up_across_the_cohorts_taught_there() -> None:
    """Two cohorts at the 마포 campus (one per half-year) and one at 종로 in the second half:
    the campus rate joins the two 마포 cohorts, the term rate joins 마포 and 종로 of 2025-H2.
    A completion that came without campus or term (an older event) counts in the program."""
    done, today = date(2025, 3, 14), date(2026, 12, 1)
    completions = [
        completion("p-1", done, "mapo-h1", campus="mapo", term="2025-H1"),
        completion("p-2", done, "mapo-h1", campus="mapo", term="2025-H1"),
        completion("p-3", done, "mapo-h2", campus="mapo", term="2025-H2"),
        completion("p-4", done, "jongno-h2", campus="jongno", term="2025-H2"),
        completion("p-5", done, "old-cohort"),
    ]
    hired = {person: [date(2025, 5, 1)] for person in ("p-1", "p-3", "p-4", "p-5")}
    [academy] = outcomes(completions, hired, today)

    campuses = {g.group: (g.name, g.rate.completed, g.rate.employed) for g in academy.campuses}
    assert campuses == {"mapo": ("mapo 캠퍼스", 3, 2), "jongno": ("jongno 캠퍼스", 1, 1)}
    terms = {g.group: (g.rate.completed, g.rate.employed) for g in academy.terms}
    assert terms == {"2025-H1": (2, 1), "2025-H2": (2, 2)}
    assert (academy.rate.completed, academy.rate.employed) == (5, 4)
