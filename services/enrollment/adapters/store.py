"""The enrollment service's own MongoDB database, but for the seats (see `seat_log`).

- `cohorts`: the catalog (seeded from `catalog/*.yaml`, extended over HTTP); `call_key` is
  unique, so one recruitment call fills at most one cohort (a cohort without a call holds its
  own id there). Cohorts are reference data and never change once added: read from a copy
  refreshed every few seconds, and at once when a batch asks for one the copy lacks, never
  once per event (docs/decisions/0003).
- `enrollments`: applicants selected by a call that fills no cohort (public jobs): kept as
  pending enrollments, `_id` = the application id, by batch inserts.
- `attendance`: one document per mark recorded, never updated: a correction is a later mark
  (the last one counts). Inserted a session or an upload at a time.
- `surveys`: one response per enrollment, `_id` = the enrollment id: the insert decides that it
  is the first.
"""

import itertools
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import insert_new

from ..domain.attendance import Mark, RecordedMark
from ..domain.cohort import Cohort
from ..domain.enrollment import PendingEnrollment
from ..domain.survey import Answers, Response


def _call_key(cohort: Cohort) -> str:
    return cohort.call.id if cohort.call is not None else f"cohort:{cohort.id}"


class EnrollmentStore:
    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], *, cohort_refresh_seconds: float = 5.0
    ) -> None:
        self._cohorts = db["cohorts"]
        self._enrollments = db["enrollments"]
        self._attendance = db["attendance"]
        self._surveys = db["surveys"]
        self._refresh_seconds = cohort_refresh_seconds
        self._known: dict[str, Cohort] = {}
        self._read_at = -float("inf")
        self._marks = itertools.count()

    async def create_indexes(self) -> None:
        await self._cohorts.create_index([("call_key", ASCENDING)], unique=True)
        await self._enrollments.create_index([("applicant_id", ASCENDING)])
        await self._attendance.create_index([("cohort_id", ASCENDING)])
        await self._surveys.create_index([("program_id", ASCENDING)])

    # -- cohorts ----------------------------------------------------------------------------
    async def seed(self, cohorts: Sequence[Cohort]) -> int:
        """Insert the cohorts that are missing; never overwrite one (operators own them)."""
        added = await insert_new(self._cohorts, [self._cohort_doc(c) for c in cohorts])
        self._read_at = -float("inf")
        return len(added)

    async def add_cohort(self, cohort: Cohort) -> bool:
        """False when the cohort id, or the call that fills it, is taken."""
        try:
            await self._cohorts.insert_one(self._cohort_doc(cohort))
        except DuplicateKeyError:
            return False
        self._known[cohort.id] = cohort
        return True

    async def cohorts(self, *, fresh: bool = False) -> list[Cohort]:
        """Every cohort, from the copy (at most a few seconds old)."""
        if fresh or time.monotonic() - self._read_at > self._refresh_seconds:
            await self._read_cohorts()
        return sorted(self._known.values(), key=lambda c: c.id)

    async def cohorts_by_id(self, ids: Collection[str]) -> dict[str, Cohort]:
        await self._refresh_if_lacking(lambda: not set(ids) <= self._known.keys())
        return {id_: self._known[id_] for id_ in ids if id_ in self._known}

    async def cohorts_by_call(self, call_ids: Collection[str]) -> dict[str, Cohort]:
        """The cohort each call fills, for the calls that fill one."""

        def by_call() -> dict[str, Cohort]:
            return {c.call.id: c for c in self._known.values() if c.call is not None}

        await self._refresh_if_lacking(lambda: not set(call_ids) <= by_call().keys())
        found = by_call()
        return {call_id: found[call_id] for call_id in call_ids if call_id in found}

    async def _refresh_if_lacking(self, lacking: Callable[[], bool]) -> None:
        # A cohort added a moment ago on another instance must not be missed: a selection
        # would become a pending enrollment, a seat command would be skipped. A miss costs one
        # read of this small collection, once per batch.
        if time.monotonic() - self._read_at > self._refresh_seconds or lacking():
            await self._read_cohorts()

    async def _read_cohorts(self) -> None:
        cursor = self._cohorts.find({}, {"_id": 0, "call_key": 0})
        cohorts = [Cohort.model_validate(doc) async for doc in cursor]
        # Added to, never replaced: cohorts are only ever inserted, and a read that began
        # before this instance added one must not drop it from the copy (seen in CI: a
        # cohort added over HTTP missing from the search that followed).
        self._known |= {cohort.id: cohort for cohort in cohorts}
        self._read_at = time.monotonic()

    @staticmethod
    def _cohort_doc(cohort: Cohort) -> dict[str, Any]:
        return {"_id": cohort.id, "call_key": _call_key(cohort), **cohort.model_dump(mode="json")}

    # -- selected applicants of calls without cohorts ---------------------------------------
    async def add_pending(self, enrollments: Sequence[PendingEnrollment]) -> None:
        await insert_new(
            self._enrollments,
            [
                {"_id": e.enrollment_id, **asdict(e), "status": "pending_cohort"}
                for e in enrollments
            ],
        )

    async def pending_of(self, applicant_id: str) -> list[PendingEnrollment]:
        cursor = self._enrollments.find({"applicant_id": applicant_id}, {"_id": 0, "status": 0})
        return [PendingEnrollment(**doc) async for doc in cursor]

    # -- attendance -------------------------------------------------------------------------
    async def record_marks(
        self, cohort_id: str, marks: Sequence[Mark], at: datetime, source: str
    ) -> None:
        if not marks:
            return
        documents = []
        for mark in marks:
            sequence = next(self._marks)
            documents.append(
                {
                    "_id": uuid.uuid4().hex,
                    "cohort_id": cohort_id,
                    "enrollment_id": mark.enrollment_id,
                    "session": mark.session,
                    "present": mark.present,
                    "recorded_at": at,
                    "sequence": sequence,
                    "source": source,
                }
            )
        await self._attendance.insert_many(documents, ordered=False)

    async def marks_of(self, cohort_id: str) -> list[RecordedMark]:
        cursor = self._attendance.find({"cohort_id": cohort_id})
        return [_recorded_mark(doc) async for doc in cursor]

    async def marks_of_enrollments(self, enrollment_ids: Collection[str]) -> list[RecordedMark]:
        """Every mark recorded for these enrollments (a citizen's data export)."""
        if not enrollment_ids:
            return []
        cursor = self._attendance.find({"enrollment_id": {"$in": sorted(enrollment_ids)}})
        marks = [_recorded_mark(doc) async for doc in cursor]
        return sorted(marks, key=lambda m: (m.recorded_at, m.sequence))

    # -- surveys ----------------------------------------------------------------------------
    async def add_response(self, response: Response) -> bool:
        """False when the enrollment has answered already."""
        try:
            await self._surveys.insert_one(
                {
                    "_id": response.enrollment_id,
                    "program_id": response.program_id,
                    "cohort_id": response.cohort_id,
                    "campus_id": response.campus_id,
                    "answers": response.answers.model_dump(mode="json"),
                    "answered_at": response.answered_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    async def responses(self, **match: str) -> list[Response]:
        cursor = self._surveys.find({k: v for k, v in match.items() if v})
        return [_response(doc) async for doc in cursor]

    async def responses_of(self, enrollment_ids: Collection[str]) -> list[Response]:
        """The survey answers of these enrollments (a citizen's data export)."""
        if not enrollment_ids:
            return []
        cursor = self._surveys.find({"_id": {"$in": sorted(enrollment_ids)}})
        return [_response(doc) async for doc in cursor]


def _recorded_mark(doc: dict[str, Any]) -> RecordedMark:
    return RecordedMark(
        Mark(doc["enrollment_id"], int(doc["session"]), bool(doc["present"])),
        doc["recorded_at"],
        int(doc["sequence"]),
    )


def _response(doc: dict[str, Any]) -> Response:
    return Response(
        enrollment_id=doc["_id"],
        program_id=doc["program_id"],
        cohort_id=doc["cohort_id"],
        campus_id=doc["campus_id"],
        answers=Answers.model_validate(doc["answers"]),
        answered_at=doc["answered_at"],
    )
