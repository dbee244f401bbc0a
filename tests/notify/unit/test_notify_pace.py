"""Planning keeps pace with delivery: a burst beyond what the providers can send soon waits in
Kafka, not in the outbox (services/notify/use_cases.py)."""

from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from services.notify import use_cases
from services.notify.adapters.store import NotifyStore
from services.notify.domain.channels import Channel
from services.notify.use_cases import Ports, keep_pace_with_delivery
from shared.clock import now_kst

LIMITS: dict[Channel, int] = {"sms": 3_000, "email": 1_500}  # 30 s at 100 and 50 a second


class Outbox:
    """Due and unsent notifications per channel, as delivery brings them down between two
    looks."""

    def __init__(self, *backlogs: dict[Channel, int]) -> None:
        self.backlogs = list(backlogs)
        self.looks = 0

    async def due_backlog(self, now: datetime) -> dict[Channel, int]:
        self.looks += 1
        return self.backlogs.pop(0) if len(self.backlogs) > 1 else self.backlogs[0]


def ports_with(outbox: Outbox, plan_ahead: dict[Channel, int] = LIMITS) -> Ports:
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
    outbox = Outbox({"sms": 3_000, "email": 1_500})
    assert await keep_pace_with_delivery(ports_with(outbox)) < 0.01
    assert outbox.looks == 1


async def test_planning_waits_until_delivery_brings_a_backlog_within_its_limit() -> None:
    outbox = Outbox(
        {"sms": 3_100, "email": 1_600},
        {"sms": 3_050, "email": 1_550},
        {"sms": 3_000, "email": 1_550},  # the SMS have room again
        {"sms": 2_900, "email": 1_500},
    )
    await keep_pace_with_delivery(ports_with(outbox))
    assert outbox.looks == 3


async def test_an_email_backlog_does_not_hold_up_the_sms_while_they_have_room() -> None:
    """After a call opening, e-mail (50/s) lags the SMS (100/s): planning goes on at the SMS
    pace, and the e-mail backlog grows, rather than every citizen waiting for the e-mails."""
    outbox = Outbox({"sms": 200, "email": 20_000})
    assert await keep_pace_with_delivery(ports_with(outbox)) < 0.01
    assert outbox.looks == 1


async def test_planning_never_waits_longer_than_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(use_cases, "PACE_MAX_WAIT_SECONDS", 0.05)
    outbox = Outbox({"sms": 99_999, "email": 99_999})
    waited = await keep_pace_with_delivery(ports_with(outbox))
    assert 0.05 <= waited < 1.0
