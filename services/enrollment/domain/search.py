"""One catalog to find a course (서울런4050: "so that anyone can find the nearest one").

A search filters cohorts by field, age group and start month, keeps those a citizen can still
join (not started, and their call not closed) unless asked for all, and puts the nearest first
when the citizen gives a district (then the earliest start, then the id, so that the order is
stable).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from .cohort import AGE_GROUP_BOUNDS, AgeGroup, CallStatus, Cohort, TrainingField
from .districts import distance_km


@dataclass(frozen=True)
class CatalogQuery:
    field: TrainingField | None = None
    age_group: AgeGroup | None = None
    district: str | None = None
    start_month: date | None = None  # any day of the month
    include_closed: bool = False


@dataclass(frozen=True)
class Found:
    cohort: Cohort
    call_status: CallStatus
    distance_km: float | None


def joinable(cohort: Cohort, at: datetime) -> bool:
    """Not started yet, and its call is not closed (or not announced yet)."""
    return cohort.starts_at > at and cohort.call_status(at) is not CallStatus.CLOSED


def search(cohorts: Iterable[Cohort], query: CatalogQuery, at: datetime) -> list[Found]:
    found = []
    for cohort in cohorts:
        if query.field is not None and cohort.course.field is not query.field:
            continue
        if query.age_group is not None and not cohort.ages.overlap(
            *AGE_GROUP_BOUNDS[query.age_group]
        ):
            continue
        month = query.start_month
        if month is not None and (cohort.start_date.year, cohort.start_date.month) != (
            month.year,
            month.month,
        ):
            continue
        if not query.include_closed and not joinable(cohort, at):
            continue
        distance = (
            None if query.district is None else distance_km(query.district, cohort.campus.district)
        )
        found.append(Found(cohort, cohort.call_status(at), distance))
    return sorted(found, key=lambda f: (f.distance_km or 0.0, f.cohort.start_date, f.cohort.id))


def cohort_for_pathway(
    cohorts: Iterable[Cohort], program_id: str, course_id: str, at: datetime
) -> Cohort | None:
    """The cohort of the course that a hire at a pathway partner (선취업-후학습) is offered: the
    first of that program's course to start after `at`. The employment makes them eligible,
    so the course's recruitment call, open or closed, does not matter."""
    upcoming = [
        c
        for c in cohorts
        if c.program_id == program_id and c.course.id == course_id and c.starts_at > at
    ]
    return min(upcoming, key=lambda c: (c.starts_at, c.id), default=None)
