"""The notify service's own MongoDB database.

FerretDB 1.24 loses concurrent updates of one document and answers every query, every update
and every delete by reading the whole collection (an `{_id: ...}` filter included); an insert
against a unique index is atomic and costs the same however big the collection is, and so
does creating or dropping a collection (docs/decisions/0003). It also makes one write at a
time, and a writer that finds another one busy waits in growing steps: writes here are few,
in bulk and one after the other. So what several writers may write at once is inserted, never
updated; the work of a batch is one bulk write; and no collection that grows with traffic is
read on the way of a message:

- `contact_versions`: the contact each application gave, `_id` = `<applicant>|<application>`:
  one insert per application (a redelivery is refused). The latest application's counts (the
  domain picks it). The store remembers the versions it wrote or read for
  `contact_memory_seconds` (a version never changes), so that the events that follow an
  application (screened, selected, ...) find its contact without reading a collection that
  grows with every applicant; only citizens it does not remember are read, once per batch
  (`$in`). What that costs: another notify instance's newer version of a remembered citizen
  (a second application, with a new number, handled there) counts only once the memory of
  that citizen is older than `contact_memory_seconds`.
- `undeliverable_phones`: a number the gateway refused for good, `_id` = `<applicant>|<phone>`:
  an insert, so two refusals at once both stick (an `$addToSet` may lose one).
- `awaiting_contact`: citizen events that came before the citizen's first application,
  `_id` = the event id; released (planned, then deleted) when the application comes.
- `notifications`: one document per (source event, channel), `_id` = the notification id,
  inserted once when planned: why, which template, to whom (masked), and the outbox segment
  it went to. That insert decides that it is new; the citizen's history. What a message says
  (it names the citizen) and the address are kept in the segment's working copy only, and go
  with it once delivered: less personal data kept, and fewer bytes written (FerretDB's cost
  grows with them: 22,000 documents/s of 300 bytes, 8,000 of 3 KB, measured).
- `outbox_segments`: one small entry per outbox segment (`domain/outbox.py`): its channel,
  when it is due, how many notifications it holds. What delivery loops scan for due work.
- `outbox_segment_<segment>`: the working copies of the segment's notifications (what to send),
  which of them the segment owns (`~owned`), and its log: what happened to them, by inserts
  only (`log` = `revision`: `<id>:r<n>`; `log` = `taken`: the messages the provider took,
  with when, inserted the moment it takes them (one entry for those taken meanwhile), so that
  a crash right after a send does not send again).
  Created by planning and dropped whole once every notification in it is finished and
  reported, log and all: reading or clearing a segment never reads another segment's
  entries. Creating and dropping a collection holds up every other query on FerretDB, so
  segments are large (`SEGMENT_SIZE`).
- `leases`: which delivery loop works on a segment, `_id` = `<segment>#<generation>`: taking,
  renewing, taking over and giving back are inserts of the next generation (`domain/lease.py`).
- `outcomes`: how each notification ended (sent or failed): one document per settled batch,
  naming the batch's citizens (`applicants`), so that it costs one row, not one a message. A
  batch settled again after a crash records the same outcomes twice; readers take one.

Personal data is sealed field by field (`shared.personal_data`, docs/decisions/0006): the
contacts' names, numbers and addresses, each notification's recipient and texts (which name
the citizen), and a refused number, whose `_id` holds its keyed hash instead. What memory
holds is open; what the database holds is not. Provider errors are stored masked.
"""

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.contracts.recruitment import Consents
from shared.masking import mask_personal_data
from shared.mongo import insert_new, per_document
from shared.personal_data import KeyRing

from ..domain.channels import Channel
from ..domain.contact import AwaitingContact, Contact, ContactVersion, contacts
from ..domain.lease import Lease, current
from ..domain.message import EmailText, SmsText
from ..domain.notification import HistoryEntry, Notification, Planned, Status
from ..domain.outbox import (
    Revision,
    Segment,
    SegmentState,
    created_at,
    latest_revisions,
    new_segment_id,
    segments_of,
)

Document = dict[str, Any]
OWNED = "~owned"  # the document of a segment naming the notifications it owns
_WORK_PREFIX = "outbox_segment_"
PLANNED_REMEMBERED = 50_000  # notification ids known to be stored (a few MB)


# -- documents <-> domain --------------------------------------------------------------------
def _masked(error: str | None) -> str | None:
    # A provider's reply may quote the address it refused: stored masked, like the logs.
    return None if error is None else mask_personal_data(error)


def _state(notification: Notification) -> Document:
    """The fields an attempt changes, as stored."""
    return {
        "notification_id": notification.notification_id,
        "source_event_id": notification.source_event_id,
        "applicant_id": notification.applicant_id,
        "channel": notification.channel,
        "template": notification.template,
        "status": notification.status.value,
        "attempts": notification.attempts,
        "due_at": notification.due_at,
        "last_error": _masked(notification.last_error),
        "finished_at": notification.finished_at,
    }


# Personal data is sealed field by field (docs/decisions/0006): the recipient's address and
# the texts, which name the citizen. The context binds each value to its notification.
def _sealed_at(notification_id: str, field: str) -> str:
    return f"notify/notification/{notification_id}/{field}"


def _email(keys: KeyRing, notification_id: str, mail: EmailText, field: str) -> Document:
    return {
        "kind": "EMAIL",
        "subject": mail.subject,
        "text": keys.seal(mail.text, context=_sealed_at(notification_id, f"{field}.text")),
        "html": keys.seal(mail.html, context=_sealed_at(notification_id, f"{field}.html")),
    }


def _content(keys: KeyRing, planned: Planned) -> Document:
    message, id_ = planned.message, planned.notification_id
    content: Document = {}
    if isinstance(message, SmsText):
        text = keys.seal(message.text, context=_sealed_at(id_, "message.text"))
        content = {"kind": message.kind, "text": text, "subject": message.subject}
    elif isinstance(message, EmailText):
        content = _email(keys, id_, message, "message")
    if planned.fallback_email is not None:
        content["fallback_email"] = _email(keys, id_, planned.fallback_email, "fallback")
    return content


def _document(keys: KeyRing, planned: Planned) -> Document:
    """A new notification as stored: its state, where it came from, and what it says."""
    notification = planned.notification
    return {
        "_id": notification.notification_id,
        **_state(notification),
        "source_event_type": notification.source_event_type,
        "source_occurred_at": planned.source_occurred_at,
        "correlation_id": planned.correlation_id,
        "recipient": keys.seal(
            notification.recipient, context=_sealed_at(notification.notification_id, "recipient")
        ),
        "recipient_masked": notification.recipient_masked,
        "urgent": notification.urgent,
        "created_at": planned.created_at,
        **_content(keys, planned),
    }


def _email_text(keys: KeyRing, notification_id: str, doc: Document, field: str) -> EmailText:
    return EmailText(
        subject=doc["subject"],
        text=keys.open_(doc["text"], context=_sealed_at(notification_id, f"{field}.text")),
        html=keys.open_(doc["html"], context=_sealed_at(notification_id, f"{field}.html")),
    )


def _planned(keys: KeyRing, doc: Document) -> Planned:
    id_ = doc["_id"]
    notification = Notification(
        notification_id=id_,
        source_event_id=doc["source_event_id"],
        source_event_type=doc["source_event_type"],
        applicant_id=doc["applicant_id"],
        channel=doc["channel"],
        template=doc["template"],
        recipient=keys.open_(doc["recipient"], context=_sealed_at(id_, "recipient")),
        urgent=doc["urgent"],
        due_at=doc["due_at"],
        status=Status(doc["status"]),
        attempts=doc["attempts"],
        last_error=doc["last_error"],
        finished_at=doc["finished_at"],
    )
    message: SmsText | EmailText | None = None
    kind = doc.get("kind")
    if kind in ("SMS", "LMS"):
        text = keys.open_(doc["text"], context=_sealed_at(id_, "message.text"))
        message = SmsText(kind, text, doc.get("subject"))
    elif kind == "EMAIL":
        message = _email_text(keys, id_, doc, "message")
    fallback = doc.get("fallback_email")
    return Planned(
        notification=notification,
        message=message,
        fallback_email=None if fallback is None else _email_text(keys, id_, fallback, "fallback"),
        source_occurred_at=doc.get("source_occurred_at"),
        correlation_id=doc.get("correlation_id") or doc["applicant_id"],
        created_at=doc["created_at"],
    )


def _history_entry(doc: Document) -> HistoryEntry:
    return HistoryEntry(
        notification_id=doc["_id"],
        source_event_id=doc["source_event_id"],
        source_event_type=doc["source_event_type"],
        template=doc["template"],
        channel=doc["channel"],
        message_kind=doc.get("kind"),
        recipient_masked=doc["recipient_masked"],
        urgent=doc["urgent"],
        status=Status(doc["status"]),
        attempts=doc["attempts"],
        due_at=doc["due_at"],
        last_error=doc["last_error"],
        created_at=doc["created_at"],
        finished_at=doc["finished_at"],
    )


def _version_document(keys: KeyRing, version: ContactVersion) -> Document:
    id_ = f"{version.applicant_id}|{version.application_id}"
    return {
        "_id": id_,
        "applicant_id": version.applicant_id,
        "application_id": version.application_id,
        "as_of": version.as_of,
        "name": keys.seal(version.name, context=f"notify/contact/{id_}/name"),
        "phone": keys.seal_optional(version.phone, context=f"notify/contact/{id_}/phone"),
        "email": keys.seal_optional(version.email, context=f"notify/contact/{id_}/email"),
        "consents": version.consents.model_dump(),
    }


def _version(keys: KeyRing, doc: Document) -> ContactVersion:
    id_ = doc["_id"]
    return ContactVersion(
        applicant_id=doc["applicant_id"],
        name=keys.open_(doc["name"], context=f"notify/contact/{id_}/name"),
        phone=keys.open_optional(doc["phone"], context=f"notify/contact/{id_}/phone"),
        email=keys.open_optional(doc["email"], context=f"notify/contact/{id_}/email"),
        consents=Consents.model_validate(doc["consents"]),
        as_of=doc["as_of"],
        application_id=doc["application_id"],
    )


def _lease_document(lease: Lease) -> Document:
    return {
        "_id": lease.lease_id,
        "key": lease.key,
        "generation": lease.generation,
        "until": lease.until,
        "released": lease.released,
        "due_at": lease.due_at,
    }


def _lease(doc: Document) -> Lease:
    return Lease(doc["key"], doc["generation"], doc["until"], doc["released"], doc["due_at"])


def _segment_document(segment: Segment) -> Document:
    return {
        "_id": segment.segment_id,
        "channel": segment.channel,
        "due_at": segment.due_at,
        "size": segment.size,
    }


def _segment(doc: Document) -> Segment:
    return Segment(doc["_id"], doc["channel"], doc["due_at"], doc["size"])


def _revision_document(revision: Revision) -> Document:
    return {
        "_id": f"{revision.notification_id}:r{revision.number}",
        "log": "revision",
        "notification_id": revision.notification_id,
        "number": revision.number,
        "status": revision.status.value,
        "attempts": revision.attempts,
        "due_at": revision.due_at,
        "last_error": _masked(revision.last_error),
        "finished_at": revision.finished_at,
    }


def _revision(doc: Document) -> Revision:
    return Revision(
        notification_id=doc["notification_id"],
        number=doc["number"],
        status=Status(doc["status"]),
        attempts=doc["attempts"],
        due_at=doc["due_at"],
        last_error=doc["last_error"],
        finished_at=doc["finished_at"],
    )


class _Grouped:
    """Writes many callers ask for at about the same time, made together (a group commit):
    while one bulk write runs, the next gathers, so each caller waits for at most two writes
    and FerretDB, which does one write at a time, sees one write where there were many."""

    def __init__(self, write: Callable[[list[Document]], Awaitable[None]]) -> None:
        self._write = write
        self._waiting: list[tuple[Document, asyncio.Future[None]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def add(self, document: Document) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((document, done))
        if self._writing is None:
            self._writing = asyncio.create_task(self._drain())
        await asyncio.shield(done)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._write([document for document, _ in batch])
                except Exception as error:
                    for _, done in batch:
                        done.set_exception(error)
                else:
                    for _, done in batch:
                        done.set_result(None)
        finally:
            self._writing = None


# What a message says and the address it goes to: in the working copy only, until delivered.
_CONTENT = ("recipient", "subject", "text", "html", "fallback_email")
# Contacts are shown masked only (and records written before they were trimmed hold them).
_HIDDEN = dict.fromkeys(_CONTENT, 0)


def _record(document: Document) -> Document:
    """A notification as its history keeps it: without what it says or the address."""
    return {field: value for field, value in document.items() if field not in _CONTENT}


MEMORY_POLL_SECONDS = 0.1
# A patient lookup never waits longer (with keep_pace_with_delivery's 60 s, a batch stays
# well inside Kafka's max.poll.interval of 300 s).
MEMORY_WAIT_MAX_SECONDS = 60.0


class _ContactMemory:
    """The contact versions of the citizens met lately, the least recent forgotten first."""

    def __init__(self, seconds: float, citizens: int) -> None:
        self._seconds = seconds
        self._citizens = citizens
        self._versions: OrderedDict[str, tuple[float, dict[str, ContactVersion]]] = OrderedDict()

    def learn(self, versions: Sequence[ContactVersion], *, whole: Collection[str] = ()) -> None:
        """Remember `versions`; for the citizens in `whole` these are all there are (read
        from the database), for the others they add to what is remembered."""
        now = time.monotonic()
        fresh: dict[str, dict[str, ContactVersion]] = {id_: {} for id_ in whole}
        for version in versions:
            fresh.setdefault(version.applicant_id, {})[version.application_id] = version
        for applicant_id, known in fresh.items():
            if applicant_id not in whole and applicant_id in self._versions:
                known = self._versions[applicant_id][1] | known
            self._versions[applicant_id] = (now, known)
            self._versions.move_to_end(applicant_id)
        while len(self._versions) > self._citizens:
            self._versions.popitem(last=False)

    def knows(self, version: ContactVersion) -> bool:
        """Whether this version is remembered (a version never changes, whatever its age)."""
        entry = self._versions.get(version.applicant_id)
        return entry is not None and version.application_id in entry[1]

    def recall(self, applicant_ids: Collection[str]) -> tuple[list[ContactVersion], set[str]]:
        """The remembered versions of these citizens, and the citizens to read."""
        oldest = time.monotonic() - self._seconds
        found: list[ContactVersion] = []
        missing: set[str] = set()
        for applicant_id in applicant_ids:
            entry = self._versions.get(applicant_id)
            if entry is None or entry[0] < oldest or not entry[1]:
                missing.add(applicant_id)
            else:
                found.extend(entry[1].values())
        return found, missing


class NotifyStore:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        *,
        contact_memory_seconds: float = 300.0,
        contact_memory_citizens: int = 20_000,
        keys: KeyRing | None = None,
    ) -> None:
        # No keys, no store: the configuration's ring, or `MissingKeys` before anything runs.
        self._keys = keys or KeyRing.from_settings()
        self._db = db
        self._memory = _ContactMemory(contact_memory_seconds, contact_memory_citizens)
        self._versions = db["contact_versions"]
        self._undeliverable = db["undeliverable_phones"]
        self._awaiting = db["awaiting_contact"]
        self._notifications = db["notifications"]
        self._outbox = db["outbox_segments"]
        self._leases = db["leases"]
        self._outcomes = db["outcomes"]
        self._taken = _Grouped(self._write_taken)
        self._planned_here: OrderedDict[str, None] = OrderedDict()  # notification ids

    def _work(self, segment_id: str) -> AsyncCollection[Document]:
        return self._db[f"{_WORK_PREFIX}{segment_id}"]

    async def create_indexes(self) -> None:
        await self._versions.create_index([("applicant_id", ASCENDING)])
        await self._undeliverable.create_index([("applicant_id", ASCENDING)])
        await self._awaiting.create_index([("applicant_id", ASCENDING)])
        await self._notifications.create_index([("applicant_id", ASCENDING)])
        await self._outcomes.create_index([("applicants", ASCENDING)])

    # -- contacts ------------------------------------------------------------------------
    async def add_contact_versions(self, versions: Sequence[ContactVersion]) -> None:
        # A version remembered is stored: written again, it would be refused, and one refusal
        # makes FerretDB insert the whole batch one document at a time (`insert_if_absent`).
        unknown = [v for v in versions if not self._memory.knows(v)]
        await insert_new(self._versions, [_version_document(self._keys, v) for v in unknown])
        self._memory.learn(versions)

    async def contacts_of(
        self, applicant_ids: Collection[str], *, patience: float = 0.0
    ) -> dict[str, Contact]:
        """The contact in force of each of these citizens who applied: the versions from
        memory, or for citizens not remembered, one read for all of them; the numbers
        refused for good (a small collection) read each time. With `patience`, first wait
        for the applications being handled meanwhile (by this process's other consumer) to
        bring the missing ones, for as long as they keep coming, until `patience` seconds
        pass without one (or MEMORY_WAIT_MAX_SECONDS in all): a read costs a scan of every
        contact on FerretDB, a wait costs nothing. In a call-opening burst, planning the
        receipts is held to the providers' pace, and the screening results, which follow
        their applications within seconds, would otherwise all be read and parked."""
        if not applicant_ids:
            return {}
        versions, missing = self._memory.recall(set(applicant_ids))
        waited = without_news = 0.0
        while missing and without_news < patience and waited < MEMORY_WAIT_MAX_SECONDS:
            await asyncio.sleep(MEMORY_POLL_SECONDS)
            waited += MEMORY_POLL_SECONDS
            without_news += MEMORY_POLL_SECONDS
            versions, still = self._memory.recall(set(applicant_ids))
            if len(still) < len(missing):
                without_news = 0.0
            missing = still
        if missing:
            query = {"applicant_id": {"$in": list(missing)}}
            read = [_version(self._keys, doc) async for doc in self._versions.find(query)]
            self._memory.learn(read, whole=missing)
            versions.extend(read)
        mine = {"applicant_id": {"$in": list(set(applicant_ids))}}
        refused = [
            (doc["applicant_id"], self._refused_phone(doc))
            async for doc in self._undeliverable.find(mine, {"applicant_id": 1, "phone": 1})
        ]
        return contacts(versions, refused)

    async def undeliverable_phones(self, applicant_ids: Collection[str]) -> dict[str, set[str]]:
        if not applicant_ids:
            return {}
        found: dict[str, set[str]] = {}
        cursor = self._undeliverable.find({"applicant_id": {"$in": list(set(applicant_ids))}})
        async for doc in cursor:
            found.setdefault(doc["applicant_id"], set()).add(self._refused_phone(doc))
        return found

    async def mark_undeliverable(self, numbers: Sequence[tuple[str, str]], at: datetime) -> None:
        """The gateway refused these (applicant_id, phone) numbers for good: not used again,
        whichever application gives them (another number is)."""
        await insert_new(
            self._undeliverable,
            [
                {
                    # The keyed hash, not the number: the same number refused twice is one.
                    "_id": f"{applicant_id}|{self._keys.lookup_hash(phone, purpose='phone')}",
                    "applicant_id": applicant_id,
                    "phone": self._keys.seal(phone, context=f"notify/undeliverable/{applicant_id}"),
                    "at": at,
                }
                for applicant_id, phone in numbers
            ],
        )

    def _refused_phone(self, doc: Document) -> str:
        return self._keys.open_(doc["phone"], context=f"notify/undeliverable/{doc['applicant_id']}")

    # -- events waiting for a contact ----------------------------------------------------
    async def park(self, events: Sequence[AwaitingContact]) -> None:
        await insert_new(
            self._awaiting,
            [
                {
                    "_id": e.event_id,
                    "applicant_id": e.applicant_id,
                    "event_type": e.event_type,
                    "event": e.envelope_json,
                }
                for e in events
            ],
        )

    async def awaiting(self, applicant_ids: Collection[str]) -> list[AwaitingContact]:
        if not applicant_ids:
            return []
        cursor = self._awaiting.find({"applicant_id": {"$in": list(set(applicant_ids))}})
        return [
            AwaitingContact(doc["_id"], doc["applicant_id"], doc["event_type"], doc["event"])
            async for doc in cursor
        ]

    async def unpark(self, event_ids: Collection[str]) -> None:
        if event_ids:
            await self._awaiting.delete_many({"_id": {"$in": list(event_ids)}})

    # -- planning ------------------------------------------------------------------------
    async def add_planned(self, planned: Sequence[Planned], now: datetime) -> list[bool]:
        """Store planned notifications and put them into new outbox segments (also those
        that failed at once: their outcome is to be published). For each, whether it is new;
        not when this (event, channel) was planned before: a redelivered event.

        The working copies go first, then the notifications, each naming its segment: that
        insert decides which plan owns a notification. Then each segment records what it
        owns and is listed in the outbox, where delivery loops find it. A crash in between
        leaves a segment that `recover_segments` finishes listing later; a redelivered event
        plans nothing twice."""
        if not planned:
            return []
        # Those planned here before are not new: written again, each would be refused, and
        # one refusal makes FerretDB insert the whole batch one document at a time.
        known = {p.notification_id for p in planned if p.notification_id in self._planned_here}
        if known:
            rest = [p for p in planned if p.notification_id not in known]
            written = iter(await self.add_planned(rest, now))
            return [False if p.notification_id in known else next(written) for p in planned]
        chunks = segments_of(planned)
        ids = [new_segment_id(now) for _ in chunks]
        segment_of: dict[str, str] = {}
        for segment_id, chunk in zip(ids, chunks, strict=True):
            for notification in chunk:
                segment_of.setdefault(notification.notification_id, segment_id)
        documents: dict[str, Document] = {}  # sealed once, for the copy and the notification
        for notification in planned:
            if notification.notification_id not in documents:
                documents[notification.notification_id] = _document(self._keys, notification)
        for segment_id, chunk in zip(ids, chunks, strict=True):
            await insert_new(self._work(segment_id), [documents[p.notification_id] for p in chunk])
        new = await insert_new(
            self._notifications,
            [_record(doc) | {"segment": segment_of[id_]} for id_, doc in documents.items()],
        )
        for id_ in documents:  # stored now, by this plan or an earlier one: a fact
            self._planned_here[id_] = None
        while len(self._planned_here) > PLANNED_REMEMBERED:
            self._planned_here.popitem(last=False)
        listed: list[Segment] = []
        empty: list[str] = []
        for segment_id, chunk in zip(ids, chunks, strict=True):
            owned = [
                p
                for p in chunk
                if p.notification_id in new and segment_of[p.notification_id] == segment_id
            ]
            if owned:
                listed.append(_listing(segment_id, owned))
            else:
                empty.append(segment_id)
        for segment in listed:
            await self._own(segment.segment_id, segment_of, new)
        for segment_id in empty:
            await self._drop(segment_id)
        await insert_new(self._outbox, [_segment_document(s) for s in listed])
        seen: set[str] = set()
        answers = []
        for p in planned:
            answers.append(p.notification_id in new and p.notification_id not in seen)
            seen.add(p.notification_id)
        return answers

    async def _own(self, segment_id: str, segment_of: Mapping[str, str], new: set[Any]) -> None:
        owned = [id_ for id_, s in segment_of.items() if s == segment_id and id_ in new]
        await insert_new(self._work(segment_id), [{"_id": OWNED, "ids": owned}])

    async def _drop(self, segment_id: str) -> None:
        await self._work(segment_id).drop()  # its log goes with it

    async def recover_segments(self, made_before: datetime) -> int:
        """Finish listing segments whose planning stopped halfway (a crash), made before
        `made_before`; drop those that own nothing. How many were listed."""
        names = await self._db.list_collection_names()
        listed = {doc["_id"] async for doc in self._outbox.find({}, {"_id": 1})}
        works = {name.removeprefix(_WORK_PREFIX) for name in names if name.startswith(_WORK_PREFIX)}
        recovered = 0
        for segment_id in sorted(works - listed):
            made = created_at(segment_id)
            if made is None or made >= made_before:
                continue
            documents = await self._work(segment_id).find({}).to_list()
            owned_doc = next((doc for doc in documents if doc["_id"] == OWNED), None)
            entries = [
                _planned(self._keys, doc)
                for doc in documents
                if doc["_id"] != OWNED and "log" not in doc
            ]
            if owned_doc is not None:
                owned_ids = set(owned_doc["ids"])
            else:  # stopped before recording what it owns: the notifications say
                cursor = self._notifications.find(
                    {"_id": {"$in": [p.notification_id for p in entries]}, "segment": segment_id},
                    {"_id": 1},
                )
                owned_ids = {doc["_id"] async for doc in cursor}
            owned = [p for p in entries if p.notification_id in owned_ids]
            if not owned:
                await self._drop(segment_id)
                continue
            if owned_doc is None:
                await insert_new(self._work(segment_id), [{"_id": OWNED, "ids": list(owned_ids)}])
            await insert_new(self._outbox, [_segment_document(_listing(segment_id, owned))])
            recovered += 1
        return recovered

    # -- delivery ------------------------------------------------------------------------
    async def due_segments(self, channel: Channel, now: datetime) -> list[Segment]:
        """The segments of `channel` whose notifications were due by now when planned, oldest
        first. One read of the outbox, which lists segments, not notifications."""
        cursor = self._outbox.find({"channel": channel, "due_at": {"$lte": now}})
        return [_segment(doc) async for doc in cursor]

    async def current_leases(self, keys: Collection[str]) -> dict[str, Lease]:
        if not keys:
            return {}
        cursor = self._leases.find({"key": {"$in": list(keys)}})
        return current([_lease(doc) async for doc in cursor])

    async def take_leases(self, leases: Sequence[Lease]) -> list[Lease]:
        """Insert the leases together; those that went in are held by the caller."""
        taken = await insert_new(self._leases, [_lease_document(lease) for lease in leases])
        return [lease for lease in leases if lease.lease_id in taken]

    async def release_leases(self, released: Sequence[Lease]) -> None:
        """Insert the release markers (`Lease.release`) and forget the generations before."""
        if not released:
            return
        await insert_new(self._leases, [_lease_document(marker) for marker in released])
        await self._leases.delete_many(
            {
                "$or": [
                    {"key": marker.key, "generation": {"$lt": marker.generation}}
                    for marker in released
                ]
            }
        )

    async def segment(self, segment_id: str) -> SegmentState:
        """The segment's owned notifications in their latest state: one small read."""
        owned_ids: set[str] = set()
        entries: list[Document] = []
        taken: dict[str, datetime] = {}
        revisions: list[Revision] = []
        for doc in await self._work(segment_id).find({}).to_list():
            if doc["_id"] == OWNED:
                owned_ids = set(doc["ids"])
            elif doc.get("log") == "taken":
                for entry in doc["taken"]:
                    taken.setdefault(entry["notification_id"], entry["at"])
            elif doc.get("log") == "revision":
                revisions.append(_revision(doc))
            else:
                entries.append(doc)
        latest = latest_revisions(revisions)
        owned = [_planned(self._keys, doc) for doc in entries if doc["_id"] in owned_ids]
        for planned in owned:
            revision = latest.get(planned.notification_id)
            if revision is not None:
                revision.apply_to(planned.notification)
        return SegmentState(
            owned=owned,
            revision={
                p.notification_id: latest[p.notification_id].number
                if p.notification_id in latest
                else 0
                for p in owned
            },
            taken={id_: at for id_, at in taken.items() if id_ in owned_ids},
        )

    async def record_taken(self, segment_id: str, notification_id: str, at: datetime) -> None:
        """The provider took the message: an insert, made before anything else happens to
        it, together with those of the messages taken meanwhile."""
        await self._taken.add({"segment": segment_id, "notification_id": notification_id, "at": at})

    async def _write_taken(self, documents: list[Document]) -> None:
        """One log entry per segment for all the messages taken meanwhile: a row per entry
        is what an insert costs FerretDB, whatever the entry holds."""
        by_segment: dict[str, list[Document]] = {}
        for doc in documents:
            by_segment.setdefault(doc["segment"], []).append(doc)
        await asyncio.gather(
            *(
                insert_new(
                    self._work(segment_id),
                    [
                        {
                            "_id": f"taken:{uuid.uuid4().hex}",
                            "log": "taken",
                            "taken": [
                                {"notification_id": doc["notification_id"], "at": doc["at"]}
                                for doc in docs
                            ],
                        }
                    ],
                )
                for segment_id, docs in by_segment.items()
            )
        )

    async def add_revisions(self, revisions: Mapping[str, Sequence[Revision]]) -> None:
        """Per segment, the notifications' new revisions: one bulk insert each."""
        await asyncio.gather(
            *(
                insert_new(self._work(segment_id), [_revision_document(r) for r in segment])
                for segment_id, segment in revisions.items()
                if segment
            )
        )

    async def record_outcomes(self, notifications: Sequence[Notification]) -> None:
        """How the notifications ended, for good: one insert for the batch (a row is what an
        insert costs FerretDB), naming its citizens so that each one's history finds it."""
        states = [_state(n) for n in notifications]
        await insert_new(
            self._outcomes,
            [
                {
                    "_id": uuid.uuid4().hex,
                    "applicants": sorted({state["applicant_id"] for state in group}),
                    "outcomes": list(group),
                }
                for group in per_document(states)
            ],
        )

    async def _outcomes_of(self, query: Document, applicant_id: str | None = None) -> Document:
        """The recorded outcomes by notification id (of one citizen, if given). A batch settled
        again after a crash records the same outcomes twice: the first one counts."""
        found: Document = {}
        async for doc in self._outcomes.find(query, {"outcomes": 1}):
            for state in doc["outcomes"]:
                if applicant_id is None or state["applicant_id"] == applicant_id:
                    found.setdefault(state["notification_id"], state)
        return found

    async def complete(self, segment_id: str) -> None:
        """Every notification of the segment is finished and reported: it goes."""
        await self._drop(segment_id)
        await self._outbox.delete_one({"_id": segment_id})
        await self._leases.delete_many({"key": segment_id})

    # -- reading -------------------------------------------------------------------------
    async def backlog(self) -> int:
        """Notifications whose work is not done: to send, or to report."""
        return sum([doc["size"] async for doc in self._outbox.find({}, {"size": 1})])

    async def due_backlog(self, now: datetime) -> dict[Channel, int]:
        """Of those, the ones due by `now` (not held for the morning), per channel."""
        backlog: dict[Channel, int] = {}
        async for doc in self._outbox.find({"due_at": {"$lte": now}}, {"size": 1, "channel": 1}):
            backlog[doc["channel"]] = backlog.get(doc["channel"], 0) + doc["size"]
        return backlog

    async def history_of(self, applicant_id: str) -> list[HistoryEntry]:
        """Every notification to the citizen as planned, with its state now: the outcome, or
        while there is none, its latest revision in the outbox."""
        mine = {"applicant_id": applicant_id}
        planned = [
            doc
            async for doc in self._notifications.find(mine, _HIDDEN).sort("created_at", ASCENDING)
        ]
        states = await self._outcomes_of({"applicants": applicant_id}, applicant_id)
        unfinished: dict[str, list[str]] = {}
        for doc in planned:
            if doc["_id"] not in states and doc.get("segment"):
                unfinished.setdefault(doc["segment"], []).append(doc["_id"])
        for segment_id, ids in unfinished.items():
            cursor = self._work(segment_id).find(
                {"log": "revision", "notification_id": {"$in": ids}}
            )
            for revision in latest_revisions([_revision(doc) async for doc in cursor]).values():
                states[revision.notification_id] = _revision_document(revision) | {
                    "_id": revision.notification_id
                }
        return [_history_entry(doc | _state_of(states.get(doc["_id"]))) for doc in planned]

    async def count_by_status(self) -> dict[str, int]:
        """Finished notifications by outcome, and those pending in the outbox."""
        counts: dict[str, int] = {}
        for state in (await self._outcomes_of({})).values():
            counts[state["status"]] = counts.get(state["status"], 0) + 1
        pending = 0
        async for doc in self._outbox.find({}):
            state = await self.segment(doc["_id"])
            pending += len(state.pending)
        return counts | ({Status.PENDING.value: pending} if pending else {})


def _listing(segment_id: str, owned: Sequence[Planned]) -> Segment:
    return Segment(
        segment_id,
        owned[0].notification.channel,
        min(p.notification.due_at for p in owned),
        len(owned),
    )


_STATE_FIELDS = ("status", "attempts", "due_at", "last_error", "finished_at")


def _state_of(doc: Document | None) -> Document:
    return {} if doc is None else {field: doc[field] for field in _STATE_FIELDS}
