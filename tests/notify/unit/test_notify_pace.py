"""Planning keeps pace with delivery: a burst beyond what the providers can send soon waits in
Kafka, not in the outbox (services/notify/use_cases.py)."""

from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from services.notify import use_cases
from services.notify.adapters.store import NotifyStore
from services.notify.use_cases import Ports, keep_pace_with_delivery
from shared.clock import now_kst


class Outbox:
    """Due and unsent notifications, as delivery brings them down between two looks."""

    def __init__(self, *backlogs: int) -> None:
        self.backlogs = list(backlogs)
        self.looks = 0

    async def due_backlog(self, now: datetime) -> int:
        self.looks += 1
        return self.backlogs.pop(0) if len(self.backlogs) > 1 else self.backlogs[0]


def ports_with(outbox: Outbox, plan_ahead: int) -> Ports:
    unused = cast(Any, None)  # planning's pace needs the outbox and the clock only
    return Ports(
        store=cast(NotifyStore, outbox),
        templates=unused,
        providers=unused,
        notification_sent=unused,
        notification_failed=unused,
        metrics=unused,
        quiet_hours=unused,
        retry_policy=unused,
        lease=timedelta(seconds=30),
        clock=now_kst,
        plan_ahead=plan_ahead,
    )


@pytest.fixture(autouse=True)
def quick_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(use_cases, "PACE_CHECK_SECONDS", 0.01)


async def test_planning_goes_on_at_once_while_the_backlog_is_within_the_limit() -> None:
    outbox = Outbox(10)
    assert await keep_pace_with_delivery(ports_with(outbox, plan_ahead=10)) < 0.01
    assert outbox.looks == 1


async def test_planning_waits_until_delivery_brings_the_backlog_within_the_limit() -> None:
    outbox = Outbox(4_600, 4_550, 4_510, 4_500, 4_400)
    await keep_pace_with_delivery(ports_with(outbox, plan_ahead=4_500))
    assert outbox.looks == 4  # 4,600, 4,550 and 4,510 waited; 4,500 went on


async def test_planning_never_waits_longer_than_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(use_cases, "PACE_MAX_WAIT_SECONDS", 0.05)
    waited = await keep_pace_with_delivery(ports_with(Outbox(99_999), plan_ahead=10))
    assert 0.05 <= waited < 1.0
