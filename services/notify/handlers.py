"""Entry points of the notify service: citizen events in, notifications planned; the delivery
loop that sends them; and the HTTP history and template preview.

Handling an event only plans notifications (one per consented channel) and stores them: it
never waits on a provider, so a slow SMS gateway cannot hold up the partition behind it. The
delivery loop sends what is due, with retries, quiet hours, a circuit breaker and a rate limit
per provider.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException
from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.contracts.notify import NotificationFailed, NotificationSent
from shared.contracts.recruitment import ApplicationSubmitted, Consents
from shared.envelope import Envelope, derive_event_id, new_envelope
from shared.kafka import EventPublisher
from shared.log import correlated
from shared.topics import Topic, dead_letter_topic

from .domain.catalog import template, template_context
from .domain.channels import Channel
from .domain.circuit_breaker import CircuitBreaker
from .domain.message import EmailText, TemplateError
from .domain.notification import Notification, Recipient, Status, email_message_id
from .domain.quiet_hours import QuietHours
from .domain.rate_limit import TokenBucket
from .domain.retry import RetryPolicy, Verdict
from .domain.routing import route_for
from .rendering import TemplateLibrary
from .senders import Accepted, DeliveryOutcome, EmailContent, SmsGateway, SmsMessage, SmtpSender
from .store import NotifyStore

log = logging.getLogger(__name__)
PRODUCER = "notify"
IDLE_POLL_MAX_SECONDS = 1.0
Clock = Callable[[], datetime]


class NotifyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter(
            "ilteo_notifications_sent",
            "Notifications delivered to a provider",
            ["channel", "template"],
            registry=registry,
        )
        self.failed = Counter(
            "ilteo_notifications_failed",
            "Notifications given up on",
            ["channel", "template"],
            registry=registry,
        )
        self.deferred = Counter(
            "ilteo_notifications_deferred",
            "Notifications held back by quiet hours",
            ["template"],
            registry=registry,
        )
        self.attempts = Counter(
            "ilteo_notification_attempts",
            "Delivery attempts by outcome",
            ["channel", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "ilteo_notification_delivery_latency_seconds",
            "From the event's occurred_at to the provider accepting the message",
            ["channel"],
            registry=registry,
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 43200),
        )


class Providers:
    """Each provider with its own breaker and rate limit: one being down stalls only itself."""

    def __init__(
        self,
        sms: SmsGateway,
        smtp: SmtpSender,
        sms_rate: float,
        email_rate: float,
        *,
        breaker_failure_threshold: int = 5,
        breaker_cool_down_seconds: float = 30.0,
    ) -> None:
        self.sms, self.smtp = sms, smtp
        self.breakers = {
            channel: CircuitBreaker(breaker_failure_threshold, breaker_cool_down_seconds)
            for channel in ("sms", "email")
        }
        self.buckets = {
            "sms": TokenBucket(rate_per_s=sms_rate, burst=max(1, int(sms_rate))),
            "email": TokenBucket(rate_per_s=email_rate, burst=max(1, int(email_rate))),
        }

    async def send(self, document: dict[str, Any], accepted: Accepted) -> DeliveryOutcome:
        if document["channel"] == "sms":
            return await self.sms.send(
                SmsMessage(
                    message_id=document["_id"],
                    to=document["recipient"],
                    kind=document["kind"],
                    text=document["text"],
                    subject=document.get("subject"),
                ),
                accepted,
            )
        return await self.smtp.send(
            EmailContent(
                message_id=email_message_id(document["_id"]),
                to=document["recipient"],
                subject=document["subject"],
                text=document["text"],
                html=document["html"],
            ),
            accepted,
        )


class NotifyHandlers:
    def __init__(
        self,
        store: NotifyStore,
        library: TemplateLibrary,
        quiet_hours: QuietHours,
        metrics: NotifyMetrics,
        clock: Clock,
        on_due: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.library = library
        self.quiet_hours = quiet_hours
        self.metrics = metrics
        self.clock = clock
        self.on_due = on_due  # a notification is due now: the delivery loop need not poll

    async def application_submitted(self, event: Envelope[ApplicationSubmitted]) -> None:
        recipient = Recipient.from_application(event.data)
        contact = await self.store.save_contact(
            recipient.applicant_id,
            asdict(recipient) | {"consents": recipient.consents.model_dump()},
            event.data.submitted_at,
        )
        recipient = recipient.reachable(contact["undeliverable_phones"])
        await self.plan(event, recipient)
        # Events about this citizen that overtook their application can go out now.
        for parked in await self.store.parked_for(recipient.applicant_id):
            route = route_for(parked["event_type"])
            if route is not None:
                earlier = Envelope[route.payload].model_validate_json(parked["event"])  # type: ignore[name-defined]
                await self.plan(earlier, recipient)
            await self.store.unpark(parked["_id"])

    async def citizen_event(self, event: Envelope[Any]) -> None:
        applicant_id = event.data.applicant_id
        contact = await self.store.contact_of(applicant_id)
        if contact is None:
            # Only an application carries the contact; this event came first. Kept until it does.
            await self.store.park(
                event.event_id, applicant_id, event.event_type, event.model_dump_json()
            )
            return
        await self.plan(event, _recipient(contact))

    async def plan(self, event: Envelope[Any], recipient: Recipient) -> None:
        route = route_for(event.event_type)
        if route is None:
            return
        name = route.template_for(event.data.model_dump())
        context = template_context(event.data, recipient.name)
        channels = recipient.channels()
        for channel in channels:
            # An SMS without an e-mail beside it keeps the e-mail text: should the number
            # turn out dead, the citizen may be told by e-mail instead (Delivery.fall_back).
            keep_email = channel == "sms" and "email" not in channels
            await self._plan_channel(event, recipient, channel, name, context, keep_email)

    async def _plan_channel(
        self,
        event: Envelope[Any],
        recipient: Recipient,
        channel: Channel,
        name: str,
        context: dict[str, Any],
        keep_email: bool,
    ) -> None:
        now = self.clock()
        notification = Notification.plan(
            source_event_id=event.event_id,
            source_event_type=event.event_type,
            recipient=recipient,
            channel=channel,
            template=template(name),
            now=now,
            quiet_hours=self.quiet_hours,
        )
        content: dict[str, Any] = {}
        try:
            if channel == "sms":
                sms = self.library.render_sms(name, context)
                content = {"kind": sms.kind, "text": sms.text, "subject": sms.subject}
            else:
                content = _email_content(self.library.render_email(name, context))
        except TemplateError as error:
            # A message that cannot be written is not retried.
            notification.fail(f"template: {error}", now)
        if keep_email:
            with contextlib.suppress(TemplateError):
                content["fallback_email"] = _email_content(self.library.render_email(name, context))
        document = _document(
            notification,
            source_occurred_at=event.occurred_at,
            correlation_id=event.correlation_id,
            now=now,
            content=content,
        )
        if not await self.store.add_notification(document):
            return  # planned before: a redelivered event
        if notification.due_at > now:
            self.metrics.deferred.labels(name).inc()
        else:
            self.on_due()


def _email_content(mail: EmailText) -> dict[str, Any]:
    return {"kind": "EMAIL", "subject": mail.subject, "text": mail.text, "html": mail.html}


def _document(
    notification: Notification,
    *,
    source_occurred_at: datetime | None,
    correlation_id: str | None,
    now: datetime,
    content: dict[str, Any],
) -> dict[str, Any]:
    """A new notification as stored: its state, where it came from, and what it says."""
    return {
        "_id": notification.notification_id,
        **_state(notification),
        "source_event_type": notification.source_event_type,
        "source_occurred_at": source_occurred_at,
        "correlation_id": correlation_id,
        "recipient": notification.recipient,
        "recipient_masked": notification.recipient_masked,
        "urgent": notification.urgent,
        "created_at": now,
        **content,
    }


def _state(notification: Notification) -> dict[str, Any]:
    """The fields an attempt changes, as stored."""
    return {
        "notification_id": notification.notification_id,
        "source_event_id": notification.source_event_id,
        "applicant_id": notification.applicant_id,
        "channel": notification.channel,
        "template": notification.template,
        "status": notification.status.value,
        "attempts": notification.attempts,
        "due_at": notification.due_at,
        "last_error": notification.last_error,
        "finished_at": notification.finished_at,
    }


def _notification(document: dict[str, Any]) -> Notification:
    return Notification(
        notification_id=document["_id"],
        source_event_id=document["source_event_id"],
        source_event_type=document["source_event_type"],
        applicant_id=document["applicant_id"],
        channel=document["channel"],
        template=document["template"],
        recipient=document["recipient"],
        urgent=document["urgent"],
        due_at=document["due_at"],
        status=Status(document["status"]),
        attempts=document["attempts"],
        last_error=document["last_error"],
        finished_at=document["finished_at"],
    )


def _recipient(contact: dict[str, Any]) -> Recipient:
    return Recipient(
        applicant_id=contact["applicant_id"],
        name=contact["name"],
        phone=contact["phone"],
        email=contact["email"],
        consents=Consents.model_validate(contact["consents"]),
    ).reachable(contact["undeliverable_phones"])


class Delivery:
    """Sends due notifications, a few at a time, until cancelled."""

    def __init__(
        self,
        store: NotifyStore,
        providers: Providers,
        publish_sent: EventPublisher,
        publish_failed: EventPublisher,
        dead_letter: Callable[[bytes, str, dict[str, str]], Any],
        *,
        quiet_hours: QuietHours,
        retry_policy: RetryPolicy,
        metrics: NotifyMetrics,
        clock: Clock,
        concurrency: int,
        lease: timedelta,
        poll_seconds: float,
    ) -> None:
        self.store = store
        self.providers = providers
        self.publish_sent = publish_sent
        self.publish_failed = publish_failed
        self.dead_letter = dead_letter
        self.quiet_hours = quiet_hours
        self.retry_policy = retry_policy
        self.metrics = metrics
        self.clock = clock
        self.concurrency = concurrency
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.rng = random.Random()
        self.working: dict[str, asyncio.Task[None]] = {}  # notification id -> its delivery
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something is due now (just planned): look at once rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        claimed: deque[dict[str, Any]] = deque()
        idle = self.poll_seconds
        while True:
            await slots.acquire()
            if not claimed:
                self._wake.clear()
                try:
                    claimed.extend(await self.claim_due())
                except Exception:
                    slots.release()
                    log.exception("could not read due notifications; retrying")
                    await asyncio.sleep(1.0)
                    continue
            if not claimed:
                slots.release()
                # Each look is a scan of the outbox, long on a night of deferred messages:
                # look less often while nothing is due, at once when something is planned.
                try:
                    await asyncio.wait_for(self._wake.wait(), idle)
                    idle = self.poll_seconds
                except TimeoutError:
                    idle = min(2 * idle, max(self.poll_seconds, IDLE_POLL_MAX_SECONDS))
                continue
            idle = self.poll_seconds
            document = claimed.popleft()
            task = asyncio.create_task(self._deliver_safely(document))
            self.working[document["_id"]] = task

            def finished(task: asyncio.Task[None], notification_id: str = document["_id"]) -> None:
                self.working.pop(notification_id, None)
                slots.release()

            task.add_done_callback(finished)

    async def claim_due(self) -> list[dict[str, Any]]:
        """As many due notifications as can be worked on at once: one scan, then a lease on
        each (together, since each is a round trip of its own)."""
        now = self.clock()
        due = await self.store.due(now, self.concurrency, exclude=self.working.keys())
        claims = await asyncio.gather(*(self.store.claim(id_, now, self.lease) for id_ in due))
        return [document for document in claims if document is not None]

    async def _deliver_safely(self, document: dict[str, Any]) -> None:
        with correlated(document.get("correlation_id")):
            try:
                await self.deliver(document)
            except Exception:
                # The lease runs out and the notification is taken up again: nothing is lost.
                log.exception(
                    "delivery failed unexpectedly", extra={"notification": document["_id"]}
                )

    async def deliver(self, document: dict[str, Any]) -> None:
        notification = _notification(document)
        if notification.finished:
            # Failed at once (a template error), or finished before a crash that came before
            # its outcome was published: only the bookkeeping and the report are left.
            await self.store.save_state(_state(notification))
            await self.report(document)
            return
        channel = notification.channel
        breaker = self.providers.breakers[channel]
        now, tick = self.clock(), time.monotonic()
        delivered_at = await self.store.delivered_at(notification.notification_id)
        if delivered_at is not None:
            log.warning(
                "sent just before a crash, before its state was saved: recorded, not sent again",
                extra={"notification": notification.notification_id},
            )
            await self.finish(document, notification, Verdict.DELIVERED, delivered_at, None)
            return
        if notification.due_at > now:  # rescheduled, but a crash kept it from the outbox
            await self.store.save_state(_state(notification))
            return
        if not breaker.allows(tick):
            notification.postpone(now + timedelta(seconds=breaker.retry_in(tick)), self.quiet_hours)
            await self.store.save_state(_state(notification))
            return
        wait = self.providers.buckets[channel].try_take(tick)
        if wait > 0:
            notification.postpone(now + timedelta(seconds=wait), self.quiet_hours)
            await self.store.save_state(_state(notification))
            return

        async def accepted() -> None:
            await self.store.record_delivered(notification.notification_id, self.clock())

        outcome = await self.providers.send(document, accepted)
        verdict = Verdict(outcome.outcome)
        breaker.record(verdict, time.monotonic())
        self.metrics.attempts.labels(channel, verdict.value).inc()
        await self.finish(document, notification, verdict, self.clock(), outcome.detail or None)

    async def finish(
        self,
        document: dict[str, Any],
        notification: Notification,
        verdict: Verdict,
        now: datetime,
        error: str | None,
    ) -> None:
        """Record an attempt's verdict, and publish the outcome once there is one."""
        channel = notification.channel
        notification.record_attempt(
            verdict,
            now,
            error=error,
            retry_policy=self.retry_policy,
            quiet_hours=self.quiet_hours,
            rng=self.rng,
        )
        if notification.status is Status.FAILED and channel == "sms":
            # Before the failure is saved: a crash in between repeats all of it, idempotently.
            if verdict is Verdict.PERMANENT:
                await self.store.mark_phone_undeliverable(
                    notification.applicant_id, notification.recipient
                )
            await self.fall_back(document, notification)
        await self.store.save_state(_state(notification))
        if notification.status is Status.PENDING:
            return
        if notification.status is Status.SENT:
            self.metrics.sent.labels(channel, notification.template).inc()
            occurred = document.get("source_occurred_at")
            if occurred is not None:
                latency = (self.clock() - occurred).total_seconds()
                self.metrics.latency.labels(channel).observe(max(latency, 0.0))
        else:
            self.metrics.failed.labels(channel, notification.template).inc()
        await self.report(document | _state(notification))

    async def fall_back(self, document: dict[str, Any], failed: Notification) -> None:
        """An SMS failed for good: plan the e-mail with the same content, if the citizen
        consented to e-mail, we know their address now, and no e-mail is planned for that
        event (then they get that one). The e-mail text was kept when the SMS was planned."""
        content = document.get("fallback_email")
        if content is None:
            return
        contact = await self.store.contact_of(failed.applicant_id)
        if contact is None:
            return
        now = self.clock()
        email = failed.fallback(
            _recipient(contact),
            # The e-mail text is kept only when no e-mail was planned beside the SMS.
            ["sms"],
            template(failed.template),
            now,
            self.quiet_hours,
        )
        if email is None:
            return
        planned = _document(
            email,
            source_occurred_at=document.get("source_occurred_at"),
            correlation_id=document.get("correlation_id"),
            now=now,
            content=content,
        )
        if await self.store.add_notification(planned):
            log.info(
                "SMS failed for good; the citizen is told by e-mail instead",
                extra={"notification": failed.notification_id, "fallback": email.notification_id},
            )

    async def report(self, document: dict[str, Any]) -> None:
        """Publish the outcome (and dead-letter a failure), then remember it was reported.
        Ids derive from the notification: reporting twice publishes the same events."""
        common = {
            "notification_id": document["_id"],
            "source_event_id": document["source_event_id"],
            "source_event_type": document["source_event_type"],
            "applicant_id": document["applicant_id"],
            "channel": document["channel"],
            "template": document["template"],
            "recipient_masked": document["recipient_masked"],
            "attempts": document["attempts"],
        }
        correlation = document.get("correlation_id") or document["applicant_id"]
        if document["status"] == Status.SENT:
            sent = NotificationSent(
                **common, message_kind=document["kind"], sent_at=document["finished_at"]
            )
            await self.publish_sent.publish(
                new_envelope(
                    sent,
                    event_type=Topic.NOTIFICATION_SENT,
                    producer=PRODUCER,
                    correlation_id=correlation,
                    causation_id=document["source_event_id"],
                    event_id=derive_event_id(document["_id"], Topic.NOTIFICATION_SENT),
                ),
                key=document["_id"],
            )
        else:
            failed = NotificationFailed(
                **common,
                error=document.get("last_error") or "unknown",
                failed_at=document["finished_at"],
            )
            envelope = new_envelope(
                failed,
                event_type=Topic.NOTIFICATION_FAILED,
                producer=PRODUCER,
                correlation_id=correlation,
                causation_id=document["source_event_id"],
                event_id=derive_event_id(document["_id"], Topic.NOTIFICATION_FAILED),
            )
            await self.publish_failed.publish(envelope, key=document["_id"])
            await self.dead_letter(
                envelope.model_dump_json().encode(),
                dead_letter_topic(document["source_event_type"]),
                {
                    "dlq.reason": "delivery_failed",
                    "dlq.error": failed.error[:500],
                    "dlq.source.topic": document["source_event_type"],
                },
            )
        await self.store.mark_reported(document["_id"])


def http_routes(store: NotifyStore, library: TemplateLibrary) -> APIRouter:
    router = APIRouter()

    @router.get("/citizens/{applicant_id}/notifications", tags=["citizens"])
    async def history(applicant_id: str) -> dict[str, Any]:
        """Every notification to a citizen, with delivery status; contacts masked."""
        notifications = [
            {k: v for k, v in doc.items() if k != "_id"}
            for doc in await store.history_of(applicant_id)
        ]
        return {"applicant_id": applicant_id, "notifications": notifications}

    @router.get("/templates", tags=["operators"])
    async def templates() -> list[dict[str, Any]]:
        return [
            {"name": t.name, "urgent": t.urgent, "lms_subject": t.lms_subject}
            for t in library.catalog.values()
        ]

    @router.get("/templates/{name}/preview", tags=["operators"])
    async def preview(name: str) -> dict[str, Any]:
        """Render a template with its sample data: the SMS/LMS text and both e-mail parts."""
        try:
            rendered = library.preview(name)
        except KeyError as error:
            raise HTTPException(404, [{"field": "name", "problem": "no such template"}]) from error
        sms = rendered.sms
        return {
            "template": name,
            "sms": {
                "kind": sms.kind,
                "subject": sms.subject,
                "text": sms.text,
                "bytes_euc_kr": sms.byte_length,
            },
            "email": asdict(rendered.email),
        }

    return router
