"""The outbox in segments: one channel each, at most SEGMENT_SIZE notifications, their state
the latest revision whatever order revisions are read in."""

from datetime import UTC, datetime, timedelta
from itertools import permutations

from services.notify.domain.catalog import template
from services.notify.domain.channels import Channel
from services.notify.domain.lease import Lease
from services.notify.domain.message import EmailText, SmsText
from services.notify.domain.notification import Notification, Planned, Recipient, Status
from services.notify.domain.outbox import (
    Revision,
    Segment,
    created_at,
    due_at,
    latest_revisions,
    new_segment_id,
    segments_of,
)
from services.notify.domain.quiet_hours import QuietHours
from shared.clock import SEOUL
from shared.contracts.recruitment import Consents

NOON = datetime(2025, 5, 12, 12, 0, tzinfo=SEOUL)
HONG = Recipient(
    "P-7F3A21", "홍길동", "01012345678", "hong@example.com", Consents(sms=True, email=True)
)


def planned(event: int, channel: Channel) -> Planned:
    notification = Notification.plan(
        source_event_id=f"event-{event}",
        source_event_type="recruitment.application.submitted",
        recipient=HONG,
        channel=channel,
        template=template("application_received"),
        now=NOON,
        quiet_hours=QuietHours(),
    )
    message = (
        SmsText("SMS", "접수", None) if channel == "sms" else EmailText("접수", "접수", "접수")
    )
    return Planned(notification, message, None, NOON, f"A-{event}", NOON)


def test_segments_hold_one_channel_each_at_most_their_size_in_the_order_planned() -> None:
    batch = [planned(event, channel) for event in range(7) for channel in ("sms", "email")]

    segments = segments_of(batch, size=3)

    assert [[p.notification.channel for p in s] for s in segments] == [
        ["sms"] * 3,
        ["sms"] * 3,
        ["sms"],
        ["email"] * 3,
        ["email"] * 3,
        ["email"],
    ]
    assert [p for s in segments for p in s if p.notification.channel == "sms"] == batch[::2]


def test_a_segment_id_tells_when_it_was_made_and_is_unique() -> None:
    ids = {new_segment_id(NOON) for _ in range(100)}

    assert len(ids) == 100
    assert {created_at(id_) for id_ in ids} == {NOON.astimezone(UTC)}
    assert created_at("not-a-segment") is None


def test_a_segment_is_due_as_planned_until_a_loop_gives_it_back_with_a_later_time() -> None:
    segment = Segment("s", "sms", NOON, 10)
    later = NOON + timedelta(minutes=10)

    assert due_at(segment, None) == NOON
    assert due_at(segment, Lease("s", 1, NOON + timedelta(seconds=30))) == NOON
    assert due_at(segment, Lease("s", 2, NOON, released=True, due_at=later)) == later


def revision(number: int, status: Status = Status.PENDING) -> Revision:
    return Revision(
        "n-1",
        number,
        status,
        attempts=number,
        due_at=NOON + timedelta(seconds=number),
        last_error=None if status is Status.SENT else f"HTTP 503 ({number})",
        finished_at=NOON if status is Status.SENT else None,
    )


def test_the_latest_revision_counts_whatever_order_they_are_read_in() -> None:
    revisions = [revision(1), revision(2), revision(3, Status.SENT)]

    for order in permutations(revisions):
        assert latest_revisions(order) == {"n-1": revisions[2]}


def test_a_revision_carries_the_state_an_attempt_left() -> None:
    sms = planned(1, "sms").notification
    sms.attempts, sms.last_error, sms.due_at = 2, "HTTP 503", NOON + timedelta(seconds=8)

    stored = Revision.of(sms, 3)
    fresh = planned(1, "sms").notification
    stored.apply_to(fresh)

    assert stored.number == 3
    assert fresh == sms
