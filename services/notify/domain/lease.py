"""Who works on a part of the outbox: the delivery loop holding its lease, for a limited time.

A lease is taken by inserting it, under the id `<key>#<generation>`: of the loops that try to
take the same generation, the unique index lets exactly one in. A loop that dies leaves its
lease to run out; the next loop then takes the next generation (`#n+1`), and again only one
can. A holder renews its lease the same way, before it runs out. A lease is given back by
inserting the next generation already released (a marker that holds nothing and says when
there is work again), so generations only ever grow: a late-running loop that lost its lease
can never give back someone else's. No lease is ever updated (docs/decisions/0003).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


def lease_id(key: str, generation: int) -> str:
    return f"{key}#{generation}"


@dataclass(frozen=True)
class Lease:
    key: str  # what is leased (an outbox segment)
    generation: int
    until: datetime
    released: bool = False
    due_at: datetime | None = None  # a released lease: when there is work again

    @property
    def lease_id(self) -> str:
        return lease_id(self.key, self.generation)

    def held_at(self, now: datetime) -> bool:
        return not self.released and self.until > now

    def renewed(self, now: datetime, duration: timedelta) -> "Lease":
        """The next generation, held by the same loop for `duration` more."""
        return Lease(self.key, self.generation + 1, now + duration)

    def release(self, now: datetime, due_at: datetime | None = None) -> "Lease":
        """The marker that gives this lease back: the next generation, holding nothing."""
        return Lease(self.key, self.generation + 1, now, released=True, due_at=due_at)


def current(leases: Iterable[Lease]) -> dict[str, Lease]:
    """Per key, its latest generation: the only one that counts."""
    latest: dict[str, Lease] = {}
    for lease in leases:
        known = latest.get(lease.key)
        if known is None or lease.generation > known.generation:
            latest[lease.key] = lease
    return latest


def next_lease(key: str, latest: Lease | None, now: datetime, duration: timedelta) -> Lease | None:
    """The lease to insert to work on `key` now; None while someone holds it."""
    if latest is None:
        return Lease(key, 1, now + duration)
    if latest.held_at(now):
        return None
    return Lease(key, latest.generation + 1, now + duration)


def takes_over(latest: Lease | None) -> bool:
    """Whether taking the next lease takes over from a loop that stopped working (its lease
    ran out unreleased): it may have sent some messages and not recorded them."""
    return latest is not None and not latest.released
