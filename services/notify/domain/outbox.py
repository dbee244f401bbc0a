"""The outbox: notifications whose work is not done, kept in segments.

Planning puts each batch's new notifications into segments of at most `SEGMENT_SIZE`, one
channel each. A segment is what a delivery loop leases, works through and, once every
notification in it is finished and its outcome published, removes whole: nothing in the
outbox is updated or deleted one notification at a time (docs/decisions/0003).

Within a segment, what happens to a notification is recorded by inserting revisions of its
state: revision 0 is the notification as planned, each attempt (or postponement) adds the
next, and the latest counts. A segment that still has work later is given back with the time
of that work (`Lease.release`), which then counts instead of the time it was planned for.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .channels import Channel
from .lease import Lease
from .notification import Notification, Planned, Status

# Large: creating and dropping a segment's collection is what costs (adapters/store.py).
SEGMENT_SIZE = 500
_STAMP = "%Y%m%dT%H%M%S%f"


@dataclass(frozen=True)
class Segment:
    segment_id: str
    channel: Channel
    due_at: datetime  # when its earliest notification was due when it was planned
    size: int


def new_segment_id(now: datetime, token: str | None = None) -> str:
    """An id that tells when the segment was made (`created_at`) and is unique."""
    return f"{now.astimezone(UTC).strftime(_STAMP)}-{token or secrets.token_hex(4)}"


def created_at(segment_id: str) -> datetime | None:
    try:
        return datetime.strptime(segment_id.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def segments_of(planned: Sequence[Planned], size: int = SEGMENT_SIZE) -> list[list[Planned]]:
    """Per channel, in the order planned, chunks of at most `size`."""
    by_channel: dict[Channel, list[Planned]] = {}
    for notification in planned:
        by_channel.setdefault(notification.notification.channel, []).append(notification)
    return [
        chunk[i : i + size] for chunk in by_channel.values() for i in range(0, len(chunk), size)
    ]


def due_at(segment: Segment, latest: Lease | None) -> datetime:
    """When the segment has work: as planned, or as the loop that last gave it back said."""
    if latest is not None and latest.released and latest.due_at is not None:
        return latest.due_at
    return segment.due_at


@dataclass(frozen=True)
class Revision:
    """A notification's state after an attempt or a postponement."""

    notification_id: str
    number: int
    status: Status
    attempts: int
    due_at: datetime
    last_error: str | None
    finished_at: datetime | None

    @classmethod
    def of(cls, notification: Notification, number: int) -> "Revision":
        return cls(
            notification.notification_id,
            number,
            notification.status,
            notification.attempts,
            notification.due_at,
            notification.last_error,
            notification.finished_at,
        )

    def apply_to(self, notification: Notification) -> None:
        notification.status = self.status
        notification.attempts = self.attempts
        notification.due_at = self.due_at
        notification.last_error = self.last_error
        notification.finished_at = self.finished_at


def latest_revisions(revisions: Iterable[Revision]) -> dict[str, Revision]:
    """Per notification, its latest revision, whatever order they are read in."""
    latest: dict[str, Revision] = {}
    for revision in revisions:
        known = latest.get(revision.notification_id)
        if known is None or revision.number > known.number:
            latest[revision.notification_id] = revision
    return latest


@dataclass
class SegmentState:
    """A segment as a delivery loop finds it: the notifications it owns, each in its latest
    state, and those the provider took (before a crash kept that from their state)."""

    owned: list[Planned]
    revision: dict[str, int]  # the latest revision of each owned notification
    taken: dict[str, datetime]

    @property
    def pending(self) -> list[Planned]:
        """Not finished: neither in a revision, nor taken by the provider."""
        return [
            p
            for p in self.owned
            if not p.notification.finished and p.notification_id not in self.taken
        ]
