"""Enrollment's copy of the cohorts, on the real database: a read of the collection that began
before this instance added a cohort never drops that cohort from the copy."""

import uuid

import pytest

from services.enrollment.adapters.store import EnrollmentStore
from shared.mongo import make_mongo_client
from tests.conftest import Stack
from tests.enrollment.unit.builders import make_cohort

pytestmark = pytest.mark.integration


async def test_a_cohort_just_added_stays_in_the_copy_whatever_an_older_read_returns(
    stack: Stack,
) -> None:
    client = make_mongo_client(stack.mongodb_uri)
    db = client[f"test_cohort_copy_{uuid.uuid4().hex[:8]}"]
    try:
        store = EnrollmentStore(db)
        first = make_cohort(id="first", call={"id": "call-first", **_window()})
        added = make_cohort(id="added", call={"id": "call-added", **_window()})
        assert await store.add_cohort(first) and await store.add_cohort(added)
        # What a read that began before `added` went in finds: `first` alone.
        await db["cohorts"].delete_one({"_id": "added"})
        assert [c.id for c in await store.cohorts(fresh=True)] == ["added", "first"]
    finally:
        await client.close()


def _window() -> dict[str, str]:
    return {"opens_at": "2025-05-07T09:00:00+09:00", "closes_at": "2025-05-16T18:00:00+09:00"}
