"""MongoDB access with PyMongo's async API (Motor's successor; see docs/decisions/0001)."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from shared.clock import SEOUL
from shared.dependencies import keep_trying
from shared.transport import TransportSettings, mongo_tls_options

MongoClient = AsyncMongoClient[dict[str, Any]]
T = TypeVar("T")


def make_mongo_client(uri: str, transport: TransportSettings | None = None) -> MongoClient:
    """The client for `uri`, which carries the login and `tls=true` (docs/security.md); the
    certificate files come from MONGODB_TLS_* (`transport`, None: from the environment)."""
    tls = mongo_tls_options(transport or TransportSettings())
    # tz_aware: dates come back as aware datetimes in Seoul time, as the contract writes them.
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        tzinfo=SEOUL,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        **tls,  # type: ignore[arg-type]
    )


async def mongo_reachable(client: MongoClient) -> bool:
    try:
        await client.admin.command("ping")
    except PyMongoError:
        return False
    return True


async def wait_for_mongo(client: MongoClient, retry_seconds: float) -> None:
    """Return once MongoDB answers."""
    await keep_trying(
        lambda: client.admin.command("ping"),
        dependency="MongoDB",
        retry_seconds=retry_seconds,
        errors=(PyMongoError,),
    )


DUPLICATE_KEY = 11000


async def insert_if_absent(
    collection: AsyncCollection[dict[str, Any]],
    documents: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str] = (),
) -> list[bool]:
    """Insert the documents in one unordered bulk insert; for each, whether it went in.

    A document a unique index refuses (its `_id` or another unique key is taken) is not an
    error but the answer: "only once" is decided by the insert, the one write FerretDB 1.24
    applies atomically (docs/decisions/0003). Any other write error raises.

    One refusal makes FerretDB insert the whole batch again one document at a time, each in
    a transaction of its own (measured: 250 documents, 23 ms; with one refused, 70 ms, and
    far more while other writers wait on the same database). So a document that repeats an
    earlier one of the batch (its `_id`, or a key named in `unique`) is not sent with it:
    it is refused when it repeats an `_id` or an earlier one went in (the key is taken
    either way), and tried on its own afterwards only when every earlier one it repeats was
    refused for another key. Callers leave out what they know is stored already
    (docs/decisions/0003, rule 5).
    """
    if not documents:
        return []
    keys = ["_id", *unique]
    first: list[int] = []
    repeats: dict[int, list[int]] = {}  # a repeating document -> the earlier ones it repeats
    holder: dict[tuple[str, Any], int] = {}
    for index, document in enumerate(documents):
        values = [(key, document.get(key)) for key in keys if document.get(key) is not None]
        if ("_id", document["_id"]) in holder:
            repeats[index] = []  # that `_id` is stored, or will be by the earlier one
        elif earlier := sorted({holder[value] for value in values if value in holder}):
            repeats[index] = earlier
        else:
            first.append(index)
        for value in values:
            holder.setdefault(value, index)
    went_in = [False] * len(documents)
    for index, new in zip(first, await _insert_many(collection, documents, first), strict=True):
        went_in[index] = new
    retry = [
        i for i, earlier in repeats.items() if earlier and not any(went_in[e] for e in earlier)
    ]
    for index, new in zip(retry, await _insert_many(collection, documents, retry), strict=True):
        went_in[index] = new
    return went_in


async def _insert_many(
    collection: AsyncCollection[dict[str, Any]],
    documents: Sequence[dict[str, Any]],
    indexes: Sequence[int],
) -> list[bool]:
    if not indexes:
        return []
    try:
        await collection.insert_many([documents[i] for i in indexes], ordered=False)
    except BulkWriteError as error:
        problems = error.details.get("writeErrors", [])
        if any(problem.get("code") != DUPLICATE_KEY for problem in problems):
            raise
        refused = {problem["index"] for problem in problems}
        return [position not in refused for position in range(len(indexes))]
    return [True] * len(indexes)


# Facts recorded together in one document (rule 7 of docs/decisions/0003): at most this many
# a document, far below MongoDB's 16 MB.
FACTS_PER_DOCUMENT = 1_000


def per_document(facts: Sequence[T]) -> list[Sequence[T]]:
    """`facts` in the groups that each go into one document."""
    return [
        facts[start : start + FACTS_PER_DOCUMENT]
        for start in range(0, len(facts), FACTS_PER_DOCUMENT)
    ]


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], documents: Sequence[dict[str, Any]]
) -> set[Any]:
    """The `_id`s of the documents that went in (see `insert_if_absent`)."""
    inserted = await insert_if_absent(collection, documents)
    return {
        document["_id"] for document, went_in in zip(documents, inserted, strict=True) if went_in
    }
