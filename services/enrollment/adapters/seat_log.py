"""Where a cohort's seats are kept: a log per cohort that only ever grows by inserts.

- `seat_log`: one entry per batch of commands that changed a cohort, `_id` = `<cohort>#<seq>`,
  seq counting 1, 2, 3 … per cohort. An entry holds the facts of its batch (each changed seat as
  it now is) and the cohort's counters after it. The cohort's state is its entries folded in
  order. The unique `_id` is the fence: a writer that appends `<cohort>#<n+1>` after reading up
  to n succeeds only if nobody appended n+1 meanwhile, so two consumers that both believe they
  own a cohort (during a rebalance, or a zombie) can never both write: the second is refused,
  reads again and re-applies its (idempotent) commands. No update, no conditional update: the
  one write FerretDB 1.24 applies atomically decides (docs/decisions/0003, 0004).
- `seat_views`: the same facts, one small document each, for the questions asked by citizen and
  by application (my offers, my enrollments). Inserted after the entry, idempotently by `_id`.

The writer keeps each cohort's state in memory after reading it once; it reads the log again
only for a cohort it has not seen, or after its append was refused. An entry is the outbox of
its own events: a writer that takes a cohort over re-publishes the events of the cohort's last
entry (a crash may have come between the append and the publishing), under the same derived
event ids, which consumers drop when they had them already.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import insert_if_absent

from ..domain.seats import CohortSeats, Fact, FactKind, Seat, SeatStatus


@dataclass(frozen=True)
class Taken:
    """A cohort's seats as its writer takes them: after entry `seq`. `unsent` holds the facts
    of that last entry when it was just read from the log: their events may not have gone out."""

    seq: int
    state: CohortSeats
    unsent: list[Fact]


@dataclass(frozen=True)
class Entry:
    cohort_id: str
    seq: int
    state: CohortSeats
    facts: list[Fact]
    commands: list[str]
    written_at: datetime


@dataclass(frozen=True)
class SeatView:
    cohort_id: str
    seat: Seat


@dataclass(frozen=True)
class Summary:
    cohort_id: str
    counts: dict[str, int]
    fillings: int


_SEAT_FIELDS = [f.name for f in fields(Seat)]


def _seat_doc(seat: Seat) -> dict[str, Any]:
    doc = {name: getattr(seat, name) for name in _SEAT_FIELDS}
    doc["status"] = seat.status.value
    return doc


def _seat(doc: dict[str, Any]) -> Seat:
    return Seat(
        application_id=doc["application_id"],
        applicant_id=doc["applicant_id"],
        correlation_id=doc["correlation_id"],
        status=SeatStatus(doc["status"]),
        selected=bool(doc["selected"]),
        rank=doc.get("rank"),
        position=doc.get("position"),
        changed_at=doc["changed_at"],
        offer_id=doc.get("offer_id"),
        offered_at=doc.get("offered_at"),
        deadline=doc.get("deadline"),
        promoted=bool(doc.get("promoted")),
        reason=doc.get("reason"),
        attended=doc.get("attended"),
    )


def _fact_doc(fact: Fact) -> dict[str, Any]:
    return {
        "kind": fact.kind.value,
        "at": fact.at,
        "caused_by": fact.caused_by,
        "seat": None if fact.seat is None else _seat_doc(fact.seat),
        "filling": fact.filling,
    }


def _fact(doc: dict[str, Any]) -> Fact:
    seat = doc.get("seat")
    return Fact(
        kind=FactKind(doc["kind"]),
        at=doc["at"],
        caused_by=doc["caused_by"],
        seat=None if seat is None else _seat(seat),
        filling=doc.get("filling"),
    )


def _entry_id(cohort_id: str, seq: int) -> str:
    return f"{cohort_id}#{seq:010d}"


class SeatLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._log = db["seat_log"]
        self._views = db["seat_views"]
        self._taken: dict[str, tuple[int, CohortSeats]] = {}

    async def create_indexes(self) -> None:
        await self._log.create_index([("cohort_id", ASCENDING), ("seq", ASCENDING)])
        await self._views.create_index([("applicant_id", ASCENDING)])
        await self._views.create_index([("application_id", ASCENDING)])
        await self._views.create_index([("cohort_id", ASCENDING)])

    # -- the writer -------------------------------------------------------------------------
    async def take(self, cohort_ids: Collection[str]) -> dict[str, Taken]:
        """The current seats of each cohort: from memory, or read (one query for all the
        cohorts not in memory)."""
        taken = {
            cohort_id: Taken(*self._taken[cohort_id], unsent=[])
            for cohort_id in cohort_ids
            if cohort_id in self._taken
        }
        missing = [cohort_id for cohort_id in cohort_ids if cohort_id not in taken]
        if not missing:
            return taken
        entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
        async for doc in self._log.find({"cohort_id": {"$in": missing}}):
            entries[doc["cohort_id"]].append(doc)
        for cohort_id in missing:
            docs = sorted(entries.get(cohort_id, []), key=lambda d: int(d["seq"]))
            state = _fold(docs)
            seq = int(docs[-1]["seq"]) if docs else 0
            unsent = [_fact(f) for f in docs[-1]["facts"]] if docs else []
            if docs:  # their views may be missing too
                await insert_if_absent(self._views, _views(cohort_id, seq, unsent))
            self._taken[cohort_id] = (seq, state)
            taken[cohort_id] = Taken(seq, state, unsent)
        return taken

    async def append(self, entries: Sequence[Entry]) -> set[str]:
        """Append each cohort's entry; the cohorts whose entry went in. The others were
        written by someone else meanwhile: forgotten, to be read again."""
        if not entries:
            return set()
        documents = [
            {
                "_id": _entry_id(entry.cohort_id, entry.seq),
                "cohort_id": entry.cohort_id,
                "seq": entry.seq,
                "written_at": entry.written_at,
                "commands": entry.commands,
                "facts": [_fact_doc(fact) for fact in entry.facts],
                "vacancies": entry.state.vacancies,
                "fillings": entry.state.fillings,
                "full": entry.state.full,
                "counts": {s.value: entry.state.count(s) for s in SeatStatus},
            }
            for entry in entries
        ]
        went_in = await insert_if_absent(self._log, documents)
        written = {e.cohort_id for e, new in zip(entries, went_in, strict=True) if new}
        for entry in entries:
            if entry.cohort_id in written:
                self._taken[entry.cohort_id] = (entry.seq, entry.state)
            else:
                self._taken.pop(entry.cohort_id, None)
        await insert_if_absent(
            self._views,
            [
                view
                for entry in entries
                if entry.cohort_id in written
                for view in _views(entry.cohort_id, entry.seq, entry.facts)
            ],
        )
        return written

    def forget(self, cohort_ids: Iterable[str]) -> None:
        for cohort_id in cohort_ids:
            self._taken.pop(cohort_id, None)

    # -- readers ----------------------------------------------------------------------------
    async def seats_of_applicant(self, applicant_id: str) -> list[SeatView]:
        return await self._latest({"applicant_id": applicant_id})

    async def seat(self, application_id: str) -> SeatView | None:
        found = await self._latest({"application_id": application_id})
        return found[0] if found else None

    async def cohort(self, cohort_id: str) -> CohortSeats:
        """Read fresh from the log: whichever instance writes the cohort."""
        cursor = self._log.find({"cohort_id": cohort_id})
        return _fold(sorted([doc async for doc in cursor], key=lambda d: int(d["seq"])))

    async def summaries(self) -> list[Summary]:
        latest: dict[str, dict[str, Any]] = {}
        async for doc in self._log.find({}, {"cohort_id": 1, "seq": 1, "counts": 1, "fillings": 1}):
            known = latest.get(doc["cohort_id"])
            if known is None or int(doc["seq"]) > int(known["seq"]):
                latest[doc["cohort_id"]] = doc
        return [
            Summary(cohort_id, dict(doc["counts"]), int(doc["fillings"]))
            for cohort_id, doc in sorted(latest.items())
        ]

    async def _latest(self, query: dict[str, Any]) -> list[SeatView]:
        latest: dict[str, tuple[tuple[int, int], SeatView]] = {}
        async for doc in self._views.find(query):
            order = (int(doc["seq"]), int(doc["index"]))
            known = latest.get(doc["application_id"])
            if known is None or order > known[0]:
                latest[doc["application_id"]] = (
                    order,
                    SeatView(doc["cohort_id"], _seat(doc["seat"])),
                )
        return [
            view for _, view in sorted(latest.values(), key=lambda item: item[1].seat.changed_at)
        ]


def _fold(docs: Sequence[dict[str, Any]]) -> CohortSeats:
    if not docs:
        return CohortSeats()
    facts = [_fact(f) for doc in docs for f in doc["facts"]]
    last = docs[-1]
    return CohortSeats().with_facts(
        facts, (int(last["vacancies"]), int(last["fillings"]), bool(last["full"]))
    )


def _views(cohort_id: str, seq: int, facts: Sequence[Fact]) -> list[dict[str, Any]]:
    return [
        {
            "_id": f"{_entry_id(cohort_id, seq)}#{index:05d}",
            "cohort_id": cohort_id,
            "seq": seq,
            "index": index,
            "kind": fact.kind.value,
            "application_id": fact.seat.application_id,
            "applicant_id": fact.seat.applicant_id,
            "seat": _seat_doc(fact.seat),
        }
        for index, fact in enumerate(facts)
        if fact.seat is not None
    ]
