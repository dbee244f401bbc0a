"""Reaching Kafka and MongoDB: a service keeps trying and says so once, never dies of it."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def keep_trying(
    attempt: Callable[[], Awaitable[object]],
    *,
    dependency: str,
    retry_seconds: float,
    errors: tuple[type[Exception], ...] = (Exception,),
) -> None:
    """Await `attempt` until it succeeds: one log line while `dependency` is down, one when
    it is back (an operator reads a cause, not a page of tracebacks)."""
    started = time.monotonic()
    warned = False
    while True:
        try:
            await attempt()
        except errors as error:
            if not warned:
                log.warning(
                    "%s is not reachable yet; retrying every %.1fs",
                    dependency,
                    retry_seconds,
                    extra={"error": type(error).__name__},
                )
                warned = True
            await asyncio.sleep(retry_seconds)
            continue
        if warned:
            log.info("%s reachable after %.1fs", dependency, time.monotonic() - started)
        return
