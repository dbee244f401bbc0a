"""Background loops of the enrollment service: they only ask; the use cases decide.

- Deadline checks: every `every` seconds, a check command per cohort that may hold open
  offers; the cohort's writer expires the overdue ones, by the command's time (the injectable
  clock's), and offers each freed seat to the next in line.
- Gauges: fill ratios and survey averages, read from the database.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from .. import use_cases
from ..use_cases import Ports

log = logging.getLogger(__name__)


def every(
    seconds: float, work: Callable[[], Coroutine[Any, Any, object]], what: str
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def loop() -> None:
        while True:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; trying again in %.1fs", what, seconds)
            await asyncio.sleep(seconds)

    return loop


def deadline_checks(ports: Ports, seconds: float) -> Callable[[], Coroutine[Any, Any, None]]:
    period = timedelta(seconds=seconds)
    return every(seconds, lambda: use_cases.check_deadlines(ports, period), "checking deadlines")


def gauges(ports: Ports, seconds: float) -> Callable[[], Coroutine[Any, Any, None]]:
    return every(seconds, lambda: use_cases.refresh_gauges(ports), "refreshing gauges")
