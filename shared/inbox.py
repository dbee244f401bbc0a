"""Idempotent consumption: each event_id is processed to completion at most once per service.

The unique `_id` of the inbox collection does the guarding (no read-then-write race): a claim is
an insert, and only one insert of an event_id can succeed. A claim left by a crash mid-handler is
taken over on redelivery, which is safe because handlers write with idempotent upserts and
publish with event ids derived from the event they handle.
"""

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.clock import now_kst

_DONE = "done"


class Inbox:
    def __init__(self, db: AsyncDatabase[dict[str, object]]) -> None:
        self._events = db["inbox"]

    async def claim(self, event_id: str, topic: str) -> bool:
        """True if this event should be processed now; False if it already was."""
        try:
            await self._events.insert_one(
                {"_id": event_id, "topic": topic, "state": "claimed", "claimed_at": now_kst()}
            )
        except DuplicateKeyError:
            seen = await self._events.find_one({"_id": event_id}, {"state": 1})
            return seen is None or seen.get("state") != _DONE
        return True

    async def complete(self, event_id: str, at: datetime | None = None) -> None:
        await self._events.update_one(
            {"_id": event_id}, {"$set": {"state": _DONE, "done_at": at or now_kst()}}
        )
