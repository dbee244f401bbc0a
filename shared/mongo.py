"""MongoDB access with PyMongo's async API (Motor's successor; see docs/decisions/0001)."""

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, PyMongoError

from shared.clock import SEOUL
from shared.dependencies import keep_trying
from shared.transport import TransportSettings, mongo_tls_options

MongoClient = AsyncMongoClient[dict[str, Any]]


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
    collection: AsyncCollection[dict[str, Any]], documents: Sequence[dict[str, Any]]
) -> list[bool]:
    """Insert the documents in one unordered bulk insert; for each, whether it went in.

    A document a unique index refuses (its `_id` or another unique key is taken) is not an
    error but the answer: "only once" is decided by the insert, the one write FerretDB 1.24
    applies atomically (docs/decisions/0003). Any other write error raises.
    """
    if not documents:
        return []
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        problems = error.details.get("writeErrors", [])
        if any(problem.get("code") != DUPLICATE_KEY for problem in problems):
            raise
        refused = {problem["index"] for problem in problems}
        return [index not in refused for index in range(len(documents))]
    return [True] * len(documents)


async def insert_new(
    collection: AsyncCollection[dict[str, Any]], documents: Sequence[dict[str, Any]]
) -> set[Any]:
    """The `_id`s of the documents that went in (see `insert_if_absent`)."""
    inserted = await insert_if_absent(collection, documents)
    return {
        document["_id"] for document, went_in in zip(documents, inserted, strict=True) if went_in
    }
