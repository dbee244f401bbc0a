"""`insert_if_absent` on the real database: "only once" is decided by the insert, and a batch
never sends a document the database would refuse because of another document of the same
batch (one refusal makes FerretDB insert the whole batch again one document at a time)."""

import uuid

import pytest
from pymongo import ASCENDING, AsyncMongoClient

from shared.inbox import Inbox
from shared.mongo import insert_if_absent
from tests.conftest import Finds, Stack

pytestmark = pytest.mark.integration


async def test_a_batch_repeating_itself_sends_only_the_first_of_each_and_answers_for_all(
    stack: Stack,
) -> None:
    sent = Finds()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        stack.mongodb_uri, event_listeners=[sent]
    )
    try:
        people = client[f"test_inserts_{uuid.uuid4().hex[:8]}"]["people"]
        await people.create_index([("key", ASCENDING)], unique=True)
        batch = [
            {"_id": "a", "key": "k1"},
            {"_id": "a", "key": "k1"},  # the same document again
            {"_id": "b", "key": "k1"},  # another document with a's unique key
            {"_id": "c", "key": "k2"},
        ]

        assert await insert_if_absent(people, batch, unique=["key"]) == [
            True,
            False,
            False,
            True,
        ]
        assert sent.inserted_into("people") == ["a", "c"]
        assert await people.count_documents({}) == 2
    finally:
        await client.close()


async def test_a_repeat_whose_earlier_document_was_refused_is_tried_on_its_own(
    stack: Stack,
) -> None:
    """`x` is stored already, so the batch's `x` is refused for its `_id`; `y` shares only a
    unique key with it, which is then still free: `y` goes in."""
    sent = Finds()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        stack.mongodb_uri, event_listeners=[sent]
    )
    try:
        people = client[f"test_inserts_{uuid.uuid4().hex[:8]}"]["people"]
        await people.create_index([("key", ASCENDING)], unique=True)
        await people.insert_one({"_id": "x", "key": "k0"})
        batch = [{"_id": "x", "key": "k9"}, {"_id": "y", "key": "k9"}]

        assert await insert_if_absent(people, batch, unique=["key"]) == [False, True]
        assert [ids for name, ids in sent.inserts if name == "people"][-2:] == [["x"], ["y"]]
    finally:
        await client.close()


async def test_the_inbox_does_not_claim_again_what_it_finished(stack: Stack) -> None:
    sent = Finds()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        stack.mongodb_uri, event_listeners=[sent]
    )
    try:
        db = client[f"test_inserts_{uuid.uuid4().hex[:8]}"]
        inbox = Inbox(db)
        finished, new = str(uuid.uuid4()), str(uuid.uuid4())
        assert await inbox.claim([finished], "t") == {finished}
        await inbox.complete([finished])
        sent.inserts.clear()

        assert await inbox.claim([finished, new], "t") == {new}
        assert sent.inserted_into("inbox") == [new]
    finally:
        await client.close()
