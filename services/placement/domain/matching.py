"""Job matching for graduates (청년취업사관학교: 잡코디 and 일자리 매칭데이).

Employers post openings; a graduate, known from their course completion, gets the open
openings ranked by how well they fit: the share of the opening's skill tags the graduate's
courses (and the coordinator's notes) cover, the district, and the employment type. A
coordinator refers a graduate to an opening; a matching day gives every referred pair an
interview slot, with no employer and no candidate in two interviews at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from shared.contracts.placement import EmploymentType

# Weights of a recommendation's score (they add up to 1).
SKILL_WEIGHT = 0.6
DISTRICT_WEIGHT = 0.25
TYPE_WEIGHT = 0.15


@dataclass(frozen=True)
class Opening:
    opening_id: str
    business_no: str
    employer_name: str
    title: str
    tags: frozenset[str]
    district: str
    employment_type: EmploymentType
    positions: int
    closes_on: date

    def open_on(self, day: date) -> bool:
        return day <= self.closes_on


@dataclass(frozen=True)
class Graduate:
    """What matching knows of a graduate: skills from the courses completed and from the
    coordinator's counselling, and the district and employment types they want."""

    applicant_id: str
    skills: frozenset[str]
    districts: frozenset[str] = frozenset()
    employment_types: frozenset[EmploymentType] = frozenset()


@dataclass(frozen=True)
class Recommendation:
    opening: Opening
    score: float
    matched_skills: tuple[str, ...]
    same_district: bool
    wanted_type: bool


def normalise_tags(tags: Iterable[str]) -> frozenset[str]:
    return frozenset(t.strip().lower() for t in tags if t.strip())


def recommend(graduate: Graduate, openings: Iterable[Opening], today: date) -> list[Recommendation]:
    """Open openings that share a skill with the graduate, best first (score, then the one
    closing soonest, then id)."""
    found: list[Recommendation] = []
    for opening in openings:
        if not opening.open_on(today) or not opening.tags:
            continue
        matched = tuple(sorted(opening.tags & graduate.skills))
        if not matched:
            continue
        same_district = opening.district in graduate.districts
        wanted_type = opening.employment_type in graduate.employment_types
        score = (
            SKILL_WEIGHT * len(matched) / len(opening.tags)
            + DISTRICT_WEIGHT * same_district
            + TYPE_WEIGHT * wanted_type
        )
        found.append(Recommendation(opening, round(score, 4), matched, same_district, wanted_type))
    return sorted(found, key=lambda r: (-r.score, r.opening.closes_on, r.opening.opening_id))


# -- matching day --------------------------------------------------------------------------
@dataclass(frozen=True)
class InterviewRequest:
    """A referred candidate to be interviewed by an employer."""

    applicant_id: str
    business_no: str


@dataclass(frozen=True)
class Interview:
    slot: int
    starts_at: datetime
    applicant_id: str
    business_no: str


@dataclass(frozen=True)
class DaySchedule:
    interviews: tuple[Interview, ...]
    unscheduled: tuple[InterviewRequest, ...] = field(default=())


@dataclass(frozen=True)
class MatchingDay:
    """일자리 매칭데이: the employers of the day and their interview schedule."""

    matching_day_id: str
    day: date
    employers: tuple[str, ...]
    schedule: DaySchedule


def slot_starts(day: date, opens: time, closes: time, minutes: int, tz: tzinfo) -> list[datetime]:
    """The interview slots of a day: every `minutes` from `opens`, each ending by `closes`."""
    start = datetime.combine(day, opens, tzinfo=tz)
    end = datetime.combine(day, closes, tzinfo=tz)
    step = timedelta(minutes=minutes)
    slots = []
    while start + step <= end:
        slots.append(start)
        start += step
    return slots


def schedule(requests: Sequence[InterviewRequest], slots: Sequence[datetime]) -> DaySchedule:
    """Every requested interview in a slot, no employer and no candidate in two at once.

    An employer interviews one candidate at a time (one table per employer) and a candidate
    sits one interview at a time: a slot per pair is an edge colouring of the bipartite
    graph of employers and candidates. Each pair takes a slot free for both, or, when the
    employer's first free slot is taken by the candidate, the two slots are swapped along
    the alternating chain of interviews starting at the candidate (König's argument), so
    a pair is left unscheduled only when the employer's or the candidate's day is full. A
    repeated request is one interview."""
    count = len(slots)
    by_employer: dict[str, dict[int, str]] = {}  # employer -> slot -> candidate
    by_candidate: dict[str, dict[int, str]] = {}  # candidate -> slot -> employer
    unscheduled: list[InterviewRequest] = []
    for request in sorted(set(requests), key=lambda r: (r.applicant_id, r.business_no)):
        employer = by_employer.setdefault(request.business_no, {})
        candidate = by_candidate.setdefault(request.applicant_id, {})
        a = next((n for n in range(count) if n not in employer), None)
        b = next((n for n in range(count) if n not in candidate), None)
        if a is None or b is None:
            unscheduled.append(request)
            continue
        if a in candidate:
            _swap_chain(by_employer, by_candidate, request.applicant_id, a, b)
        employer[a] = request.applicant_id
        candidate[a] = request.business_no
    interviews = [
        Interview(slot, slots[slot], applicant_id, business_no)
        for business_no, booked in by_employer.items()
        for slot, applicant_id in booked.items()
    ]
    return DaySchedule(
        tuple(sorted(interviews, key=lambda i: (i.slot, i.business_no))), tuple(unscheduled)
    )


def _swap_chain(
    by_employer: dict[str, dict[int, str]],
    by_candidate: dict[str, dict[int, str]],
    applicant_id: str,
    a: int,
    b: int,
) -> None:
    """Swap slots a and b along the chain: the candidate's interview in a, that employer's
    interview in b, that candidate's in a, ... The chain never reaches the employer whose
    slot a is free (the graph is bipartite), which keeps a free there; b was free for the
    candidate, so the candidate's slot a becomes free."""
    chain: list[tuple[str, str, int]] = []  # (candidate, employer, slot)
    at_candidate, node, slot = True, applicant_id, a
    while True:
        if at_candidate:
            employer_no = by_candidate[node].get(slot)
            if employer_no is None:
                break
            chain.append((node, employer_no, slot))
            node = employer_no
        else:
            candidate_id = by_employer[node].get(slot)
            if candidate_id is None:
                break
            chain.append((candidate_id, node, slot))
            node = candidate_id
        at_candidate, slot = not at_candidate, b if slot == a else a
    for candidate_id, employer_no, old in chain:
        del by_candidate[candidate_id][old]
        del by_employer[employer_no][old]
    for candidate_id, employer_no, old in chain:
        new = b if old == a else a
        by_candidate[candidate_id][new] = employer_no
        by_employer[employer_no][new] = candidate_id


CourseSkills = Mapping[str, Mapping[str, Sequence[str]]]  # program name -> course name -> tags


def course_skills(catalog: CourseSkills, courses: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Skill tags of the (program, course) pairs a graduate completed; unknown ones add none."""
    return frozenset(
        tag
        for program, course in courses
        for tag in normalise_tags(catalog.get(program, {}).get(course, ()))
    )
