"""Employment outcomes: who of those who completed a course found a job within six months.

A completion counts as employed when a confirmed employment of the same person starts on or
after the day of completion and no later than the same day six calendar months on (a course
completed on 31 August has its window end on 28 February: the last day of a shorter month).
A job that started before the completion (early employment during the course) does not count:
the completion event does not say when the course began, so "during the course" cannot be
told from "long before it".

Rates are per program and per cohort. While a window is still open and the person has no job
yet, the completion is `awaiting`: it counts in the denominator (the rate can only rise).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

WINDOW_MONTHS = 6


@dataclass(frozen=True)
class Completion:
    enrollment_id: str
    applicant_id: str
    cohort_id: str
    program_name: str
    course_name: str
    completed_on: date


def add_calendar_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def window_end(completion: Completion) -> date:
    return add_calendar_months(completion.completed_on, WINDOW_MONTHS)


def employed_within_window(completion: Completion, job_starts: Iterable[date]) -> bool:
    end = window_end(completion)
    return any(completion.completed_on <= start <= end for start in job_starts)


@dataclass(frozen=True)
class Rate:
    completed: int
    employed: int
    awaiting: int  # window still open, no job yet

    @property
    def rate(self) -> float | None:
        return self.employed / self.completed if self.completed else None


@dataclass(frozen=True)
class CohortOutcome:
    program_name: str
    cohort_id: str
    course_name: str
    rate: Rate


@dataclass(frozen=True)
class ProgramOutcome:
    program_name: str
    rate: Rate
    cohorts: tuple[CohortOutcome, ...]


def outcomes(
    completions: Sequence[Completion],
    job_starts: Mapping[str, Sequence[date]],
    today: date,
) -> tuple[ProgramOutcome, ...]:
    """Rates per program and cohort, from completions and the start dates of each person's
    confirmed employments, as of `today`."""
    tallies: dict[
        tuple[str, str], list[int]
    ] = {}  # (program, cohort) -> completed, employed, awaiting
    courses: dict[tuple[str, str], str] = {}
    for completion in completions:
        key = (completion.program_name, completion.cohort_id)
        tally = tallies.setdefault(key, [0, 0, 0])
        courses.setdefault(key, completion.course_name)
        tally[0] += 1
        if employed_within_window(completion, job_starts.get(completion.applicant_id, ())):
            tally[1] += 1
        elif window_end(completion) >= today:
            tally[2] += 1
    programs: dict[str, list[CohortOutcome]] = {}
    for (program, cohort), (completed, employed, awaiting) in sorted(tallies.items()):
        programs.setdefault(program, []).append(
            CohortOutcome(
                program, cohort, courses[(program, cohort)], Rate(completed, employed, awaiting)
            )
        )
    return tuple(
        ProgramOutcome(
            program,
            Rate(
                sum(c.rate.completed for c in cohorts),
                sum(c.rate.employed for c in cohorts),
                sum(c.rate.awaiting for c in cohorts),
            ),
            tuple(cohorts),
        )
        for program, cohorts in programs.items()
    )
