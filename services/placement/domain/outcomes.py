"""Employment outcomes: who of those who completed a course found a job within six months.

A completion counts as employed when a confirmed employment of the same person starts on or
after the day of completion and no later than the same day six calendar months on (a course
completed on 31 August has its window end on 28 February: the last day of a shorter month).
A job that started before the completion (early employment during the course) does not count:
the completion event does not say when the course began, so "during the course" cannot be
told from "long before it".

Rates are per program, and within a program per cohort, per campus and per term (the cohort's
start half-year, e.g. `2025-H2`, as enrollment names it; completions that came without a
campus or a term are counted in the program only). While a window is still open and the
person has no job yet, the completion is `awaiting`: it counts in the denominator (the rate
can only rise).
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
    campus_id: str | None = None
    campus_name: str | None = None
    term: str | None = None


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

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.completed + other.completed,
            self.employed + other.employed,
            self.awaiting + other.awaiting,
        )


@dataclass(frozen=True)
class CohortOutcome:
    program_name: str
    cohort_id: str
    course_name: str
    rate: Rate


@dataclass(frozen=True)
class GroupOutcome:
    """A campus (`group` = campus id, `name` its name) or a term (both the term)."""

    group: str
    name: str
    rate: Rate


@dataclass(frozen=True)
class ProgramOutcome:
    program_name: str
    rate: Rate
    cohorts: tuple[CohortOutcome, ...]
    campuses: tuple[GroupOutcome, ...] = ()
    terms: tuple[GroupOutcome, ...] = ()


def outcomes(
    completions: Sequence[Completion],
    job_starts: Mapping[str, Sequence[date]],
    today: date,
) -> tuple[ProgramOutcome, ...]:
    """Rates per program, and within it per cohort, campus and term, from completions and the
    start dates of each person's confirmed employments, as of `today`."""
    cohorts: dict[tuple[str, str], _Tally] = {}
    campuses: dict[tuple[str, str], _Tally] = {}
    terms: dict[tuple[str, str], _Tally] = {}
    for completion in completions:
        employed = employed_within_window(completion, job_starts.get(completion.applicant_id, ()))
        awaiting = not employed and window_end(completion) >= today
        program = completion.program_name
        groups = [(cohorts, completion.cohort_id, completion.course_name)]
        if completion.campus_id is not None:
            name = completion.campus_name or completion.campus_id
            groups.append((campuses, completion.campus_id, name))
        if completion.term is not None:
            groups.append((terms, completion.term, completion.term))
        for tallies, group, name in groups:
            tallies.setdefault((program, group), _Tally(name)).add(employed, awaiting)
    programs = sorted({program for program, _ in cohorts})
    return tuple(
        ProgramOutcome(
            program,
            sum((t.rate for (p, _), t in cohorts.items() if p == program), Rate(0, 0, 0)),
            tuple(
                CohortOutcome(program, cohort, t.name, t.rate)
                for (p, cohort), t in sorted(cohorts.items())
                if p == program
            ),
            _groups(campuses, program),
            _groups(terms, program),
        )
        for program in programs
    )


@dataclass
class _Tally:
    name: str
    completed: int = 0
    employed: int = 0
    awaiting: int = 0

    def add(self, employed: bool, awaiting: bool) -> None:
        self.completed += 1
        self.employed += employed
        self.awaiting += awaiting

    @property
    def rate(self) -> Rate:
        return Rate(self.completed, self.employed, self.awaiting)


def _groups(tallies: Mapping[tuple[str, str], _Tally], program: str) -> tuple[GroupOutcome, ...]:
    return tuple(
        GroupOutcome(group, t.name, t.rate)
        for (p, group), t in sorted(tallies.items())
        if p == program
    )
