"""The recruitment service's own MongoDB database.

- `programs`, `calls`: the catalog (seeded from `catalog/*.yaml`, extended over HTTP). Calls
  are reference data: intake reads them from a copy refreshed every few seconds and at once
  after a change made here, never once per application (docs/decisions/0003). A call's status
  moves by compare-and-set on its current status.
- `applications`: one document per application_id with its screening, written a batch at a
  time. The applicant's name, birth date, phone and e-mail are not in the `application` text:
  they are sealed one by one (shared/personal_data.py, docs/decisions/0006) into the
  `personal` text beside it, so that the retention purge is one update per call and leaves
  the screening, the decisions and the counts as they were. `active_key` is unique: the
  applicant's first application to a call holds `<call>:<applicant>`, a refused one holds its
  own id, so the index itself refuses a second application by the same person. Only a batch
  holding duplicates pays a lookup.
- `selection_runs` and `decisions`: every selection, with its seed, for audit and replay.
- `selections_under_way`: one selection of a call at a time, decided by an insert.
- `selection_fences` and `intake_batches`: the fence between intake and selection (see
  `intake` and `fence_intake`): no application is stored after selection has read them.
"""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import TypeAdapter
from pydantic_core import to_json
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.clock import now_kst
from shared.contracts.recruitment import ApplicationSubmitted
from shared.mongo import insert_if_absent
from shared.personal_data import KeyRing

from ..domain import Call, CallStatus, Program, Screening, SelectionDecision, SelectionResult

log = logging.getLogger(__name__)

SCREENING = TypeAdapter(Screening)
SELECTION = TypeAdapter(SelectionResult)
DECISION = TypeAdapter(SelectionDecision)


def decision_order(decision: SelectionDecision) -> tuple[int, int, str]:
    """Selected, then waitlisted, then rejected; by rank within each."""
    group = {"selected": 0, "waitlisted": 1, "rejected": 2}[decision.decision]
    return (group, decision.rank or 10**9, decision.application_id)


class StaleCall(Exception):
    """The call's status changed under this request."""


# The applicant's fields sealed at rest, each on its own (decision 0006).
PERSONAL_FIELDS = ("name", "birth_date", "phone", "email")


@dataclass(frozen=True)
class StoredApplication:
    """An application as stored. `application` is None once its personal data was purged
    (retention): the screening and the decisions stay, the person is no longer there."""

    application: ApplicationSubmitted | None
    screening: Screening
    refused: bool
    applicant_id: str = ""
    received_at: datetime | None = None
    personal_data_purged_at: datetime | None = None


@dataclass(frozen=True)
class Added:
    pass


@dataclass(frozen=True)
class AlreadyStored:
    """The same application_id came again: answer with what was decided the first time."""

    screening: Screening


@dataclass(frozen=True)
class SecondApplication:
    first_application_id: str


Admission = Added | AlreadyStored | SecondApplication


@dataclass(frozen=True)
class SelectionRun:
    """A selection as it ran: enough to audit and replay it."""

    run_id: str
    call_id: str
    method: str
    seed: int | None
    quota: int
    priority_seats: int
    counts: dict[str, int]
    ran_at: datetime
    published_at: datetime | None


def _run(doc: dict[str, Any]) -> SelectionRun:
    return SelectionRun(
        run_id=doc["_id"],
        call_id=doc["call_id"],
        method=doc["method"],
        seed=doc["seed"],
        quota=doc["quota"],
        priority_seats=doc["priority_seats"],
        counts=doc["counts"],
        ran_at=doc["ran_at"],
        published_at=doc.get("published_at"),
    )


# The call document also records which selection run counts; the Call model does not carry it.
_CALL_FIELDS = {"_id": 0, "selection_run_id": 0}


def _active_key(call_id: str, applicant_id: str) -> str:
    return f"{call_id}:{applicant_id}"


def _context(application_id: str, field: str) -> str:
    # A sealed value opens only in the field and the application it was sealed for.
    return f"recruitment/application/{application_id}/{field}"


class RecruitmentStore:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        *,
        keys: KeyRing | None = None,
        call_refresh_seconds: float = 5.0,
        intake_batch_stale_after: timedelta = timedelta(seconds=60),
        remembered_applications: int = 50_000,  # a call opening: ~12,890 places, several each
    ) -> None:
        # No keys, no store: the configuration's ring, or `MissingKeys` before anything runs.
        self._keys = keys or KeyRing.from_settings()
        self._programs = db["programs"]
        self._calls = db["calls"]
        self._applications = db["applications"]
        self._runs = db["selection_runs"]
        self._decisions = db["decisions"]
        self._selections_under_way = db["selections_under_way"]
        self._fences = db["selection_fences"]
        self._intake_batches = db["intake_batches"]
        self._call_refresh_seconds = call_refresh_seconds
        self._intake_stale_after = intake_batch_stale_after
        self._known_calls: dict[str, Call] = {}
        self._calls_written_at: dict[str, float] = {}  # by this instance, monotonic
        self._calls_reading: asyncio.Task[None] | None = None
        self._calls_read_at = -float("inf")
        self._screened_here: OrderedDict[str, Screening] = OrderedDict()
        # A person's application to a call (`active_key`) -> its id, for those stored here.
        self._first_here: OrderedDict[str, str] = OrderedDict()
        self._remembered_applications = remembered_applications

    async def create_indexes(self) -> None:
        await self._applications.create_index([("active_key", ASCENDING)], unique=True)
        await self._applications.create_index([("call_id", ASCENDING), ("refused", ASCENDING)])
        await self._applications.create_index([("applicant_id", ASCENDING)])
        await self._runs.create_index([("call_id", ASCENDING), ("ran_at", ASCENDING)])
        await self._decisions.create_index([("application_id", ASCENDING)])
        await self._decisions.create_index([("run_id", ASCENDING)])

    # -- catalog -------------------------------------------------------------------------
    async def seed(self, programs: list[Program], calls: list[Call]) -> int:
        """Insert what is missing; never overwrite what operators changed since."""
        added = 0
        for program in programs:
            result = await self._programs.update_one(
                {"_id": program.id},
                {"$setOnInsert": program.model_dump(mode="json")},
                upsert=True,
            )
            added += result.upserted_id is not None
        for call in calls:
            result = await self._calls.update_one(
                {"_id": call.id}, {"$setOnInsert": call.model_dump(mode="json")}, upsert=True
            )
            added += result.upserted_id is not None
        return added

    async def add_program(self, program: Program) -> bool:
        try:
            await self._programs.insert_one({"_id": program.id, **program.model_dump(mode="json")})
        except DuplicateKeyError:
            return False
        return True

    async def program(self, program_id: str) -> Program | None:
        doc = await self._programs.find_one({"_id": program_id}, {"_id": 0})
        return Program.model_validate(doc) if doc else None

    async def programs(self) -> list[Program]:
        return [Program.model_validate(d) async for d in self._programs.find({}, {"_id": 0})]

    async def add_call(self, call: Call) -> bool:
        try:
            await self._calls.insert_one({"_id": call.id, **call.model_dump(mode="json")})
        except DuplicateKeyError:
            return False
        self._known_calls[call.id] = call
        self._calls_written_at[call.id] = time.monotonic()
        return True

    async def call(self, call_id: str) -> Call | None:
        doc = await self._calls.find_one({"_id": call_id}, _CALL_FIELDS)
        return Call.model_validate(doc) if doc else None

    async def calls_by_id(self, call_ids: Collection[str]) -> dict[str, Call]:
        """The calls among `call_ids` that exist, from the copy of the catalog. A copy older
        than `call_refresh_seconds` is read again in the background, while the callers go on
        with it (a read costs a scan of the calls, and every application of a call opening
        asked for it at once); a copy that lacks one of them is read again at once (at most
        twice a second), and the callers wait for that. One read at a time, whoever asks."""
        age = time.monotonic() - self._calls_read_at
        lacking = not set(call_ids) <= self._known_calls.keys()
        if lacking and age > 0.5:
            await asyncio.shield(self._read_calls_again())
        elif age > self._call_refresh_seconds:
            self._read_calls_again()
        return {id_: self._known_calls[id_] for id_ in call_ids if id_ in self._known_calls}

    def _read_calls_again(self) -> asyncio.Task[None]:
        if self._calls_reading is None or self._calls_reading.done():
            self._calls_reading = asyncio.create_task(self._read_calls())
            self._calls_reading.add_done_callback(_say_if_failed)
        return self._calls_reading

    async def _read_calls(self) -> None:
        started = time.monotonic()
        read = {call.id: call async for call in self._all_calls()}
        # A call this instance wrote while the read ran may be missing or older in it.
        written = {id_ for id_, at in self._calls_written_at.items() if at >= started}
        self._known_calls = read | {id_: self._known_calls[id_] for id_ in written}
        self._calls_read_at = started

    async def _all_calls(self) -> AsyncIterator[Call]:
        async for doc in self._calls.find({}, _CALL_FIELDS):
            yield Call.model_validate(doc)

    async def calls(self, program_id: str | None = None) -> list[Call]:
        query = {"program_id": program_id} if program_id else {}
        cursor = self._calls.find(query, _CALL_FIELDS).sort("id", ASCENDING)
        return [Call.model_validate(d) async for d in cursor]

    async def replace_call(
        self, call: Call, expected_status: CallStatus, selection_run_id: str | None = None
    ) -> None:
        changes = call.model_dump(mode="json")
        if selection_run_id:
            changes["selection_run_id"] = selection_run_id
        result = await self._calls.update_one(
            {"_id": call.id, "status": expected_status.value}, {"$set": changes}
        )
        if result.matched_count == 0:
            raise StaleCall(call.id)
        self._known_calls[call.id] = call  # intake sees the change at once
        self._calls_written_at[call.id] = time.monotonic()

    async def selection_run_id(self, call_id: str) -> str | None:
        """The run that moved the call to 'selected': the one whose decisions count."""
        doc = await self._calls.find_one({"_id": call_id}, {"selection_run_id": 1})
        return doc.get("selection_run_id") if doc else None

    # -- applications --------------------------------------------------------------------
    async def admit(
        self, screened: Sequence[tuple[ApplicationSubmitted, Screening]], received_at: datetime
    ) -> list[Admission]:
        """Store the applications intake let through, guarded by the unique indexes: each is
        added, was stored before (same application_id), or is a person's second application
        to the call."""
        known = self._known_admissions(screened)
        unknown = [pair for pair in screened if pair[0].application_id not in known]
        documents = [
            self._document(application, screening, received_at, refused=False)
            | {"active_key": _active_key(application.call_id, application.applicant.applicant_id)}
            for application, screening in unknown
        ]
        went_in = await insert_if_absent(self._applications, documents, unique=["active_key"])
        self._remember(unknown, went_in, refused=False)
        refused = [doc for doc, new in zip(documents, went_in, strict=True) if not new]
        # Remembered as another application of the person to the call: a second one (and
        # should this id have been refused as such before, `refuse` finds it stored).
        second = {
            doc["_id"]: self._first_here[doc["active_key"]]
            for doc in refused
            if self._first_here.get(doc["active_key"], doc["_id"]) != doc["_id"]
        }
        stored = await self._screenings_by_id(
            [doc["_id"] for doc in refused if doc["_id"] not in second]
        )
        answered = stored.keys() | second.keys()
        keys = [doc["active_key"] for doc in refused if doc["_id"] not in answered]
        first: dict[str, str] = {}
        if keys:
            cursor = self._applications.find({"active_key": {"$in": keys}}, {"active_key": 1})
            first = {doc["active_key"]: str(doc["_id"]) async for doc in cursor}
        outcomes: list[Admission] = []
        for doc, new in zip(documents, went_in, strict=True):
            if new:
                outcomes.append(Added())
            elif doc["_id"] in second:
                outcomes.append(SecondApplication(second[doc["_id"]]))
            elif doc["_id"] in stored:
                outcomes.append(AlreadyStored(stored[doc["_id"]]))
            elif doc["active_key"] in first:
                outcomes.append(SecondApplication(first[doc["active_key"]]))
            else:  # refused, yet neither is there: nothing deletes applications
                raise RuntimeError(f"application {doc['_id']} was refused by a vanished key")
        return _merged(screened, known, outcomes)

    async def refuse(
        self, screened: Sequence[tuple[ApplicationSubmitted, Screening]], received_at: datetime
    ) -> list[Added | AlreadyStored]:
        """Store refused applications, each under its own id as its active key."""
        known = {
            application.application_id: before
            for application, _ in screened
            if (before := self._stored_here(application.application_id)) is not None
        }
        unknown = [pair for pair in screened if pair[0].application_id not in known]
        documents = [
            self._document(application, screening, received_at, refused=True)
            | {"active_key": application.application_id}
            for application, screening in unknown
        ]
        went_in = await insert_if_absent(self._applications, documents)
        self._remember(unknown, went_in, refused=True)
        stored = await self._screenings_by_id(
            [doc["_id"] for doc, new in zip(documents, went_in, strict=True) if not new]
        )
        outcomes: list[Added | AlreadyStored] = [
            Added() if new else AlreadyStored(stored[doc["_id"]])
            for doc, new in zip(documents, went_in, strict=True)
        ]
        return _merged(screened, known, outcomes)

    def _known_admissions(
        self, screened: Sequence[tuple[ApplicationSubmitted, Screening]]
    ) -> dict[str, Admission]:
        """What remembering answers without a write: an application stored before, or a
        person's second one to the call. Sent to the database, either would be refused, and
        one refusal makes FerretDB insert the whole batch one document at a time
        (`shared.mongo.insert_if_absent`)."""
        known: dict[str, Admission] = {}
        for application, _ in screened:
            id_ = application.application_id
            first = self._first_here.get(
                _active_key(application.call_id, application.applicant.applicant_id), id_
            )
            if first != id_:
                known[id_] = SecondApplication(first)
            elif (before := self._stored_here(id_)) is not None:
                known[id_] = before
        return known

    def _stored_here(self, application_id: str) -> AlreadyStored | None:
        """An application this process stored lately, as a re-sent one is answered."""
        screening = self._screened_here.get(application_id)
        return None if screening is None else AlreadyStored(screening)

    async def _screenings_by_id(self, ids: Sequence[str]) -> dict[str, Screening]:
        """How these stored applications were screened: those stored lately by this process
        from memory, the others in one read."""
        found = {id_: self._screened_here[id_] for id_ in ids if id_ in self._screened_here}
        missing = [id_ for id_ in ids if id_ not in found]
        if missing:
            cursor = self._applications.find({"_id": {"$in": missing}})
            found |= {doc["_id"]: self._stored(doc).screening async for doc in cursor}
        return found

    def _remember(
        self,
        screened: Sequence[tuple[ApplicationSubmitted, Screening]],
        went_in: Sequence[bool],
        *,
        refused: bool,
    ) -> None:
        """Keep the applications just stored: an application_id re-sent soon after (by the
        same partition key, to this consumer) or a person's second application to the call
        is answered without a read of a collection that grows with every application. What
        is remembered never changes: nothing deletes an application."""
        for (application, screening), new in zip(screened, went_in, strict=True):
            if new and not refused:
                key = _active_key(application.call_id, application.applicant.applicant_id)
                self._first_here[key] = application.application_id
            if new:  # the screening only: a few hundred bytes, not the whole application
                self._screened_here[application.application_id] = screening
        while len(self._screened_here) > self._remembered_applications:
            self._screened_here.popitem(last=False)
        while len(self._first_here) > self._remembered_applications:
            self._first_here.popitem(last=False)

    # -- the fence between intake and selection ----------------------------------------
    @contextlib.asynccontextmanager
    async def intake(self, call_ids: Collection[str]) -> AsyncIterator[set[str]]:
        """Take a batch of applications: yields the calls among `call_ids` whose selection
        has begun (refuse what comes for them). The batch is registered before it looks, so
        a selection either waits for it (`fence_intake`) or is seen by it."""
        batch_id = str(uuid.uuid4())
        await self._intake_batches.insert_one({"_id": batch_id, "started_at": now_kst()})
        try:
            cursor = self._fences.find({"_id": {"$in": list(call_ids)}}, {"_id": 1})
            yield {doc["_id"] async for doc in cursor}
        finally:
            await self._intake_batches.delete_one({"_id": batch_id})

    async def fence_intake(self, call_id: str, at: datetime) -> None:
        """From now on intake refuses applications to this call; returns once every intake
        batch that might not have seen that has finished (or, cut short by a crash, is
        older than the stale limit)."""
        with contextlib.suppress(DuplicateKeyError):  # fenced by an earlier run: stays so
            await self._fences.insert_one({"_id": call_id, "at": at})
        cursor = self._intake_batches.find({}, {"_id": 1, "started_at": 1})
        waiting = {doc["_id"]: doc["started_at"] async for doc in cursor}
        while waiting:
            oldest_allowed = now_kst() - self._intake_stale_after
            waiting = {id_: at for id_, at in waiting.items() if at > oldest_allowed}
            if not waiting:
                break
            await asyncio.sleep(0.05)
            cursor = self._intake_batches.find({"_id": {"$in": list(waiting)}}, {"_id": 1})
            still = {doc["_id"] async for doc in cursor}
            waiting = {id_: at for id_, at in waiting.items() if id_ in still}

    def _document(
        self,
        application: ApplicationSubmitted,
        screening: Screening,
        received_at: datetime,
        *,
        refused: bool,
    ) -> dict[str, Any]:
        data = application.model_dump(mode="json")
        applicant = data["applicant"]
        personal = {
            field: self._keys.seal_optional(
                applicant.pop(field), context=_context(application.application_id, field)
            )
            for field in PERSONAL_FIELDS
        }
        return {
            "_id": application.application_id,
            "call_id": application.call_id,
            # Pseudonymous (the partner's id for the person): what right-of-access finds by.
            "applicant_id": application.applicant.applicant_id,
            # As JSON text: nothing queries inside them, and FerretDB stores a string a third
            # as fast as the same data as a nested document (measured, 500 at a time).
            "application": to_json(data).decode(),
            "personal": to_json(personal).decode(),
            "screening": SCREENING.dump_json(screening).decode(),
            "refused": refused,
            "received_at": received_at,
        }

    async def application(self, application_id: str) -> StoredApplication | None:
        doc = await self._applications.find_one({"_id": application_id})
        return self._stored(doc) if doc else None

    def _stored(self, doc: dict[str, Any]) -> StoredApplication:
        return StoredApplication(
            application=self._application(doc),
            screening=SCREENING.validate_json(doc["screening"]),
            refused=bool(doc["refused"]),
            applicant_id=doc.get("applicant_id", ""),
            received_at=doc.get("received_at"),
            personal_data_purged_at=doc.get("personal_data_purged_at"),
        )

    def _application(self, doc: dict[str, Any]) -> ApplicationSubmitted | None:
        """The application as it came, its personal data opened; None once purged."""
        if "personal_data_purged_at" in doc:
            return None
        sealed = doc.get("personal")
        if sealed is None:  # stored before decision 0006: the text holds it all, until purged
            return ApplicationSubmitted.model_validate_json(doc["application"])
        data = json.loads(doc["application"])
        data["applicant"].update(
            {
                field: self._keys.open_optional(value, context=_context(doc["_id"], field))
                for field, value in json.loads(sealed).items()
            }
        )
        return ApplicationSubmitted.model_validate(data)

    # -- privacy: right of access and retention -------------------------------------------
    async def applications_of(self, applicant_id: str) -> list[StoredApplication]:
        """Everything stored about one person's applications, opened (right of access)."""
        cursor = self._applications.find({"applicant_id": applicant_id}).sort("received_at", 1)
        return [self._stored(doc) async for doc in cursor]

    async def decisions_about(self, application_ids: Sequence[str]) -> list[SelectionDecision]:
        """Every decision of every selection run about these applications."""
        if not application_ids:
            return []
        cursor = self._decisions.find(
            {"application_id": {"$in": list(application_ids)}},
            {"_id": 0, "run_id": 0, "call_id": 0},
        )
        return [DECISION.validate_python(d) async for d in cursor]

    async def purge_personal_data(self, call_id: str, at: datetime) -> int:
        """Drop the personal data of every application to the call: the sealed fields and
        the rest of what the applicant wrote (address, household, dates that could point to
        them). The screening, the decisions and the counts stay: anonymous statistics under
        the pseudonymous ids. One update for the whole call; a purge repeated finds nothing
        left. Returns how many were purged."""
        result = await self._applications.update_many(
            {"call_id": call_id, "personal_data_purged_at": {"$exists": False}},
            {
                "$unset": {"personal": "", "application": ""},
                "$set": {"personal_data_purged_at": at},
            },
        )
        return result.modified_count

    async def screenings_for_selection(self, call_id: str) -> list[Screening]:
        cursor = self._applications.find({"call_id": call_id, "refused": False}, {"screening": 1})
        return [SCREENING.validate_json(doc["screening"]) async for doc in cursor]

    async def application_counts(self, call_id: str) -> dict[str, int]:
        counts = {"received": 0, "refused": 0}
        async for doc in self._applications.find({"call_id": call_id}, {"refused": 1}):
            counts["refused" if doc["refused"] else "received"] += 1
        return counts

    # -- selection -----------------------------------------------------------------------
    async def start_selection(self, call_id: str, at: datetime, stale_after: timedelta) -> bool:
        """Reserve the call's selection, or False if another one is under way.

        An insert decides, not the compare-and-set on the call's status alone: FerretDB does
        not apply a filtered update atomically, and two operators' runs both got through. A
        reservation left by a crash is taken over once it is `stale_after` old (two takers
        may both delete it; only one insert succeeds)."""
        for _ in range(2):
            try:
                await self._selections_under_way.insert_one({"_id": call_id, "started_at": at})
            except DuplicateKeyError:
                await self._selections_under_way.delete_one(
                    {"_id": call_id, "started_at": {"$lte": at - stale_after}}
                )
                continue
            return True
        return False

    async def end_selection(self, call_id: str) -> None:
        await self._selections_under_way.delete_one({"_id": call_id})

    async def record_run(self, run_id: str, result: SelectionResult, ran_at: datetime) -> None:
        await self._runs.insert_one(
            {
                "_id": run_id,
                "call_id": result.call_id,
                "method": result.method.value,
                "seed": result.seed,
                "quota": result.quota,
                "priority_seats": result.priority_seats,
                "counts": {
                    "selected": len(result.selected),
                    "waitlisted": len(result.waitlisted),
                    "rejected": len(result.rejected),
                },
                "ran_at": ran_at,
                "published_at": None,
            }
        )
        documents = [
            {
                "_id": f"{run_id}:{d.application_id}",
                "run_id": run_id,
                "call_id": result.call_id,
                **DECISION.dump_python(d, mode="json"),
            }
            for d in result.decisions
        ]
        await insert_if_absent(self._decisions, documents)  # a retried request: those stay

    async def runs(self, call_id: str) -> list[SelectionRun]:
        cursor = self._runs.find({"call_id": call_id}).sort("ran_at", ASCENDING)
        return [_run(doc) async for doc in cursor]

    async def run(self, run_id: str) -> SelectionRun | None:
        doc = await self._runs.find_one({"_id": run_id})
        return _run(doc) if doc else None

    async def decisions_of_run(self, run_id: str) -> list[SelectionDecision]:
        cursor = self._decisions.find({"run_id": run_id}, {"_id": 0, "run_id": 0, "call_id": 0})
        return sorted([DECISION.validate_python(d) async for d in cursor], key=decision_order)

    async def mark_published(self, run_id: str, at: datetime) -> None:
        await self._runs.update_one({"_id": run_id}, {"$set": {"published_at": at}})

    async def published_decision(
        self, run_id: str, application_id: str
    ) -> SelectionDecision | None:
        run = await self._runs.find_one({"_id": run_id, "published_at": {"$ne": None}})
        if run is None:
            return None
        doc = await self._decisions.find_one(
            {"_id": f"{run_id}:{application_id}"}, {"_id": 0, "run_id": 0, "call_id": 0}
        )
        return DECISION.validate_python(doc) if doc else None


def _say_if_failed(reading: "asyncio.Task[None]") -> None:
    # A failed read in the background keeps the copy; the next caller tries again.
    if not reading.cancelled() and reading.exception() is not None:
        log.warning("could not read the calls again", exc_info=reading.exception())


AnswerT = TypeVar("AnswerT")


def _merged(
    screened: Sequence[tuple[ApplicationSubmitted, Screening]],
    known: Mapping[str, AnswerT],
    written: Sequence[AnswerT],
) -> list[AnswerT]:
    """The answers in the order of `screened`: from memory where known, else the next of
    those the write gave (for the others, in their order)."""
    rest = iter(written)
    return [
        known[application.application_id] if application.application_id in known else next(rest)
        for application, _ in screened
    ]
