"""`insert_if_absent` on the real database: "only once" is decided by the insert, and a batch
never sends a document the database would refuse because of another document of the same
batch (one refusal makes FerretDB insert the whole batch again one document at a time)."""

import uuid

import pytest
from pymongo import ASCENDING

from shared.inbox import Inbox
from shared.mongo import insert_if_absent
from tests.conftest import Watched

pytestmark = pytest.mark.integration


async def test_a_batch_repeating_itself_sends_only_the_first_of_each_and_answers_for_all(
    watched: Watched,
) -> None:
    people = watched.db["people"]
    await people.create_index([("key", ASCENDING)], unique=True)
    batch = [
        {"_id": "a", "key": "k1"},
        {"_id": "a", "key": "k1"},  # the same document again
        {"_id": "b", "key": "k1"},  # another document with a's unique key
        {"_id": "c", "key": "k2"},
    ]

    assert await insert_if_absent(people, batch, unique=["key"]) == [True, False, False, True]
    assert watched.sent.inserted_into("people") == ["a", "c"]
    assert await people.count_documents({}) == 2


async def test_a_repeat_whose_earlier_document_was_refused_is_tried_on_its_own(
    watched: Watched,
) -> None:
    """`x` is stored already, so the batch's `x` is refused for its `_id`; `y` shares only a
    unique key with it, which is then still free: `y` goes in."""
    people = watched.db["people"]
    await people.create_index([("key", ASCENDING)], unique=True)
    await people.insert_one({"_id": "x", "key": "k0"})
    batch = [{"_id": "x", "key": "k9"}, {"_id": "y", "key": "k9"}]

    assert await insert_if_absent(people, batch, unique=["key"]) == [False, True]
    inserts = [ids for name, ids in watched.sent.inserts if name == "people"]
    assert inserts[-2:] == [["x"], ["y"]]


async def test_the_inbox_does_not_claim_again_what_it_finished(watched: Watched) -> None:
    inbox = Inbox(watched.db)
    finished, new = str(uuid.uuid4()), str(uuid.uuid4())
    assert await inbox.claim([finished], "t") == {finished}
    await inbox.complete([finished])
    watched.sent.inserts.clear()

    assert await inbox.claim([finished, new], "t") == {new}
    assert watched.sent.inserted_into("inbox") == [new]
