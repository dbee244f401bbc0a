"""The placement service's own MongoDB database: reports as received, employments confirmed.

- `employment_reports`: every report, `_id` = its report_id (a re-sent report is stored once).
- `employments`: one document per confirmed job, `_id` = the employment id; the first
  confirming report's insert wins, so a job is confirmed once whoever reports it again.
Both are written by batch inserts (docs/decisions/0003); lookups by applicant serve HTTP only.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.placement import Employer, EmploymentReported, EmploymentType, ReportSource
from shared.mongo import insert_if_absent, insert_new

from ..domain.employment import Employment


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
    )


class PlacementStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._reports = db["employment_reports"]
        self._employments = db["employments"]

    async def create_indexes(self) -> None:
        await self._employments.create_index([("applicant_id", ASCENDING)])
        await self._reports.create_index([("applicant_id", ASCENDING)])

    async def record_reports(self, reports: Sequence[EmploymentReported]) -> None:
        await insert_new(
            self._reports,
            [{"_id": r.report_id, **r.model_dump(mode="json")} for r in reports],
        )

    async def confirm(self, employments: Sequence[Employment]) -> list[Employment]:
        """Confirm each job once: for each candidate, the employment as it stands confirmed,
        by this report or by the one that came first."""
        went_in = await insert_if_absent(self._employments, [_document(e) for e in employments])
        earlier = [e.employment_id for e, new in zip(employments, went_in, strict=True) if not new]
        stored: dict[str, Employment] = {}
        if earlier:  # a redelivery, or a second source reporting the same job: one lookup
            cursor = self._employments.find({"_id": {"$in": earlier}})
            stored = {doc["_id"]: _employment(doc) async for doc in cursor}
        return [
            e if new else stored[e.employment_id]
            for e, new in zip(employments, went_in, strict=True)
        ]

    async def employments_of(self, applicant_id: str) -> list[Employment]:
        cursor = self._employments.find({"applicant_id": applicant_id}).sort("start_date", 1)
        return [_employment(doc) async for doc in cursor]

    async def reports_of(self, applicant_id: str) -> list[EmploymentReported]:
        cursor = self._reports.find({"applicant_id": applicant_id}, {"_id": 0})
        return [EmploymentReported.model_validate(doc) async for doc in cursor]
