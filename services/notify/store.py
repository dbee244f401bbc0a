"""The notify service's own MongoDB database.

- `contacts`: how to reach each citizen, from their latest application (event-carried state:
  notify never reads another service's database).
- `notifications`: one document per (source event, channel), `_id` = the notification id. It is
  the outbox and the retry schedule at once: the delivery loop claims due documents with a
  lease, so a crash mid-send leads to a resend of the same message id, never to a second one.
- `awaiting_contact`: citizen events that arrived before the citizen's contact did.
"""

import contextlib
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class NotifyStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._contacts = db["contacts"]
        self._notifications = db["notifications"]
        self._awaiting = db["awaiting_contact"]

    async def create_indexes(self) -> None:
        await self._notifications.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self._notifications.create_index([("applicant_id", ASCENDING)])
        await self._awaiting.create_index([("applicant_id", ASCENDING)])

    # -- contacts ------------------------------------------------------------------------
    async def save_contact(
        self, applicant_id: str, contact: dict[str, Any], as_of: datetime
    ) -> None:
        """Keep the contact of the citizen's most recent application."""
        newer = await self._contacts.update_one(
            {"_id": applicant_id, "as_of": {"$lte": as_of}}, {"$set": {**contact, "as_of": as_of}}
        )
        if newer.matched_count:
            return
        # A duplicate means the stored contact comes from a later application: keep it.
        with contextlib.suppress(DuplicateKeyError):
            await self._contacts.insert_one({"_id": applicant_id, **contact, "as_of": as_of})

    async def contact_of(self, applicant_id: str) -> dict[str, Any] | None:
        return await self._contacts.find_one({"_id": applicant_id})

    # -- events waiting for a contact ----------------------------------------------------
    async def park(self, event_id: str, applicant_id: str, event_json: str) -> None:
        await self._awaiting.update_one(
            {"_id": event_id},
            {"$setOnInsert": {"applicant_id": applicant_id, "event": event_json}},
            upsert=True,
        )

    async def parked_for(self, applicant_id: str) -> list[dict[str, Any]]:
        return [doc async for doc in self._awaiting.find({"applicant_id": applicant_id})]

    async def unpark(self, event_id: str) -> None:
        await self._awaiting.delete_one({"_id": event_id})

    # -- notifications -------------------------------------------------------------------
    async def add_notification(self, notification: dict[str, Any]) -> bool:
        """Insert once; False if this (event, channel) was already planned."""
        try:
            await self._notifications.insert_one({**notification, "status": PENDING, "attempts": 0})
        except DuplicateKeyError:
            return False
        return True

    async def has_notification(self, notification_id: str) -> bool:
        return await self._notifications.count_documents({"_id": notification_id}, limit=1) > 0

    async def claim_due(self, now: datetime, lease: timedelta) -> dict[str, Any] | None:
        """Take the next due notification, or one whose sender died mid-send (lease expired)."""
        return await self._notifications.find_one_and_update(
            {
                "$or": [
                    {"status": PENDING, "due_at": {"$lte": now}},
                    {"status": SENDING, "lease_until": {"$lte": now}},
                ]
            },
            {"$set": {"status": SENDING, "lease_until": now + lease}, "$inc": {"attempts": 1}},
            sort=[("due_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def mark_sent(self, notification_id: str, at: datetime) -> None:
        await self._notifications.update_one(
            {"_id": notification_id}, {"$set": {"status": SENT, "sent_at": at, "last_error": None}}
        )

    async def reschedule(self, notification_id: str, due_at: datetime, error: str) -> None:
        await self._notifications.update_one(
            {"_id": notification_id},
            {"$set": {"status": PENDING, "due_at": due_at, "last_error": error}},
        )

    async def postpone(self, notification_id: str, due_at: datetime) -> None:
        """Not an attempt (the provider's circuit is open, or its rate limit is reached)."""
        await self._notifications.update_one(
            {"_id": notification_id},
            {"$set": {"status": PENDING, "due_at": due_at}, "$inc": {"attempts": -1}},
        )

    async def mark_failed(self, notification_id: str, at: datetime, error: str) -> None:
        await self._notifications.update_one(
            {"_id": notification_id},
            {"$set": {"status": FAILED, "failed_at": at, "last_error": error}},
        )

    async def history_of(self, applicant_id: str) -> list[dict[str, Any]]:
        cursor = self._notifications.find(
            {"applicant_id": applicant_id},
            {"recipient": 0, "text": 0, "html": 0},  # contacts are shown masked only
        ).sort("created_at", ASCENDING)
        return [doc async for doc in cursor]

    async def count_by_status(self) -> dict[str, int]:
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {doc["_id"]: doc["n"] async for doc in await self._notifications.aggregate(pipeline)}
