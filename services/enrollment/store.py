"""The enrollment service's own MongoDB database."""

from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from .domain.enrollment import PendingEnrollment


class EnrollmentStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._enrollments = db["enrollments"]

    async def create_indexes(self) -> None:
        await self._enrollments.create_index([("applicant_id", ASCENDING)])

    async def add_pending(self, enrollment: PendingEnrollment) -> None:
        await self._enrollments.update_one(
            {"_id": enrollment.enrollment_id},
            {"$setOnInsert": {**asdict(enrollment), "status": "pending_cohort"}},
            upsert=True,
        )

    async def enrollments_of(self, applicant_id: str) -> list[dict[str, Any]]:
        cursor = self._enrollments.find({"applicant_id": applicant_id}, {"_id": 0})
        return [doc async for doc in cursor]
