"""The enrollment service's own MongoDB database.

- `enrollments`: one document per enrollment, `_id` = the application id (an application is
  enrolled at most once), written by batch inserts (docs/decisions/0003).
"""

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import insert_new

from ..domain.enrollment import PendingEnrollment


class EnrollmentStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._enrollments = db["enrollments"]

    async def create_indexes(self) -> None:
        await self._enrollments.create_index([("applicant_id", ASCENDING)])

    async def add_pending(self, enrollments: Sequence[PendingEnrollment]) -> None:
        await insert_new(
            self._enrollments,
            [
                {"_id": e.enrollment_id, **asdict(e), "status": "pending_cohort"}
                for e in enrollments
            ],
        )

    async def enrollments_of(self, applicant_id: str) -> list[PendingEnrollment]:
        cursor = self._enrollments.find({"applicant_id": applicant_id}, {"_id": 0, "status": 0})
        return [PendingEnrollment(**doc) async for doc in cursor]
