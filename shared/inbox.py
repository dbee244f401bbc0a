"""Idempotent consumption: each event_id is processed to completion at most once per service.

The unique `_id` of the inbox collection does the guarding (no read-then-write race): a claim is
an insert, and only one insert of an event_id can succeed. A claim left by a crash mid-handler is
taken over on redelivery, which is safe because handlers write with idempotent upserts and
publish with event ids derived from the event they handle.

A finished event is recorded by a second insert, into `inbox_done`, not by updating its claim:
FerretDB 1.24 on SQLite answers an update or a find, even by `_id`, by reading the whole
collection, while an insert is checked against the unique index alone. So the cost of handling
an event does not grow with every event handled before; only a redelivered one pays a lookup.
"""

import contextlib
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.clock import now_kst


class Inbox:
    def __init__(self, db: AsyncDatabase[dict[str, object]]) -> None:
        self._claims = db["inbox"]
        self._done = db["inbox_done"]

    async def claim(self, event_id: str, topic: str) -> bool:
        """True if this event should be processed now; False if it already was."""
        try:
            await self._claims.insert_one(
                {"_id": event_id, "topic": topic, "claimed_at": now_kst()}
            )
        except DuplicateKeyError:
            return await self._done.find_one({"_id": event_id}, {"_id": 1}) is None
        return True

    async def complete(self, event_id: str, at: datetime | None = None) -> None:
        # A claim taken over after a crash may complete a second time: once is recorded.
        with contextlib.suppress(DuplicateKeyError):
            await self._done.insert_one({"_id": event_id, "done_at": at or now_kst()})
