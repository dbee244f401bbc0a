"""Delivering what is due, a segment of the outbox at a time (`domain/outbox.py`), in the
steps the delivery loop (`entrypoints/delivery.py`) drives:

1. `claim_due`: one read of the outbox for due segments, their leases taken with one bulk
   insert, each claimed segment read back whole (two small reads).
2. `attempt`: one notification to its provider, under that provider's circuit breaker and rate
   limit; many run concurrently. The provider taking the message is recorded at once.
3. `settle`: what attempts decided, saved in bulk: numbers refused for good remembered,
   fallback e-mails planned, new revisions and outcomes inserted, outcomes published.
4. `resolve`: once a claimed segment's work is settled, it goes whole if every notification in
   it is finished, else it is given back with the time of its next work.

A crash anywhere repeats only work in flight: the segment's lease runs out, another loop (or
this one, restarted) takes it over, and what the provider took before the crash is recorded
as sent rather than sent again; what it took in the instant before being recorded goes out
again with the same message id (the SMS gateway drops it; an e-mail may arrive twice with the
same Message-ID).
"""

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shared.contracts.notify import NotificationFailed, NotificationSent
from shared.envelope import derive_event_id
from shared.kafka import Outgoing
from shared.log import correlated
from shared.topics import Topic

from .domain.channels import Channel
from .domain.lease import Lease, next_lease, takes_over
from .domain.notification import Planned, Status
from .domain.outbox import Revision, Segment, due_at
from .domain.retry import Verdict
from .use_cases import Ports, fall_back

log = logging.getLogger(__name__)


@dataclass
class Work:
    """A notification of a segment this loop holds the lease of."""

    planned: Planned
    segment_id: str
    revision: int  # its latest revision: what this loop decides is the next
    delivered_at: datetime | None  # the provider took it before a crash kept that from its state

    @property
    def notification_id(self) -> str:
        return self.planned.notification_id

    @property
    def channel(self) -> Channel:
        return self.planned.notification.channel


@dataclass
class SegmentClaim:
    segment: Segment
    lease: Lease
    work: list[Work]  # to attempt, to record as sent, or to report
    later: list[Planned]  # not due yet

    @property
    def segment_id(self) -> str:
        return self.segment.segment_id


@dataclass(frozen=True)
class Claimed:
    segments: list[SegmentClaim]
    held: dict[str, datetime]  # due, but another loop holds it until then


class Did(StrEnum):
    NOTHING = "nothing"  # not due after all
    POSTPONED = "postponed"  # its provider's breaker is open, or the attempt broke: no attempt
    ATTEMPTED = "attempted"
    RECORDED = "recorded"  # sent before a crash, before its state was saved
    REPORT = "report"  # finished before: only publishing its outcome is left


@dataclass(frozen=True)
class Done:
    work: Work
    did: Did
    verdict: Verdict | None = None


async def claim_due(
    ports: Ports, room: Mapping[Channel, int], exclude: Collection[str] = ()
) -> Claimed:
    """Due segments with about `room[channel]` notifications per channel, but those in
    `exclude` (the caller works on them already, or knows them held)."""
    now = ports.clock()
    candidates = [
        segment
        for channel, size in room.items()
        if size > 0
        for segment in await ports.store.due_segments(channel, now)
        if segment.segment_id not in exclude
    ]
    if not candidates:
        return Claimed([], {})
    latest = await ports.store.current_leases([s.segment_id for s in candidates])
    held: dict[str, datetime] = {}
    wanted: list[tuple[Segment, Lease]] = []
    budget = dict(room)
    for segment in sorted(candidates, key=lambda s: due_at(s, latest.get(s.segment_id))):
        known = latest.get(segment.segment_id)
        if due_at(segment, known) > now or budget[segment.channel] <= 0:
            continue
        lease = next_lease(segment.segment_id, known, now, ports.lease)
        if lease is None:
            assert known is not None
            held[segment.segment_id] = known.until
            continue
        wanted.append((segment, lease))
        budget[segment.channel] -= segment.size
    leases = await ports.store.take_leases([lease for _, lease in wanted])
    taken = {lease.lease_id for lease in leases}
    claims = [
        await _read(ports, segment, lease, takes_over(latest.get(segment.segment_id)), now)
        for segment, lease in wanted
        if lease.lease_id in taken
    ]
    return Claimed(claims, held)


async def _read(
    ports: Ports, segment: Segment, lease: Lease, taken_over: bool, now: datetime
) -> SegmentClaim:
    state = await ports.store.segment(segment.segment_id)
    claim = SegmentClaim(segment, lease, [], [])
    for planned in state.owned:
        notification = planned.notification
        work = Work(
            planned,
            segment.segment_id,
            state.revision[planned.notification_id],
            state.taken.get(planned.notification_id),
        )
        taken = work.delivered_at is not None
        if not taken_over and (taken or (notification.finished and work.revision > 0)):
            # Finished by the loop that gave the segment back, and reported (a sent message
            # is known by its `taken` mark alone).
            continue
        if notification.finished:
            # To report: failed as planned (a template error), or finished by a loop that
            # stopped, maybe before it published the outcome.
            claim.work.append(work)
            continue
        if notification.due_at > now and not taken:
            claim.later.append(planned)
            continue
        if taken_over:
            with correlated(planned.correlation_id):
                log.warning(
                    "a delivery loop stopped while working on a notification; taking it over",
                    extra={"notification": planned.notification_id, "segment": segment.segment_id},
                )
        claim.work.append(work)
    return claim


async def hand_over(ports: Ports, claims: Sequence[SegmentClaim]) -> int:
    """The loop stops (a deploy, a scale-in): the leases of its segments end now, given back
    unreleased, so that the next loop takes them over at once, as it would after a crash (what
    the provider took is recorded, not sent again), rather than once their time has run out.
    How many went to the next loop."""
    now = ports.clock()
    ended = await ports.store.take_leases(
        [claim.lease.renewed(now, timedelta(0)) for claim in claims]
    )
    return len(ended)


async def renew(ports: Ports, claim: SegmentClaim) -> bool:
    """Hold the segment longer; False when another loop took it over meanwhile."""
    renewed = claim.lease.renewed(ports.clock(), ports.lease)
    if not await ports.store.take_leases([renewed]):
        log.warning(
            "the lease on a segment ran out before it was renewed; another loop has it",
            extra={"segment": claim.segment_id},
        )
        return False
    claim.lease = renewed
    return True


async def attempt(ports: Ports, work: Work) -> Done:
    """Hand one notification to its provider, if it is due and the provider may be called."""
    notification = work.planned.notification
    if notification.finished:
        # Failed at once (a template error), or finished by a loop that stopped before its
        # outcome was published: only the report is left.
        return Done(work, Did.REPORT)
    if work.delivered_at is not None:
        log.warning(
            "sent just before a crash, before its state was saved: recorded, not sent again",
            extra={"notification": notification.notification_id},
        )
        _record(ports, work, Verdict.DELIVERED, work.delivered_at, None)
        return Done(work, Did.RECORDED, Verdict.DELIVERED)
    now = ports.clock()
    if notification.due_at > now:
        return Done(work, Did.NOTHING)
    providers = ports.providers
    provider = providers.of[notification.channel]
    tick = providers.monotonic()
    if not provider.breaker.allows(tick):
        wait = timedelta(seconds=provider.breaker.retry_in(tick))
        notification.postpone(now + wait, ports.quiet_hours)
        return Done(work, Did.POSTPONED)
    await provider.throttle.take()

    async def accepted() -> None:
        await ports.store.record_taken(work.segment_id, notification.notification_id, ports.clock())

    verdict, detail = await providers.send(work.planned, accepted)
    provider.breaker.record(verdict, providers.monotonic())
    ports.metrics.attempts.labels(notification.channel, verdict.value).inc()
    _record(ports, work, verdict, ports.clock(), detail or None)
    return Done(work, Did.ATTEMPTED, verdict)


def broke(ports: Ports, work: Work) -> Done:
    """An attempt that failed unexpectedly (not the provider's answer): tried again once a
    lease's time has passed, without spending an attempt."""
    work.planned.notification.postpone(ports.clock() + ports.lease, ports.quiet_hours)
    return Done(work, Did.POSTPONED)


def _record(ports: Ports, work: Work, verdict: Verdict, at: datetime, error: str | None) -> None:
    work.planned.notification.record_attempt(
        verdict,
        at,
        error=error,
        retry_policy=ports.retry_policy,
        quiet_hours=ports.quiet_hours,
        rng=ports.rng,
    )


async def settle(ports: Ports, done: Sequence[Done]) -> None:
    """Save what the attempts decided and publish the outcomes of those finished, a few bulk
    writes for all."""
    now = ports.clock()
    finished = [d for d in done if d.work.planned.notification.finished]
    failed_sms = [
        d
        for d in finished
        if d.did is Did.ATTEMPTED
        and d.work.planned.notification.status is Status.FAILED
        and d.work.channel == "sms"
    ]
    # Before the failures are saved: a crash in between repeats all of it, idempotently.
    await ports.store.mark_undeliverable(
        [
            (d.work.planned.notification.applicant_id, d.work.planned.notification.recipient)
            for d in failed_sms
            if d.verdict is Verdict.PERMANENT
        ],
        now,
    )
    await fall_back(ports, [d.work.planned for d in failed_sms])
    revisions: dict[str, list[Revision]] = {}
    for d in done:
        if _revised(d):
            revision = Revision.of(d.work.planned.notification, d.work.revision + 1)
            revisions.setdefault(d.work.segment_id, []).append(revision)
    await ports.store.add_revisions(revisions)
    if not finished:
        return
    await ports.store.record_outcomes([d.work.planned.notification for d in finished])
    await report(ports, [d.work.planned for d in finished])
    for d in finished:
        if d.did is Did.ATTEMPTED or d.did is Did.RECORDED:
            _count(ports, d.work.planned, now)


def _revised(done: Done) -> bool:
    """Whether the notification's state is saved as a new revision: after an attempt or a
    postponement, and once its outcome is reported (which the revision then says); not for a
    sent message, which its `taken` mark says is sent."""
    if done.did is Did.NOTHING or done.did is Did.RECORDED:
        return False
    return done.work.planned.notification.status is not Status.SENT


async def resolve(ports: Ports, claim: SegmentClaim, results: Sequence[Done]) -> None:
    """All the work claimed with the segment is settled: the segment goes if every
    notification in it is finished (and reported), else it is given back with the time of
    its next work."""
    pending = [p.notification.due_at for p in claim.later] + [
        d.work.planned.notification.due_at
        for d in results
        if not d.work.planned.notification.finished
    ]
    if pending:
        await ports.store.release_leases([claim.lease.release(ports.clock(), min(pending))])
    else:
        await ports.store.complete(claim.segment_id)


def _count(ports: Ports, planned: Planned, now: datetime) -> None:
    notification = planned.notification
    if notification.status is Status.SENT:
        ports.metrics.sent.labels(notification.channel, notification.template).inc()
        if planned.source_occurred_at is not None:
            latency = (now - planned.source_occurred_at).total_seconds()
            ports.metrics.latency.labels(notification.channel).observe(max(latency, 0.0))
    else:
        ports.metrics.failed.labels(notification.channel, notification.template).inc()


async def report(ports: Ports, finished: Sequence[Planned]) -> None:
    """Publish each outcome on notify.notification.sent or .failed. Event ids derive from the
    notification: reporting twice publishes the same events, which consumers drop."""
    sent: list[Outgoing[NotificationSent]] = []
    failed: list[Outgoing[NotificationFailed]] = []
    for planned in finished:
        notification = planned.notification
        assert notification.finished_at is not None  # finished
        common = {
            "notification_id": notification.notification_id,
            "source_event_id": notification.source_event_id,
            "source_event_type": notification.source_event_type,
            "applicant_id": notification.applicant_id,
            "channel": notification.channel,
            "template": notification.template,
            "recipient_masked": notification.recipient_masked,
            "attempts": notification.attempts,
        }
        if notification.status is Status.SENT:
            topic = Topic.NOTIFICATION_SENT
            sent.append(
                Outgoing(
                    NotificationSent.model_validate(
                        common
                        | {
                            "message_kind": planned.message_kind,
                            "sent_at": notification.finished_at,
                        }
                    ),
                    key=notification.notification_id,
                    event_id=derive_event_id(notification.notification_id, topic),
                    correlation_id=planned.correlation_id,
                    causation_id=notification.source_event_id,
                )
            )
        else:
            topic = Topic.NOTIFICATION_FAILED
            failed.append(
                Outgoing(
                    NotificationFailed.model_validate(
                        common
                        | {
                            "error": notification.last_error or "unknown",
                            "failed_at": notification.finished_at,
                        }
                    ),
                    key=notification.notification_id,
                    event_id=derive_event_id(notification.notification_id, topic),
                    correlation_id=planned.correlation_id,
                    causation_id=notification.source_event_id,
                )
            )
    await ports.notification_sent.publish(*sent)
    await ports.notification_failed.publish(*failed)
