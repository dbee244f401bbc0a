"""Idempotent consumption: each event_id is processed to completion at most once per service.

The unique `_id` of the inbox collection does the guarding (no read-then-write race): a claim is
an insert, and only one insert of an event_id can succeed. A whole batch is claimed with one
unordered bulk insert. A claim left by a crash mid-batch is taken over on redelivery, which is
safe because handlers write idempotently and publish with event ids derived from the event
they handle.

A finished batch is recorded by a second insert, into `inbox_done`, not by updating its claims:
FerretDB 1.24 answers an update or a find, even by `_id`, by reading the whole collection,
while an insert is checked against the unique index alone (docs/decisions/0003). One document
records a whole batch (`ids`), so that the collection a redelivery has to read grows by one
document a batch, not one an event, and recording costs one row, not hundreds. Only
redelivered events pay that read, one per batch, and not even that for an event this process
finished itself: it remembers the last `remembered` ids it completed (a fact that never turns
false, so the memory needs no invalidation; redeliveries and re-sent duplicates come by the
same partition key, to the same consumer, soon after).
"""

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.clock import now_kst
from shared.mongo import insert_new, per_document


class Inbox:
    def __init__(self, db: AsyncDatabase[dict[str, object]], remembered: int = 50_000) -> None:
        self._claims = db["inbox"]
        self._done = db["inbox_done"]
        self._finished_here: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered

    async def create_indexes(self) -> None:
        # MongoDB answers the redelivery read from this (multikey) index; FerretDB reads all.
        await self._done.create_index([("ids", ASCENDING)])

    async def claim(self, event_ids: Sequence[str], topic: str) -> set[str]:
        """The ids among `event_ids` to process now: all but those already processed."""
        at = now_kst()
        # Those this process finished are not claimed again: a refused claim would make
        # FerretDB insert the whole batch one claim at a time (`insert_if_absent`).
        unknown = [id_ for id_ in event_ids if id_ not in self._finished_here]
        taken = await insert_new(
            self._claims, [{"_id": id_, "topic": topic, "claimed_at": at} for id_ in unknown]
        )
        seen_before = [id_ for id_ in unknown if id_ not in taken]
        if not seen_before:
            return taken
        # Claimed before: finished, or cut short by a crash (then processed again).
        cursor = self._done.find({"ids": {"$in": seen_before}}, {"ids": 1})
        done: set[str] = set()
        async for doc in cursor:
            done.update(cast(list[str], doc["ids"]))
        return taken | {id_ for id_ in seen_before if id_ not in done}

    async def complete(self, event_ids: Sequence[str], at: datetime | None = None) -> None:
        # A claim taken over after a crash may complete a second time: recorded twice, which
        # says the same.
        at = at or now_kst()
        ids = list(dict.fromkeys(event_ids))
        await insert_new(
            self._done,
            [
                {"_id": uuid.uuid4().hex, "ids": list(group), "done_at": at}
                for group in per_document(ids)
            ],
        )
        for id_ in ids:
            self._finished_here[id_] = None
        while len(self._finished_here) > self._remembered:
            self._finished_here.popitem(last=False)
