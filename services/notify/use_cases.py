"""What the notify service does, one function each: ports in, results out.

Handling citizen events only plans: one notification per consented channel, stored with its
text, for a whole batch of events at once. It never waits on a provider, so a slow SMS gateway
cannot hold up the partition behind it; `delivery.py` sends what is due.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import Any, TypeVar

from pydantic import ValidationError

from shared.contracts.common import ContractModel
from shared.contracts.notify import NotificationFailed, NotificationSent
from shared.contracts.recruitment import ApplicationSubmitted
from shared.envelope import Envelope
from shared.kafka import EventPublisher
from shared.log import correlated
from shared.topics import Topic

from .adapters.metrics import NotifyMetrics
from .adapters.store import NotifyStore
from .adapters.templates import TemplateLibrary
from .domain.catalog import Template, template, template_context
from .domain.channels import Channel
from .domain.contact import AwaitingContact, ContactVersion
from .domain.message import EmailText, RenderedMessage, SmsText, TemplateError
from .domain.notification import HistoryEntry, Notification, Planned, Recipient, receipt_of
from .domain.quiet_hours import QuietHours
from .domain.retry import RetryPolicy
from .domain.routing import ROUTES, Route, route_for
from .providers import Providers

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
PayloadT = TypeVar("PayloadT", bound=ContractModel)


@dataclass(frozen=True)
class Ports:
    store: NotifyStore
    templates: TemplateLibrary
    providers: Providers
    notification_sent: EventPublisher[NotificationSent]
    notification_failed: EventPublisher[NotificationFailed]
    metrics: NotifyMetrics
    quiet_hours: QuietHours
    retry_policy: RetryPolicy
    lease: timedelta  # how long a delivery loop may work on a notification before another may
    clock: Clock
    # Planning waits while every channel has more than this many notifications due and unsent.
    plan_ahead: Mapping[Channel, int] = field(
        default_factory=lambda: {"sms": 10_000, "email": 10_000}
    )
    # How long citizen events wait for their citizen's contact to be learned in memory.
    contact_patience: float = 0.0
    rng: Random = field(default_factory=Random)  # the jitter of retries


@dataclass(frozen=True)
class News:
    """An event a citizen is to be told about, as planning needs it."""

    event_id: str
    event_type: str
    occurred_at: datetime
    correlation_id: str
    data: ContractModel
    told_about: str | None = None  # see Notification.plan

    @classmethod
    def of(cls, event: Envelope[Any]) -> "News":
        # An application's receipt is about the application: a re-sent application_id (a new
        # event id) is received once, as recruitment screens it once.
        told_about = (
            receipt_of(event.data.application_id)
            if isinstance(event.data, ApplicationSubmitted)
            else None
        )
        return cls(
            event.event_id,
            event.event_type,
            event.occurred_at,
            event.correlation_id,
            event.data,
            told_about,
        )


@dataclass(frozen=True)
class Told:
    """What handling a batch of events planned."""

    planned: int = 0  # notifications new in this batch
    due_now: int = 0  # of those, due at once (the others wait for the morning)
    parked: int = 0  # events kept until the citizen's application brings the contact


# -- planning --------------------------------------------------------------------------------
PACE_CHECK_SECONDS = 1.0
PACE_MAX_WAIT_SECONDS = 60.0  # well inside Kafka's max.poll.interval (300 s)


async def keep_pace_with_delivery(ports: Ports) -> float:
    """Wait while every channel has more than its `plan_ahead` notifications due and unsent:
    what a burst brings beyond what the providers can take soon waits in Kafka, not in the
    outbox, where planning it early sends nothing sooner and takes the shared database from
    the services taking the burst in. One channel behind (e-mail, at half the SMS rate) does
    not hold up the others: its backlog grows, and the SMS keep going. Never longer than
    PACE_MAX_WAIT_SECONDS per batch. How long it waited."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while _ahead_everywhere(await ports.store.due_backlog(ports.clock()), ports.plan_ahead):
        if loop.time() - started >= PACE_MAX_WAIT_SECONDS:
            break
        await asyncio.sleep(PACE_CHECK_SECONDS)
    return loop.time() - started


def _ahead_everywhere(backlog: Mapping[Channel, int], plan_ahead: Mapping[Channel, int]) -> bool:
    return all(backlog.get(channel, 0) > limit for channel, limit in plan_ahead.items())


async def take_applications(ports: Ports, events: list[Envelope[ApplicationSubmitted]]) -> Told:
    """Keep each application's contact, send its receipt, and release the events about these
    citizens that came before their application."""
    await keep_pace_with_delivery(ports)
    route = ROUTES[Topic.APPLICATION_SUBMITTED]
    versions = [ContactVersion.from_application(event.data) for event in events]
    await ports.store.add_contact_versions(versions)
    applicants = {version.applicant_id for version in versions}
    refused = await ports.store.undeliverable_phones(applicants)
    waiting = await ports.store.awaiting(applicants)
    # The receipt goes where the application says, but never to a number refused for good.
    tell = [
        (News.of(event), route, version.recipient(refused.get(version.applicant_id, ())))
        for event, version in zip(events, versions, strict=True)
    ]
    # Events about these citizens that overtook their application go to the contact in force.
    if waiting:
        known = await ports.store.contacts_of({parked.applicant_id for parked in waiting})
        for parked in waiting:
            earlier = _unpark(parked)
            if earlier is not None:
                tell.append((earlier[0], earlier[1], known[parked.applicant_id].recipient))
    told = await plan(ports, tell)
    await ports.store.unpark([parked.event_id for parked in waiting])
    return told


async def take_citizen_events(
    ports: Ports, route: Route[PayloadT], events: list[Envelope[PayloadT]]
) -> Told:
    """Tell each citizen about their event; keep the events about citizens whose application
    has not come yet (only an application carries the contact)."""
    await keep_pace_with_delivery(ports)
    about = {event.event_id: route.applicant_of(event.data) for event in events}
    # The application that gives the contact is usually being handled meanwhile (another
    # consumer of this process): wait a little for it before reading the database.
    known = await ports.store.contacts_of(set(about.values()), patience=ports.contact_patience)
    unknown = [event for event in events if about[event.event_id] not in known]
    released: list[str] = []
    if unknown:
        await ports.store.park(
            [
                AwaitingContact(
                    event.event_id, about[event.event_id], event.event_type, event.model_dump_json()
                )
                for event in unknown
            ]
        )
        # An application handled meanwhile may have looked for parked events before these
        # were parked: look at the contacts once more, now that they are.
        known |= await ports.store.contacts_of({about[event.event_id] for event in unknown})
        released = [event.event_id for event in unknown if about[event.event_id] in known]
    told = await plan(
        ports,
        [
            (News.of(event), route, known[about[event.event_id]].recipient)
            for event in events
            if about[event.event_id] in known
        ],
    )
    await ports.store.unpark(released)
    return Told(told.planned, told.due_now, parked=len(unknown) - len(released))


async def plan(ports: Ports, tell: Sequence[tuple[News, Route[Any], Recipient]]) -> Told:
    """Plan a notification per (event, consented channel) and store them all at once; a
    redelivered event plans nothing new."""
    now = ports.clock()
    planned: list[Planned] = []
    for news, route, recipient in tell:
        name = route.template_for(news.data.model_dump())
        context = template_context(news.data, recipient.name)
        channels = recipient.channels()
        for channel in channels:
            # An SMS without an e-mail beside it keeps the e-mail text: should the number
            # turn out dead, the citizen may be told by e-mail instead (`fall_back`).
            keep_email = channel == "sms" and "email" not in channels
            planned.append(
                _plan_channel(ports, news, recipient, channel, name, context, keep_email, now)
            )
    new = await ports.store.add_planned(planned, now)
    due_now = 0
    for notification, is_new in zip(planned, new, strict=True):
        if not is_new:
            continue  # planned before: a redelivered event
        if notification.notification.due_at > now:
            ports.metrics.deferred.labels(notification.notification.template).inc()
        else:
            due_now += 1
    return Told(planned=sum(new), due_now=due_now)


def _plan_channel(
    ports: Ports,
    news: News,
    recipient: Recipient,
    channel: Channel,
    name: str,
    context: dict[str, Any],
    keep_email: bool,
    now: datetime,
) -> Planned:
    notification = Notification.plan(
        source_event_id=news.event_id,
        source_event_type=news.event_type,
        recipient=recipient,
        channel=channel,
        template=template(name),
        now=now,
        quiet_hours=ports.quiet_hours,
        told_about=news.told_about,
    )
    message: SmsText | EmailText | None = None
    try:
        if channel == "sms":
            message = ports.templates.render_sms(name, context)
        else:
            message = ports.templates.render_email(name, context)
    except TemplateError as error:
        # A message that cannot be written is not retried.
        notification.fail(f"template: {error}", now)
    fallback: EmailText | None = None
    if keep_email:
        with contextlib.suppress(TemplateError):
            fallback = ports.templates.render_email(name, context)
    return Planned(
        notification=notification,
        message=message,
        fallback_email=fallback,
        source_occurred_at=news.occurred_at,
        correlation_id=news.correlation_id,
        created_at=now,
    )


def _unpark(parked: AwaitingContact) -> tuple[News, Route[Any]] | None:
    route = route_for(parked.event_type)
    if route is None:
        return None
    try:
        event = Envelope[route.payload].model_validate_json(parked.envelope_json)  # type: ignore[name-defined]
    except ValidationError:
        log.exception("a parked event no longer reads; dropped", extra={"event": parked.event_id})
        return None
    return News.of(event), route


async def fall_back(ports: Ports, failed: Sequence[Planned]) -> list[Planned]:
    """SMS that failed for good: plan the e-mail with the same content, where the citizen
    consented to e-mail, we know their address now, and no e-mail was planned for the event
    (then they get that one). The e-mail text was kept when the SMS was planned. Returns the
    e-mails planned now."""
    kept = [sms for sms in failed if sms.fallback_email is not None]
    if not kept:
        return []
    known = await ports.store.contacts_of({sms.notification.applicant_id for sms in kept})
    now = ports.clock()
    emails: list[Planned] = []
    for sms in kept:
        contact = known.get(sms.notification.applicant_id)
        if contact is None:
            continue
        email = sms.notification.fallback(
            contact.recipient,
            ["sms"],  # the e-mail text is kept only when no e-mail was planned beside
            template(sms.notification.template),
            now,
            ports.quiet_hours,
        )
        if email is not None:
            emails.append(
                Planned(
                    notification=email,
                    message=sms.fallback_email,
                    fallback_email=None,
                    source_occurred_at=sms.source_occurred_at,
                    correlation_id=sms.correlation_id,
                    created_at=now,
                )
            )
    new = await ports.store.add_planned(emails, now)
    planned_now = [mail for mail, is_new in zip(emails, new, strict=True) if is_new]
    for mail in planned_now:
        with correlated(mail.correlation_id):
            log.info(
                "SMS failed for good; the citizen is told by e-mail instead",
                extra={"fallback": mail.notification_id},
            )
    return planned_now


# -- reading ---------------------------------------------------------------------------------
async def history_of(ports: Ports, applicant_id: str) -> list[HistoryEntry]:
    return await ports.store.history_of(applicant_id)


def templates(ports: Ports) -> list[Template]:
    return list(ports.templates.catalog.values())


def preview(ports: Ports, name: str) -> RenderedMessage:
    """The template rendered with its sample data; KeyError for an unknown name."""
    return ports.templates.preview(name)
