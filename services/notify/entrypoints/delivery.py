"""The delivery loop: a background task that keeps each provider as busy as its rate limit
allows with what is due, and no busier.

- One claimer takes due outbox segments (`delivery.claim_due`) once a provider's queue holds
  less than about a second of its rate beside what is in flight, and puts their notifications
  in the provider's queue.
- `concurrency` senders per provider take from that queue, each waiting its turn at the
  provider's rate limit (`delivery.attempt`).
- One settler saves what they decided, whatever finished meanwhile at once
  (`delivery.settle`), gives back or removes each segment whose work is all settled
  (`delivery.resolve`), and renews the leases of segments still being worked on.
- Stopping, the loop hands its segments over (`delivery.hand_over`): the next loop takes them
  over at once, not after their leases ran out.
"""

import asyncio
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.log import correlated

from .. import delivery
from ..delivery import Done, SegmentClaim, Work
from ..domain.channels import Channel
from ..use_cases import Ports

log = logging.getLogger(__name__)

IDLE_POLL_MAX_SECONDS = 1.0
# Beside the sends in flight, each provider's queue holds this many seconds of its rate.
LOOKAHEAD_SECONDS = 1.0
# The settler waits this long after the first result, so that one bulk write saves several.
SETTLE_SECONDS = 0.05
SETTLE_MAX = 2000
# A segment whose planning stopped halfway (a crash) is listed after this long.
RECOVER_AFTER = timedelta(minutes=10)
RECOVER_EVERY_SECONDS = 60.0
# Stopping, the loop gives its segments to the next one within this (shared.service's grace).
HAND_OVER_SECONDS = 2.0


@dataclass
class Tracked:
    """A segment this loop holds: how much of its claimed work is not settled yet."""

    claim: SegmentClaim
    outstanding: int
    results: list[Done] = field(default_factory=list)


class DeliveryLoop:
    def __init__(self, ports: Ports, *, concurrency: int, poll_seconds: float) -> None:
        self.ports = ports
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.capacity: dict[Channel, int] = {
            channel: concurrency + math.ceil(provider.throttle.rate_per_s * LOOKAHEAD_SECONDS)
            for channel, provider in ports.providers.of.items()
        }
        self.queues: dict[Channel, asyncio.Queue[Work]] = {
            channel: asyncio.Queue() for channel in self.capacity
        }
        self.tracked: dict[str, Tracked] = {}  # segment id -> its claim
        self.held: dict[str, datetime] = {}  # due, but leased by another loop until then
        self.settling: asyncio.Queue[Done | None] = asyncio.Queue()  # None: a segment to resolve
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something is due now (just planned, or room freed): look at once rather than at
        the next poll."""
        self._wake.set()

    async def run(self) -> None:
        workers = [
            asyncio.create_task(self._send(queue))
            for queue in self.queues.values()
            for _ in range(self.concurrency)
        ]
        workers += [asyncio.create_task(self._settle()), asyncio.create_task(self._claim())]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            # At once, not after the workers wound down: a read or a send being cancelled
            # can take a while on a loaded database, and the next loop need not wait for it.
            await self._hand_over()
            await asyncio.gather(*workers, return_exceptions=True)

    async def _hand_over(self) -> None:
        """Stopping: the next loop takes over this one's segments at once, not after their
        leases ran out (within the service's shutdown grace)."""
        claims = [tracked.claim for tracked in self.tracked.values()]
        if not claims:
            return
        try:
            handed = await asyncio.wait_for(
                delivery.hand_over(self.ports, claims), HAND_OVER_SECONDS
            )
        except Exception:
            log.exception("could not hand the segments over; they wait for their leases to end")
            return
        log.info("stopping: segments handed over to the next loop", extra={"segments": handed})

    # -- claiming ------------------------------------------------------------------------
    async def _claim(self) -> None:
        idle = self.poll_seconds
        loop = asyncio.get_running_loop()
        recover_at = loop.time() + RECOVER_EVERY_SECONDS
        while True:
            self._wake.clear()  # a wake from now on is news to the claim below or the wait
            if loop.time() >= recover_at:
                recover_at = loop.time() + RECOVER_EVERY_SECONDS
                await self._recover()
            room = self._room()
            if room:
                try:
                    claimed = await delivery.claim_due(self.ports, room, self._excluded())
                except Exception:
                    log.exception("could not claim due notifications; retrying")
                    await asyncio.sleep(1.0)
                    continue
                self.held.update(claimed.held)
                for claim in claimed.segments:
                    self._track(claim)
                if claimed.segments:
                    idle = self.poll_seconds
                    continue  # there may be more: look again while there is room
            # Look less often while nothing is due, at once when something is planned.
            try:
                await asyncio.wait_for(self._wake.wait(), idle)
                idle = self.poll_seconds
            except TimeoutError:
                idle = min(2 * idle, max(self.poll_seconds, IDLE_POLL_MAX_SECONDS))

    def _track(self, claim: SegmentClaim) -> None:
        self.tracked[claim.segment_id] = Tracked(claim, len(claim.work))
        for work in claim.work:
            self.queues[work.channel].put_nowait(work)
        if not claim.work:
            self.settling.put_nowait(None)  # nothing due after all: give it back

    def _room(self) -> dict[Channel, int]:
        """Per provider with room for at least a quarter of its queue, how much."""
        busy = dict.fromkeys(self.capacity, 0)
        for tracked in self.tracked.values():
            busy[tracked.claim.segment.channel] += tracked.outstanding
        return {
            channel: size - busy[channel]
            for channel, size in self.capacity.items()
            if size - busy[channel] >= max(1, size // 4)
        }

    def _excluded(self) -> set[str]:
        now = self.ports.clock()
        self.held = {id_: until for id_, until in self.held.items() if until > now}
        return set(self.tracked) | set(self.held)

    async def _recover(self) -> None:
        try:
            listed = await self.ports.store.recover_segments(self.ports.clock() - RECOVER_AFTER)
        except Exception:
            log.exception("could not look for segments whose planning stopped halfway")
            return
        if listed:
            log.warning(
                "listed outbox segments whose planning stopped halfway", extra={"segments": listed}
            )

    # -- sending -------------------------------------------------------------------------
    async def _send(self, queue: asyncio.Queue[Work]) -> None:
        while True:
            work = await queue.get()
            with correlated(work.planned.correlation_id):
                try:
                    done = await delivery.attempt(self.ports, work)
                except Exception:
                    log.exception(
                        "delivery failed unexpectedly; tried again later",
                        extra={"notification": work.notification_id},
                    )
                    done = delivery.broke(self.ports, work)
            self.settling.put_nowait(done)

    # -- settling ------------------------------------------------------------------------
    async def _settle(self) -> None:
        renew_every = self.ports.lease.total_seconds() / 6
        while True:
            try:
                first = await asyncio.wait_for(self.settling.get(), renew_every)
            except TimeoutError:
                await self._renew()
                continue
            await asyncio.sleep(SETTLE_SECONDS)
            batch = [first]
            while not self.settling.empty() and len(batch) < SETTLE_MAX:
                batch.append(self.settling.get_nowait())
            done = [d for d in batch if d is not None]
            try:
                await delivery.settle(self.ports, done)
            except Exception:
                log.exception(
                    "could not save what deliveries decided; their segments are taken up "
                    "again once their leases run out",
                    extra={"notifications": len(done)},
                )
                for segment_id in {d.work.segment_id for d in done}:
                    self._let_go(segment_id)
            else:
                for d in done:
                    tracked = self.tracked.get(d.work.segment_id)
                    if tracked is not None:
                        tracked.results.append(d)
                        tracked.outstanding -= 1
                await self._resolve()
            await self._renew()
            self.wake()

    async def _resolve(self) -> None:
        for segment_id, tracked in list(self.tracked.items()):
            if tracked.outstanding > 0:
                continue
            try:
                await delivery.resolve(self.ports, tracked.claim, tracked.results)
            except Exception:
                log.exception(
                    "could not give back a segment; taken up again once its lease runs out",
                    extra={"segment": segment_id},
                )
                self._let_go(segment_id)
            else:
                del self.tracked[segment_id]

    async def _renew(self) -> None:
        """Renew the leases that have used up a third of their time."""
        now, lease = self.ports.clock(), self.ports.lease
        for segment_id, tracked in list(self.tracked.items()):
            if tracked.claim.lease.until - now > lease * 2 / 3:
                continue
            try:
                renewed = await delivery.renew(self.ports, tracked.claim)
            except Exception:
                log.exception("could not renew a lease", extra={"segment": segment_id})
                continue
            if not renewed:
                self._let_go(segment_id)

    def _let_go(self, segment_id: str) -> None:
        tracked = self.tracked.pop(segment_id, None)
        if tracked is not None:
            self.held[segment_id] = tracked.claim.lease.until
