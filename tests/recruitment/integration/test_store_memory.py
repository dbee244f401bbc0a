"""The recruitment store answers a re-sent application_id, and a person's second application to
a call, from what it stored lately, without a read of the applications; a restarted store,
remembering nothing, answers the same from the database (docs/decisions/0003)."""

import asyncio

import pytest

from services.recruitment.adapters.store import (
    Added,
    AlreadyStored,
    RecruitmentStore,
    SecondApplication,
)
from shared.clock import now_kst
from tests.conftest import Watched
from tests.recruitment.unit.builders import make_application, make_call, make_screening

pytestmark = pytest.mark.integration


async def test_a_re_sent_application_gets_the_first_screening_from_memory_or_database(
    watched: Watched,
) -> None:
    db, reads = watched.db, watched.sent
    store = RecruitmentStore(db)
    await store.create_indexes()
    first = [
        (make_application(application_id=f"app-{n}"), make_screening(f"app-{n}", score=n))
        for n in range(3)
    ]
    assert await store.admit(first, now_kst()) == [Added(), Added(), Added()]
    # Re-sent: the same ids, screened differently now (another day, another score).
    again = [(app, make_screening(s.application_id, score=99)) for app, s in first]

    reads.of.clear()
    reads.inserts.clear()
    from_memory = await store.admit(again, now_kst())
    assert "applications" not in reads.of
    assert reads.inserted_into("applications") == []  # it would be refused
    from_database = await RecruitmentStore(db).admit(again, now_kst())
    assert "applications" in reads.of

    for answers in (from_memory, from_database):
        assert all(isinstance(answer, AlreadyStored) for answer in answers)
        scores = [a.screening.score for a in answers if isinstance(a, AlreadyStored)]
        assert scores == [0, 1, 2]

    # The same person applies to the same call again, under a new application id.
    person = first[0][0].applicant.applicant_id
    second = [(make_application(application_id="app-9", applicant_id=person), first[0][1])]
    reads.of.clear()
    reads.inserts.clear()
    assert await store.admit(second, now_kst()) == [SecondApplication("app-0")]
    assert "applications" not in reads.of
    assert reads.inserted_into("applications") == []
    assert await RecruitmentStore(db).admit(second, now_kst()) == [SecondApplication("app-0")]
    assert "applications" in reads.of


async def test_callers_of_a_stale_copy_of_the_calls_go_on_with_it_while_one_read_runs(
    watched: Watched,
) -> None:
    """A call opening brings hundreds of web applications at once: a stale copy of the calls
    is read again once, in the background, and nobody waits for it; a copy lacking a call
    (opened by another instance) is read at once, and the caller gets the call."""
    db, reads = watched.db, watched.sent
    store = RecruitmentStore(db, call_refresh_seconds=0.05)
    await store.create_indexes()
    mine = make_call(id="call-mine")
    assert await store.add_call(mine)
    assert await store.calls_by_id(["call-mine"]) == {"call-mine": mine}
    await asyncio.sleep(0.1)  # the copy is stale now

    reads.of.clear()
    answers = await asyncio.gather(*(store.calls_by_id(["call-mine"]) for _ in range(50)))
    assert all(answer == {"call-mine": mine} for answer in answers)
    reading = store._calls_reading
    assert reading is not None and not reading.done()  # all answered while it runs
    await reading
    assert reads.of == ["calls"]  # one read for all fifty

    theirs = make_call(id="call-theirs")
    assert await RecruitmentStore(db).add_call(theirs)
    await asyncio.sleep(0.6)  # a lacking copy is read again at most twice a second
    assert await store.calls_by_id(["call-theirs"]) == {"call-theirs": theirs}
