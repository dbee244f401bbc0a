"""MongoDB access with PyMongo's async API (Motor's successor; see docs/decisions/0001)."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from shared.clock import SEOUL
from shared.dependencies import keep_trying

MongoClient = AsyncMongoClient[dict[str, Any]]


def make_mongo_client(uri: str) -> MongoClient:
    # tz_aware: dates come back as aware datetimes in Seoul time, as the contract writes them.
    return AsyncMongoClient(
        uri, tz_aware=True, tzinfo=SEOUL, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000
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
