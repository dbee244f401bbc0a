"""The notify service's own MongoDB database.

- `contacts`: how to reach each citizen, from their latest application (event-carried state:
  notify never reads another service's database).
- `notifications`: one document per (source event, channel), `_id` = the notification id,
  written once when it is planned: what it says, to whom, why. The citizen's history.
- `outbox`: the working copy of each notification whose work is not done (its state changes
  here: attempts, next try, `lease_until` when another loop was seen working on it): not
  sent yet, or sent or failed but the outcome event not published yet. The delivery loop
  finds due work here; an entry leaves once its outcome is published.
- `outcomes`: how each notification ended (sent or failed), written once.
- `leases`: one entry per notification a delivery loop is working on (`_id`, `until`). Taking
  one is an insert, so only one loop can: a crash mid-send leads, once the lease has run out,
  to a resend of the same message id, never to a second message.
- `delivered`: one entry per notification the provider has taken (`_id`, `at`), written the
  moment it answers, before anything else: a crash right after a send does not send again.
- `awaiting_contact`: citizen events that arrived before the citizen's contact did.

Why so: FerretDB 1.24 on SQLite answers every query by reading the whole table, a lookup by
`_id` included (its `_id` index serves only inserts; measured: 2 ms at 100 documents, 250 ms at
20,000). Only an insert costs the same however big the collection is. So on the way of a
message everything is an insert, or touches `outbox`, `leases` and `delivered`, which hold
what is in progress, never the history.
"""

import contextlib
import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

PENDING, SENT = "pending", "sent"  # services.notify.domain Status
log = logging.getLogger(__name__)


def _version_key(as_of: datetime) -> str:
    """A field name that sorts like the time it names (UTC, to the microsecond)."""
    return as_of.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")


def _current(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    versions: dict[str, dict[str, Any]] = stored.get("versions") or {}
    dead: list[str] = stored.get("undeliverable_phones", [])
    if not versions and "phone" in stored:  # stored before versions were kept
        versions = {"": stored}
        dead = [*dead, stored["phone"]] if stored.get("phone_undeliverable") else dead
    if not versions:
        return None
    return {**versions[max(versions)], "undeliverable_phones": dead}


class NotifyStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._contacts = db["contacts"]
        self._notifications = db["notifications"]
        self._awaiting = db["awaiting_contact"]
        self._outbox = db["outbox"]
        self._outcomes = db["outcomes"]
        self._leases = db["leases"]
        self._delivered = db["delivered"]

    async def create_indexes(self) -> None:
        await self._notifications.create_index([("applicant_id", ASCENDING)])
        await self._outbox.create_index([("due_at", ASCENDING)])
        await self._outcomes.create_index([("applicant_id", ASCENDING)])
        await self._awaiting.create_index([("applicant_id", ASCENDING)])

    # -- contacts ------------------------------------------------------------------------
    async def save_contact(
        self, applicant_id: str, contact: dict[str, Any], as_of: datetime
    ) -> dict[str, Any]:
        """Keep the contact of each of the citizen's applications, by its time; the latest
        counts. The writes commute: two applications handled at once, in any order or twice,
        leave the later one's contact in force. Returns the contact as `contact_of` does."""
        key, version = _version_key(as_of), {**contact, "as_of": as_of}
        created = {"_id": applicant_id, "versions": {key: version}}
        stored: dict[str, Any] | None = created
        try:
            # First an insert: unlike an upsert (a lookup first), it costs FerretDB the same
            # however many citizens there are.
            await self._contacts.insert_one(dict(created))
        except DuplicateKeyError:
            stored = await self._contacts.find_one_and_update(
                {"_id": applicant_id},
                {"$set": {f"versions.{key}": version}},
                return_document=ReturnDocument.AFTER,
            )
        current = _current(stored)
        assert current is not None  # just written
        return current

    async def mark_phone_undeliverable(self, applicant_id: str, phone: str) -> None:
        """The gateway refused this number for good: it is not used again, whichever
        application gives it (another number is)."""
        await self._contacts.update_one(
            {"_id": applicant_id}, {"$addToSet": {"undeliverable_phones": phone}}
        )

    async def contact_of(self, applicant_id: str) -> dict[str, Any] | None:
        """The contact of the citizen's latest application, and `undeliverable_phones`."""
        return _current(await self._contacts.find_one({"_id": applicant_id}))

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
        """Store a planned notification and put a working copy in the outbox (also of one
        that failed at once: its outcome is to be published). False if this (event, channel)
        was planned before: a redelivered event."""
        try:
            await self._notifications.insert_one(document)
        except DuplicateKeyError:
            # A crash may have come between the two inserts the first time. (Both lookups
            # read whole collections on FerretDB, but only for a redelivered event.)
            if await self._outcomes.find_one({"_id": document["_id"]}) is None:
                planned = await self._notifications.find_one({"_id": document["_id"]})
                await self._enqueue(planned or document)
            return False
        await self._enqueue(document)
        return True

    async def _enqueue(self, document: dict[str, Any]) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self._outbox.insert_one({**document, "lease_until": None})

    async def due(self, now: datetime, limit: int, exclude: Collection[str] = ()) -> list[str]:
        """Ids of up to `limit` notifications with work due now and nobody working on them
        (or whose worker died: its lease ran out), but those in `exclude` (what the caller
        works on already). One scan of the outbox."""
        query: dict[str, Any] = {
            "due_at": {"$lte": now},
            "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
        }
        if exclude:
            query["_id"] = {"$nin": list(exclude)}
        cursor = self._outbox.find(query, {"_id": 1}).limit(limit)
        return [entry["_id"] async for entry in cursor]

    async def claim(
        self, notification_id: str, now: datetime, lease: timedelta
    ) -> dict[str, Any] | None:
        """Take the notification for `lease`: its working copy, or None when another delivery
        loop holds it (or has just finished it)."""
        until = now + lease
        try:
            await self._leases.insert_one({"_id": notification_id, "until": until})
        except DuplicateKeyError:
            held = await self._leases.find_one({"_id": notification_id})
            if held is None:
                return None  # released just now; the next round sees what is left to do
            if held["until"] > now:
                # Another loop works on it (or one that died, until its lease runs out):
                # the outbox says so, and scans pass it by meanwhile.
                await self._outbox.update_one(
                    {"_id": notification_id}, {"$set": {"lease_until": held["until"]}}
                )
                return None
            # Its holder died. Taking over is conditional, so only one loop does; `leases`
            # holds only the work in progress, so the scan this costs is short.
            taken = await self._leases.update_one(
                {"_id": notification_id, "until": held["until"]}, {"$set": {"until": until}}
            )
            if not taken.modified_count:
                return None
            log.warning(
                "a delivery loop stopped while working on a notification; taking it over",
                extra={"notification": notification_id},
            )
        document = await self._outbox.find_one({"_id": notification_id})
        if document is None:  # finished and reported by another loop meanwhile
            await self._leases.delete_one({"_id": notification_id})
        return document

    async def save_state(self, state: dict[str, Any]) -> None:
        """Persist what an attempt decided. Still pending: into the working copy, back in
        the outbox at its new time. Finished: the outcome for good (an insert, done once),
        after the working copy unless it was sent (`delivered` says so already, and the
        working copy is about to go); the lease is kept until the outcome is published."""
        notification_id = state["notification_id"]
        pending = state["status"] == PENDING
        if state["status"] != SENT:
            await self._outbox.update_one(
                {"_id": notification_id},
                {"$set": state | ({"lease_until": None} if pending else {})},
            )
        if pending:
            await self._leases.delete_one({"_id": notification_id})
            return
        with contextlib.suppress(DuplicateKeyError):
            await self._outcomes.insert_one({"_id": notification_id, **state})

    async def record_delivered(self, notification_id: str, at: datetime) -> None:
        """The provider took the message: an insert, which FerretDB does at once, before
        anything else is written."""
        with contextlib.suppress(DuplicateKeyError):
            await self._delivered.insert_one({"_id": notification_id, "at": at})

    async def delivered_at(self, notification_id: str) -> datetime | None:
        entry = await self._delivered.find_one({"_id": notification_id})
        return None if entry is None else entry["at"]

    async def mark_reported(self, notification_id: str) -> None:
        """The outcome is published: the notification leaves the outbox."""
        await self._outbox.delete_one({"_id": notification_id})
        await self._delivered.delete_one({"_id": notification_id})
        await self._leases.delete_one({"_id": notification_id})

    async def backlog(self) -> int:
        """Notifications whose work is not done: to send, or to report."""
        return await self._outbox.count_documents({})

    async def history_of(self, applicant_id: str) -> list[dict[str, Any]]:
        """Every notification to the citizen as planned, with its state now: the outcome,
        or while there is none, the working copy's."""
        mine = {"applicant_id": applicant_id}
        # Contacts are shown masked only; the content is in the messages themselves.
        hidden = {"recipient": 0, "text": 0, "html": 0, "fallback_email": 0, "lease_until": 0}
        states = {doc["_id"]: doc async for doc in self._outbox.find(mine, hidden)}
        states |= {doc["_id"]: doc async for doc in self._outcomes.find(mine)}
        cursor = self._notifications.find(mine, hidden).sort("created_at", ASCENDING)
        return [doc | states.get(doc["_id"], {}) async for doc in cursor]

    async def count_by_status(self) -> dict[str, int]:
        """Finished notifications by outcome, and those pending."""
        pipeline = [{"$group": {"_id": "$status", "n": {"$sum": 1}}}]
        counts = {doc["_id"]: doc["n"] async for doc in await self._outcomes.aggregate(pipeline)}
        pending = await self._outbox.count_documents({"status": PENDING})
        return counts | ({PENDING: pending} if pending else {})
