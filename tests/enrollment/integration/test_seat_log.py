"""The seat log's fence on the real database: of writers that all believe they own a cohort
(a rebalance, a zombie), exactly one appends each entry; the others read again and see it."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from services.enrollment.adapters.seat_log import Entry, SeatLog
from services.enrollment.domain.commands import OfferSeat
from services.enrollment.domain.seats import CohortSeats, Instruction, decide
from shared.mongo import make_mongo_client
from tests.conftest import Stack
from tests.enrollment.unit.builders import BEFORE_START, make_cohort

pytestmark = pytest.mark.integration

COHORT = make_cohort(capacity=2)


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[AsyncDatabase[dict[str, Any]]]:
    client = make_mongo_client(stack.mongodb_uri)
    try:
        yield client[f"test_seat_log_{uuid.uuid4().hex[:8]}"]
    finally:
        await client.close()


def offer(state: CohortSeats, seq: int, application_id: str) -> Entry:
    command = OfferSeat(application_id=application_id, applicant_id=f"p-{application_id}", rank=1)
    after, facts = decide(
        COHORT, state, [Instruction(f"c-{application_id}", "corr", BEFORE_START, command)]
    )
    return Entry(COHORT.id, seq, after, facts, [f"c-{application_id}"], BEFORE_START)


async def test_of_twenty_writers_appending_the_same_entry_at_once_exactly_one_succeeds(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    writers = [SeatLog(db) for _ in range(20)]
    await writers[0].create_indexes()
    taken = await asyncio.gather(*(w.take([COHORT.id]) for w in writers))
    assert {t[COHORT.id].seq for t in taken} == {0}
    written = await asyncio.gather(
        *(w.append([offer(CohortSeats(), 1, f"a{n}")]) for n, w in enumerate(writers))
    )
    winners = [n for n, w in enumerate(written) if w == {COHORT.id}]
    assert len(winners) == 1
    # a loser reads again and finds the winner's offer, then continues after it
    loser = writers[(winners[0] + 1) % len(writers)]
    [again] = (await loser.take([COHORT.id])).values()
    assert again.seq == 1
    assert list(again.state.seats) == [f"a{winners[0]}"]
    assert await loser.append([offer(again.state, 2, "late")]) == {COHORT.id}
    fresh = await SeatLog(db).cohort(COHORT.id)
    assert set(fresh.seats) == {f"a{winners[0]}", "late"}


async def test_a_writer_taking_a_cohort_over_gets_the_last_entry_to_publish_again(
    db: AsyncDatabase[dict[str, Any]],
) -> None:
    crashed = SeatLog(db)
    await crashed.create_indexes()
    await crashed.take([COHORT.id])
    entry = offer(CohortSeats(), 1, "a1")
    assert await crashed.append([entry]) == {COHORT.id}
    # ... and died before publishing: whoever takes the cohort next publishes it again
    [taken] = (await SeatLog(db).take([COHORT.id])).values()
    assert (taken.seq, taken.unsent) == (1, entry.facts)
    # the writer that wrote it does not
    [kept] = (await crashed.take([COHORT.id])).values()
    assert kept.unsent == []
    views = await SeatLog(db).seats_of_applicant("p-a1")
    assert [v.seat.status.value for v in views] == ["offered"]
