"""The recruitment store answers a re-sent application_id, and a person's second application to
a call, from what it stored lately, without a read of the applications; a restarted store,
remembering nothing, answers the same from the database (docs/decisions/0003)."""

import uuid

import pytest
from pymongo import AsyncMongoClient

from services.recruitment.adapters.store import (
    Added,
    AlreadyStored,
    RecruitmentStore,
    SecondApplication,
)
from shared.clock import now_kst
from tests.conftest import Finds, Stack
from tests.recruitment.unit.builders import make_application, make_screening

pytestmark = pytest.mark.integration


async def test_a_re_sent_application_gets_the_first_screening_from_memory_or_database(
    stack: Stack,
) -> None:
    reads = Finds()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        stack.mongodb_uri, tz_aware=True, event_listeners=[reads]
    )
    db = client[f"test_recruitment_memory_{uuid.uuid4().hex[:8]}"]
    try:
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
    finally:
        await client.close()
