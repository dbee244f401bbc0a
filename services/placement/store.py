"""The placement service's own MongoDB database: reports as received, employments confirmed."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.placement import EmploymentReported


class PlacementStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._reports = db["employment_reports"]
        self._employments = db["employments"]

    async def create_indexes(self) -> None:
        await self._employments.create_index([("applicant_id", ASCENDING)])
        await self._reports.create_index([("applicant_id", ASCENDING)])

    async def record_report(self, report: EmploymentReported, employment_id: str) -> None:
        await self._reports.update_one(
            {"_id": report.report_id},
            {"$setOnInsert": {**report.model_dump(mode="json"), "employment_id": employment_id}},
            upsert=True,
        )

    async def confirm_employment(
        self, employment_id: str, report: EmploymentReported, at: datetime
    ) -> str:
        """Confirm once; returns the report_id that confirmed it (the first one to arrive)."""
        doc = await self._employments.find_one_and_update(
            {"_id": employment_id},
            {
                "$setOnInsert": {
                    "applicant_id": report.applicant_id,
                    "employer": report.employer.model_dump(),
                    "job_title": report.job_title,
                    "employment_type": report.employment_type.value,
                    "start_date": report.start_date.isoformat(),
                    "source": report.source.value,
                    "confirmed_by": report.report_id,
                    "confirmed_at": at,
                }
            },
            upsert=True,
            return_document=True,
        )
        assert doc is not None  # upsert with return_document=True always returns the document
        return str(doc["confirmed_by"])

    async def employments_of(self, applicant_id: str) -> list[dict[str, Any]]:
        cursor = self._employments.find({"applicant_id": applicant_id}).sort("start_date", 1)
        return [
            {k: v for k, v in doc.items() if k != "_id"} | {"employment_id": doc["_id"]}
            async for doc in cursor
        ]

    async def reports_of(self, applicant_id: str) -> list[dict[str, Any]]:
        cursor = self._reports.find({"applicant_id": applicant_id}, {"_id": 0})
        return [doc async for doc in cursor]
