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

PENDING, SENT, FAILED = "pending", "sent", "failed"  # services.notify.domain Status


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

    async def mark_phone_undeliverable(self, applicant_id: str, phone: str) -> None:
        """The gateway refused this number for good: later messages go by e-mail only."""
        await self._contacts.update_one(
            {"_id": applicant_id, "phone": phone}, {"$set": {"phone_undeliverable": True}}
        )

    async def contact_of(self, applicant_id: str) -> dict[str, Any] | None:
        return await self._contacts.find_one({"_id": applicant_id})

    # -- events waiting for a contact ----------------------------------------------------
    async def park(self, event_id: str, applicant_id: str, event_type: str, event: str) -> None:
        await self._awaiting.update_one(
            {"_id": event_id},
            {
                "$setOnInsert": {
                    "applicant_id": applicant_id,
                    "event_type": event_type,
                    "event": event,
                }
            },
            upsert=True,
        )

    async def parked_for(self, applicant_id: str) -> list[dict[str, Any]]:
        return [doc async for doc in self._awaiting.find({"applicant_id": applicant_id})]

    async def unpark(self, event_id: str) -> None:
        await self._awaiting.delete_one({"_id": event_id})

    # -- notifications -------------------------------------------------------------------
    async def add_notification(self, document: dict[str, Any]) -> bool:
        """Insert once; False if this (event, channel) was already planned."""
        try:
            await self._notifications.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def planned_channels(self, source_event_id: str) -> list[str]:
        cursor = self._notifications.find({"source_event_id": source_event_id}, {"channel": 1})
        return [doc["channel"] async for doc in cursor]

    async def claim_due(self, now: datetime, lease: timedelta) -> dict[str, Any] | None:
        """Take the next due notification, or one whose sender died mid-send (lease expired)."""
        return await self._notifications.find_one_and_update(
            {
                "$or": [
                    {"status": PENDING, "due_at": {"$lte": now}, "lease_until": None},
                    {"status": PENDING, "lease_until": {"$lte": now}},
                ]
            },
            {"$set": {"lease_until": now + lease}},
            sort=[("due_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def save_state(self, state: dict[str, Any]) -> None:
        """Persist what an attempt decided and release the lease."""
        await self._notifications.update_one(
            {"_id": state["notification_id"]}, {"$set": {**state, "lease_until": None}}
        )

    async def unreported(self, older_than: datetime) -> list[dict[str, Any]]:
        """Finished notifications whose outcome event may not have gone out (a crash between
        saving the outcome and publishing it)."""
        cursor = self._notifications.find(
            {
                "status": {"$in": [SENT, FAILED]},
                "reported": False,
                "finished_at": {"$lte": older_than},
            },
        ).limit(100)
        return [doc async for doc in cursor]

    async def mark_reported(self, notification_id: str) -> None:
        await self._notifications.update_one({"_id": notification_id}, {"$set": {"reported": True}})

    async def history_of(self, applicant_id: str) -> list[dict[str, Any]]:
        cursor = self._notifications.find(
            {"applicant_id": applicant_id},
            {"recipient": 0, "text": 0, "html": 0},  # contacts are shown masked only
        ).sort("created_at", ASCENDING)
        return [doc async for doc in cursor]

    async def count_by_status(self) -> dict[str, int]:
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        return {doc["_id"]: doc["n"] async for doc in await self._notifications.aggregate(pipeline)}
