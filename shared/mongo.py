"""MongoDB access with PyMongo's async API (Motor's successor; see docs/decisions/0001)."""

import asyncio
import logging
import time
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from shared.clock import SEOUL

log = logging.getLogger(__name__)

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
    """Block until MongoDB answers; one log line when it is down, one when it comes back."""
    started = time.monotonic()
    warned = False
    while True:
        try:
            await client.admin.command("ping")
        except PyMongoError as error:
            if not warned:
                log.warning(
                    "MongoDB is not reachable yet; retrying every %.1fs",
                    retry_seconds,
                    extra={"error": type(error).__name__},
                )
                warned = True
            await asyncio.sleep(retry_seconds)
            continue
        if warned:
            log.info("MongoDB reachable after %.1fs", time.monotonic() - started)
        return
