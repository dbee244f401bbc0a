"""Assigning selected applicants of a public-job call to the positions of its projects.

Positions are numbered seats, 1..positions, per project: an assignment takes one seat, and
the store records it with an insert that a unique index refuses for a seat already taken or an
application already placed (docs/decisions/0005). This module only decides who goes where,
from the seats known to be taken; it never over-assigns what it knows of, and the insert
catches what it could not know.

Preference, in order: the project the applicant asked for (`preferences.course_id` of the
application names a project), a project in the district asked for (`preferences.campus_id`
names a 시·군·구), a project in the district the applicant lives in, else the project with
the most free positions. Applicants are placed in the order of their selection rank, so a
higher-ranked applicant's preference is met first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import AwareDatetime

from shared.contracts.common import ContractModel
from shared.contracts.placement import PreferenceMatched, PublicJobAssigned, PublicJobTerms
from shared.envelope import derive_event_id

from .projects import Project, PublicJobCall


class AssignmentRequested(ContractModel):
    """Payload of placement's internal assignment commands, keyed by `call_id`: a selected
    applicant of a public-job call, with the preferences the application stated."""

    application_id: str
    applicant_id: str
    call_id: str
    rank: int | None = None
    preferred_project: str | None = None
    preferred_district: str | None = None
    home_district: str | None = None
    selected_at: AwareDatetime


@dataclass(frozen=True)
class StatedPreferences:
    """What an application to a public-job call said about where its applicant would work."""

    application_id: str
    call_id: str
    project: str | None = None  # preferences.course_id
    district: str | None = None  # preferences.campus_id
    home_district: str | None = None  # the applicant's 시·군·구


@dataclass(frozen=True)
class Seat:
    call_id: str
    project_id: str
    number: int

    @property
    def seat_id(self) -> str:
        return f"{self.call_id}/{self.project_id}/{self.number}"


@dataclass(frozen=True)
class Placement:
    """An applicant placed in a seat, by which preference."""

    request: AssignmentRequested
    seat: Seat
    preference: PreferenceMatched


@dataclass(frozen=True)
class Plan:
    placed: tuple[Placement, ...]
    unplaced: tuple[AssignmentRequested, ...]  # no free position left in the call


def taken_by_project(seats: Iterable[Seat]) -> dict[str, set[int]]:
    taken: dict[str, set[int]] = {}
    for seat in seats:
        taken.setdefault(seat.project_id, set()).add(seat.number)
    return taken


def place(
    call: PublicJobCall,
    requests: Sequence[AssignmentRequested],
    taken: Mapping[str, set[int]],
) -> Plan:
    """Seats for `requests` (applicants of `call` not yet placed), given the seats `taken`."""
    used = {project.id: set(taken.get(project.id, ())) for project in call.projects}
    placed: list[Placement] = []
    unplaced: list[AssignmentRequested] = []
    for request in sorted(requests, key=_rank_order):
        chosen = _choose(call, request, used)
        if chosen is None:
            unplaced.append(request)
            continue
        project, preference = chosen
        number = _first_free(project, used[project.id])
        used[project.id].add(number)
        placed.append(Placement(request, Seat(call.call_id, project.id, number), preference))
    return Plan(tuple(placed), tuple(unplaced))


def _rank_order(request: AssignmentRequested) -> tuple[int, int, str]:
    # Ranked first, by rank; an unranked selection (first come, lottery) after, by id.
    return (0, request.rank, "") if request.rank is not None else (1, 0, request.application_id)


def _choose(
    call: PublicJobCall, request: AssignmentRequested, used: Mapping[str, set[int]]
) -> tuple[Project, PreferenceMatched] | None:
    free = [p for p in call.projects if len(used[p.id]) < p.positions]
    if not free:
        return None

    def roomiest(projects: list[Project]) -> Project:
        return min(projects, key=lambda p: (len(used[p.id]) - p.positions, p.id))

    wanted = [p for p in free if p.id == request.preferred_project]
    if wanted:
        return wanted[0], PreferenceMatched.PROJECT
    for district, matched in (
        (request.preferred_district, PreferenceMatched.DISTRICT),
        (request.home_district, PreferenceMatched.HOME_DISTRICT),
    ):
        near = [p for p in free if district and p.district == district]
        if near:
            return roomiest(near), matched
    return roomiest(free), PreferenceMatched.NONE


def _first_free(project: Project, used: set[int]) -> int:
    return next(n for n in range(1, project.positions + 1) if n not in used)


def terms(call: PublicJobCall, project: Project) -> PublicJobTerms:
    pay = call.pay_of(project)
    start, end = call.term.start, call.term.end
    first_month = pay.schedule(start, end)[0]
    return PublicJobTerms(
        workplace=project.workplace,
        workplace_address=project.workplace_address,
        start_date=start,
        end_date=end,
        hours_per_day=pay.hours_per_day,
        days_per_week=pay.days_per_week,
        hourly_wage_krw=pay.hourly_wage_krw,
        monthly_paid_hours=pay.monthly_paid_hours,
        monthly_pay_krw=pay.monthly_pay,
        first_month_pay_krw=first_month.pay_krw,
    )


def assignment_event(call: PublicJobCall, placement: Placement, at: datetime) -> PublicJobAssigned:
    request = placement.request
    project = call.project(placement.seat.project_id)
    if project is None:  # a seat is only ever chosen among the call's projects
        raise ValueError(f"{placement.seat.project_id} is not a project of {call.call_id}")
    return PublicJobAssigned(
        assignment_id=derive_event_id("assignment", request.application_id),
        application_id=request.application_id,
        applicant_id=request.applicant_id,
        call_id=call.call_id,
        program_id=call.program_id,
        program_name=call.program_name,
        category=call.category,
        project_id=project.id,
        course_name=project.name,
        assignment=terms(call, project),
        preference=placement.preference,
        assigned_at=at,
    )
