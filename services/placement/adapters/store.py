"""The placement service's own MongoDB database (docs/decisions/0003, 0005).

Employment outcomes
- `employment_reports`: every report, `_id` = its report_id (a re-sent report is stored once),
  with the employment it describes and the envelope's correlation id.
- `employments`: one document per confirmed job, `_id` = the employment id (person, employer,
  start date); the first confirming insert wins, so a job is confirmed once, whoever reports
  or verifies it again.
- `verified_confirmations_published`: the jobs an operator's verification confirmed whose
  event went out (`_id` = employment id), so that a repeated click publishes nothing and a
  click repeated after a crash between the insert and the publish publishes the event then.
- `completions`: one per course completion, `_id` = enrollment_id.

Public-job assignment
- `applications`: the preferences of applications to public-job calls, `_id` = application_id.
- `assignments`: one per assigned position, `_id` = `<call>/<project>/<seat number>`, and a
  unique index on `application_id`: the insert decides that a seat is taken once and an
  application placed once, whatever two instances believe. The call's assignments are cached
  per instance (the one writer of a call keeps them current); an insert refused means the
  cache was stale, and it is read again.
- `unplaced`: selected applicants for whom no position was left, `_id` = application_id.

Job matching
- `employers` (`_id` = business number), `openings`, `graduate_profiles` (`_id` = applicant),
  `referrals` (`_id` = `<opening>/<applicant>`: once), `matching_days`.

Event handlers write by batch inserts and look up once per batch with `$in`; the scans
(pending reports, outcome rates, openings) serve HTTP and the periodic gauge refresh only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.placement import (
    Employer,
    EmploymentReported,
    EmploymentType,
    PublicJobAssigned,
    ReportSource,
)
from shared.envelope import Envelope
from shared.mongo import insert_if_absent, insert_new

from ..domain.assignment import AssignmentRequested, Seat, StatedPreferences
from ..domain.employers import RegisteredEmployer, StudyCourse
from ..domain.employment import Employment, employment_id
from ..domain.matching import DaySchedule, Interview, InterviewRequest, MatchingDay, Opening
from ..domain.outcomes import Completion

_REPORT_META = ("_id", "employment_id", "correlation_id", "event_id")


def _document(employment: Employment) -> dict[str, Any]:
    return {
        "_id": employment.employment_id,
        "applicant_id": employment.applicant_id,
        "employer": employment.employer.model_dump(),
        "job_title": employment.job_title,
        "employment_type": employment.employment_type.value,
        "start_date": employment.start_date.isoformat(),
        "source": employment.source.value,
        "confirmed_by": employment.confirmed_by,
        "confirmed_at": employment.confirmed_at,
        "verified_by": employment.verified_by,
    }


def _employment(doc: dict[str, Any]) -> Employment:
    return Employment(
        employment_id=doc["_id"],
        applicant_id=doc["applicant_id"],
        employer=Employer.model_validate(doc["employer"]),
        job_title=doc["job_title"],
        employment_type=EmploymentType(doc["employment_type"]),
        start_date=date.fromisoformat(doc["start_date"]),
        source=ReportSource(doc["source"]),
        confirmed_by=doc["confirmed_by"],
        confirmed_at=doc["confirmed_at"],
        verified_by=doc.get("verified_by"),
    )


def _report(doc: dict[str, Any]) -> EmploymentReported:
    return EmploymentReported.model_validate(
        {k: v for k, v in doc.items() if k not in _REPORT_META}
    )


@dataclass(frozen=True)
class StoredReport:
    report: EmploymentReported
    employment_id: str
    correlation_id: str
    event_id: str


@dataclass
class CallPositions:
    """What one instance knows of a call's assignments: the seats taken per project, and the
    assignment of each application placed."""

    taken: dict[str, set[int]] = field(default_factory=dict)
    assigned: dict[str, PublicJobAssigned] = field(default_factory=dict)


@dataclass(frozen=True)
class SeatClaim:
    seat: Seat
    event: PublicJobAssigned
    correlation_id: str
    causation_id: str


@dataclass(frozen=True)
class Unplaced:
    """A selected applicant of a public-job call for whom no position was left."""

    application_id: str
    call_id: str
    rank: int | None
    at: datetime


@dataclass(frozen=True)
class Referral:
    referral_id: str
    opening_id: str
    business_no: str
    applicant_id: str
    coordinator: str
    referred_at: datetime


class PlacementStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._reports = db["employment_reports"]
        self._employments = db["employments"]
        self._announced = db["verified_confirmations_published"]
        self._completions = db["completions"]
        self._applications = db["applications"]
        self._assignments = db["assignments"]
        self._unplaced = db["unplaced"]
        self._employers = db["employers"]
        self._openings = db["openings"]
        self._profiles = db["graduate_profiles"]
        self._referrals = db["referrals"]
        self._matching_days = db["matching_days"]
        self._positions: dict[str, CallPositions] = {}

    async def create_indexes(self) -> None:
        await self._employments.create_index([("applicant_id", ASCENDING)])
        await self._reports.create_index([("applicant_id", ASCENDING)])
        await self._completions.create_index([("applicant_id", ASCENDING)])
        await self._assignments.create_index([("application_id", ASCENDING)], unique=True)
        await self._assignments.create_index([("call_id", ASCENDING)])
        await self._openings.create_index([("business_no", ASCENDING)])

    # -- employment reports and confirmations -------------------------------------------
    async def record_reports(self, events: Sequence[Envelope[EmploymentReported]]) -> None:
        await insert_new(
            self._reports,
            [
                {
                    **e.data.model_dump(mode="json"),
                    "_id": e.data.report_id,
                    "employment_id": employment_id(e.data),
                    "correlation_id": e.correlation_id,
                    "event_id": e.event_id,
                }
                for e in events
            ],
        )

    async def report(self, report_id: str) -> StoredReport | None:
        doc = await self._reports.find_one({"_id": report_id})
        if doc is None:
            return None
        report = _report(doc)
        return StoredReport(
            report,
            doc.get("employment_id") or employment_id(report),
            doc.get("correlation_id") or report.report_id,
            doc.get("event_id") or report.report_id,
        )

    async def confirm(self, employments: Sequence[Employment]) -> list[Employment]:
        """Confirm each job once: for each candidate, the employment as it stands confirmed,
        by this report or by the one that came first."""
        went_in = await insert_if_absent(self._employments, [_document(e) for e in employments])
        earlier = [e.employment_id for e, new in zip(employments, went_in, strict=True) if not new]
        stored: dict[str, Employment] = {}
        if earlier:  # a redelivery, or a second report of the same job: one lookup
            cursor = self._employments.find({"_id": {"$in": earlier}})
            stored = {doc["_id"]: _employment(doc) async for doc in cursor}
        return [
            e if new else stored[e.employment_id]
            for e, new in zip(employments, went_in, strict=True)
        ]

    async def confirm_one(self, employment: Employment) -> tuple[Employment, bool]:
        """Confirm one job (an operator's verification): the employment as it stands, and
        whether this call confirmed it."""
        [went_in] = await insert_if_absent(self._employments, [_document(employment)])
        if went_in:
            return employment, True
        doc = await self._employments.find_one({"_id": employment.employment_id})
        if doc is None:  # refused, yet gone: nothing deletes employments
            raise RuntimeError(f"employment {employment.employment_id} refused but not found")
        return _employment(doc), False

    async def announced(self, employment_id: str) -> bool:
        """Whether the confirmation of a verified job was published (HTTP path only)."""
        return await self._announced.find_one({"_id": employment_id}, {"_id": 1}) is not None

    async def mark_announced(self, employment_id: str, at: datetime) -> None:
        await insert_new(self._announced, [{"_id": employment_id, "at": at}])

    async def employments_of(self, applicant_id: str) -> list[Employment]:
        cursor = self._employments.find({"applicant_id": applicant_id}).sort("start_date", 1)
        return [_employment(doc) async for doc in cursor]

    async def reports_of(self, applicant_id: str) -> list[EmploymentReported]:
        cursor = self._reports.find({"applicant_id": applicant_id})
        return [_report(doc) async for doc in cursor]

    async def pending_reports(self) -> list[StoredReport]:
        """Reports that wait: their job is not confirmed by anyone yet (a scan: HTTP only)."""
        confirmed = {doc["_id"] async for doc in self._employments.find({}, {"_id": 1})}
        waiting: list[StoredReport] = []
        async for doc in self._reports.find({}).sort("reported_at", 1):
            report = _report(doc)
            key = doc.get("employment_id") or employment_id(report)
            if key not in confirmed:
                waiting.append(
                    StoredReport(
                        report, key, doc.get("correlation_id", ""), doc.get("event_id", "")
                    )
                )
        return waiting

    # -- completions and outcomes -------------------------------------------------------
    async def record_completions(self, completions: Sequence[Completion]) -> None:
        await insert_new(
            self._completions,
            [
                {
                    "_id": c.enrollment_id,
                    "applicant_id": c.applicant_id,
                    "cohort_id": c.cohort_id,
                    "program_name": c.program_name,
                    "course_name": c.course_name,
                    "completed_on": c.completed_on.isoformat(),
                    "campus_id": c.campus_id,
                    "campus_name": c.campus_name,
                    "term": c.term,
                }
                for c in completions
            ],
        )

    async def completions(self, applicant_id: str | None = None) -> list[Completion]:
        query = {} if applicant_id is None else {"applicant_id": applicant_id}
        return [
            Completion(
                enrollment_id=doc["_id"],
                applicant_id=doc["applicant_id"],
                cohort_id=doc["cohort_id"],
                program_name=doc["program_name"],
                course_name=doc["course_name"],
                completed_on=date.fromisoformat(doc["completed_on"]),
                campus_id=doc.get("campus_id"),
                campus_name=doc.get("campus_name"),
                term=doc.get("term"),
            )
            async for doc in self._completions.find(query)
        ]

    async def job_starts(self) -> dict[str, list[date]]:
        """The start dates of every confirmed employment, per person."""
        starts: dict[str, list[date]] = {}
        async for doc in self._employments.find({}, {"applicant_id": 1, "start_date": 1}):
            starts.setdefault(doc["applicant_id"], []).append(date.fromisoformat(doc["start_date"]))
        return starts

    # -- public-job assignment ----------------------------------------------------------
    async def remember_applications(self, stated: Sequence[StatedPreferences]) -> None:
        """Keep what assignment needs of applications to public-job calls."""
        await insert_new(
            self._applications,
            [
                {
                    "_id": s.application_id,
                    "call_id": s.call_id,
                    "project": s.project,
                    "district": s.district,
                    "home_district": s.home_district,
                }
                for s in stated
            ],
        )

    async def preferences(self, application_ids: Sequence[str]) -> dict[str, StatedPreferences]:
        """One `$in` lookup for a batch of selections."""
        if not application_ids:
            return {}
        cursor = self._applications.find({"_id": {"$in": list(application_ids)}})
        return {
            doc["_id"]: StatedPreferences(
                application_id=doc["_id"],
                call_id=doc["call_id"],
                project=doc.get("project"),
                district=doc.get("district"),
                home_district=doc.get("home_district"),
            )
            async for doc in cursor
        }

    async def positions(self, call_id: str) -> CallPositions:
        """The call's assignments as this instance knows them (read once, then kept)."""
        known = self._positions.get(call_id)
        if known is None:
            known = CallPositions()
            async for doc in self._assignments.find({"call_id": call_id}):
                known.taken.setdefault(doc["project_id"], set()).add(doc["seat"])
                known.assigned[doc["application_id"]] = PublicJobAssigned.model_validate(
                    doc["event"]
                )
            self._positions[call_id] = known
        return known

    async def claim_seats(self, call_id: str, claims: Sequence[SeatClaim]) -> list[bool]:
        """Insert the assignments; for each, whether it went in. A refusal (the seat or the
        application was taken by another writer) makes the call be read again next time."""
        went_in = await insert_if_absent(
            self._assignments,
            [
                {
                    "_id": c.seat.seat_id,
                    "call_id": c.seat.call_id,
                    "project_id": c.seat.project_id,
                    "seat": c.seat.number,
                    "application_id": c.event.application_id,
                    "applicant_id": c.event.applicant_id,
                    "correlation_id": c.correlation_id,
                    "causation_id": c.causation_id,
                    "event": c.event.model_dump(mode="json"),
                    "assigned_at": c.event.assigned_at,
                }
                for c in claims
            ],
        )
        if not all(went_in):
            self._positions.pop(call_id, None)
            return went_in
        known = self._positions.get(call_id)
        if known is not None:
            for claim in claims:
                known.taken.setdefault(claim.seat.project_id, set()).add(claim.seat.number)
                known.assigned[claim.event.application_id] = claim.event
        return went_in

    async def record_unplaced(self, requests: Sequence[AssignmentRequested], at: datetime) -> None:
        await insert_new(
            self._unplaced,
            [
                {
                    "_id": r.application_id,
                    "call_id": r.call_id,
                    "applicant_id": r.applicant_id,
                    "rank": r.rank,
                    "at": at,
                }
                for r in requests
            ],
        )

    async def assigned_per_project(self, call_id: str) -> dict[str, int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"call_id": call_id}},
            {"$group": {"_id": "$project_id", "count": {"$sum": 1}}},
        ]
        cursor = await self._assignments.aggregate(pipeline)
        return {doc["_id"]: doc["count"] async for doc in cursor}

    async def unplaced(self, call_id: str) -> list[str]:
        cursor = self._unplaced.find({"call_id": call_id}).sort("rank", 1)
        return [doc["_id"] async for doc in cursor]

    # -- a citizen's data export (docs/decisions/0006): scans, HTTP only --------------------
    async def assignments_to(self, applicant_id: str) -> list[PublicJobAssigned]:
        cursor = self._assignments.find({"applicant_id": applicant_id}).sort("assigned_at", 1)
        return [PublicJobAssigned.model_validate(doc["event"]) async for doc in cursor]

    async def unplaced_of(self, applicant_id: str) -> list[Unplaced]:
        cursor = self._unplaced.find({"applicant_id": applicant_id}).sort("at", 1)
        return [
            Unplaced(doc["_id"], doc["call_id"], doc.get("rank"), doc["at"]) async for doc in cursor
        ]

    async def referrals_of(self, applicant_id: str) -> list[Referral]:
        cursor = self._referrals.find({"applicant_id": applicant_id}).sort("referred_at", 1)
        return [_referral(doc) async for doc in cursor]

    async def matching_days_with(self, applicant_id: str) -> list[MatchingDay]:
        """The matching days that scheduled, or could not fit, this applicant (few days: the
        collection is read whole rather than relying on array queries)."""
        days = [_day(doc) async for doc in self._matching_days.find({})]
        return [
            day
            for day in days
            if any(i.applicant_id == applicant_id for i in day.schedule.interviews)
            or any(r.applicant_id == applicant_id for r in day.schedule.unscheduled)
        ]

    async def assignment_of(self, application_id: str) -> PublicJobAssigned | None:
        doc = await self._assignments.find_one({"application_id": application_id})
        return None if doc is None else PublicJobAssigned.model_validate(doc["event"])

    # -- employers, openings, graduates, referrals, matching days -------------------------
    async def save_employer(self, employer: RegisteredEmployer, at: datetime) -> None:
        course = employer.study_course
        await self._employers.replace_one(
            {"_id": employer.business_no},
            {
                "_id": employer.business_no,
                "name": employer.name,
                "study_course": None if course is None else vars(course),
                "saved_at": at,
            },
            upsert=True,
        )

    async def employers(self, business_nos: Iterable[str]) -> dict[str, RegisteredEmployer]:
        wanted = sorted(set(business_nos))
        if not wanted:
            return {}
        cursor = self._employers.find({"_id": {"$in": wanted}})
        return {doc["_id"]: _employer(doc) async for doc in cursor}

    async def add_opening(self, opening: Opening, at: datetime) -> None:
        await self._openings.insert_one({**_opening_document(opening), "posted_at": at})

    async def opening(self, opening_id: str) -> Opening | None:
        doc = await self._openings.find_one({"_id": opening_id})
        return None if doc is None else _opening(doc)

    async def openings(self, business_nos: Iterable[str] | None = None) -> list[Opening]:
        query = {} if business_nos is None else {"business_no": {"$in": sorted(business_nos)}}
        return [_opening(doc) async for doc in self._openings.find(query)]

    async def save_profile(self, applicant_id: str, profile: dict[str, Any]) -> None:
        await self._profiles.replace_one(
            {"_id": applicant_id}, {"_id": applicant_id, **profile}, upsert=True
        )

    async def profile(self, applicant_id: str) -> dict[str, Any] | None:
        return await self._profiles.find_one({"_id": applicant_id}, {"_id": 0})

    async def refer(self, referral: Referral) -> tuple[Referral, bool]:
        """The referral as stored, and whether this call made it (a pair is referred once)."""
        [went_in] = await insert_if_absent(self._referrals, [_referral_document(referral)])
        if went_in:
            return referral, True
        doc = await self._referrals.find_one({"_id": referral.referral_id})
        if doc is None:  # refused, yet gone: cannot happen, nothing deletes referrals
            raise RuntimeError(f"referral {referral.referral_id} refused but not found")
        return _referral(doc), False

    async def referrals_to(self, business_nos: Iterable[str]) -> list[Referral]:
        cursor = self._referrals.find({"business_no": {"$in": sorted(set(business_nos))}})
        return [_referral(doc) async for doc in cursor]

    async def save_matching_day(self, day: MatchingDay) -> bool:
        """Whether this planned the day (a day is planned once)."""
        [went_in] = await insert_if_absent(self._matching_days, [_day_document(day)])
        return went_in

    async def matching_day(self, matching_day_id: str) -> MatchingDay | None:
        doc = await self._matching_days.find_one({"_id": matching_day_id})
        return None if doc is None else _day(doc)


def _employer(doc: dict[str, Any]) -> RegisteredEmployer:
    course = doc.get("study_course")
    return RegisteredEmployer(
        business_no=doc["_id"],
        name=doc["name"],
        study_course=None if course is None else StudyCourse(**course),
    )


def _opening_document(opening: Opening) -> dict[str, Any]:
    return {
        "_id": opening.opening_id,
        "business_no": opening.business_no,
        "employer_name": opening.employer_name,
        "title": opening.title,
        "tags": sorted(opening.tags),
        "district": opening.district,
        "employment_type": opening.employment_type.value,
        "positions": opening.positions,
        "closes_on": opening.closes_on.isoformat(),
    }


def _opening(doc: dict[str, Any]) -> Opening:
    return Opening(
        opening_id=doc["_id"],
        business_no=doc["business_no"],
        employer_name=doc["employer_name"],
        title=doc["title"],
        tags=frozenset(doc["tags"]),
        district=doc["district"],
        employment_type=EmploymentType(doc["employment_type"]),
        positions=doc["positions"],
        closes_on=date.fromisoformat(doc["closes_on"]),
    )


def _referral_document(referral: Referral) -> dict[str, Any]:
    return {
        "_id": referral.referral_id,
        "opening_id": referral.opening_id,
        "business_no": referral.business_no,
        "applicant_id": referral.applicant_id,
        "coordinator": referral.coordinator,
        "referred_at": referral.referred_at,
    }


def _referral(doc: dict[str, Any]) -> Referral:
    return Referral(
        referral_id=doc["_id"],
        opening_id=doc["opening_id"],
        business_no=doc["business_no"],
        applicant_id=doc["applicant_id"],
        coordinator=doc["coordinator"],
        referred_at=doc["referred_at"],
    )


def _day_document(day: MatchingDay) -> dict[str, Any]:
    return {
        "_id": day.matching_day_id,
        "day": day.day.isoformat(),
        "employers": list(day.employers),
        "interviews": [
            {
                "slot": i.slot,
                "starts_at": i.starts_at,
                "applicant_id": i.applicant_id,
                "business_no": i.business_no,
            }
            for i in day.schedule.interviews
        ],
        "unscheduled": [
            {"applicant_id": r.applicant_id, "business_no": r.business_no}
            for r in day.schedule.unscheduled
        ],
    }


def _day(doc: dict[str, Any]) -> MatchingDay:
    return MatchingDay(
        matching_day_id=doc["_id"],
        day=date.fromisoformat(doc["day"]),
        employers=tuple(doc["employers"]),
        schedule=DaySchedule(
            tuple(
                Interview(i["slot"], i["starts_at"], i["applicant_id"], i["business_no"])
                for i in doc["interviews"]
            ),
            tuple(
                InterviewRequest(r["applicant_id"], r["business_no"]) for r in doc["unscheduled"]
            ),
        ),
    )
