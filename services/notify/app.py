"""Wiring of the notify service."""

import asyncio
import math
from datetime import time, timedelta

from fastapi import FastAPI
from pydantic import SecretStr

from shared.clock import now_kst
from shared.contracts.notify import NotificationFailed, NotificationSent
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from shared.topics import Topic

from .adapters.metrics import NotifyMetrics
from .adapters.senders import SmsGateway, SmtpSender
from .adapters.store import NotifyStore
from .adapters.templates import TemplateLibrary
from .domain.quiet_hours import QuietHours
from .domain.retry import RetryPolicy
from .entrypoints import events, http
from .entrypoints.delivery import DeliveryLoop
from .providers import Providers
from .use_cases import Clock, Ports


class NotifySettings(ServiceSettings):
    http_port: int = 8004
    # The contract's variables (contracts.md).
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_from: str = "noreply@jobs.seoul.example"
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    sms_gateway_url: str = "http://127.0.0.1:8025/send"
    sms_gateway_token: SecretStr = SecretStr("")
    sms_sender: str = "15889999"
    # Delivery knobs of this project.
    sms_timeout_seconds: float = 5.0
    # Requests to the gateway at once, each on a connection of its own.
    sms_connections: int = 16
    # SMTP sessions kept open at once, each sending one message after another.
    smtp_connections: int = 4
    sms_rate_per_second: float = 100.0
    email_rate_per_second: float = 50.0
    # Sends in flight at once, per provider: enough to reach its rate while each takes up
    # to concurrency / rate seconds, recording included (2.56 s for the SMS gateway at 100/s:
    # under a call-opening burst, recording a send waits behind the database's other writes).
    delivery_concurrency: int = 256
    delivery_lease_seconds: float = 30.0
    delivery_poll_seconds: float = 0.2
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 600.0
    retry_max_attempts: int = 8
    # Per provider: this many transient failures in a row open the breaker for the cool-down.
    breaker_failure_threshold: int = 5
    breaker_cool_down_seconds: float = 30.0
    # How long, and for how many citizens, the store trusts the contacts it remembers
    # (services/notify/adapters/store.py says what that saves and what it costs).
    contact_memory_seconds: float = 300.0
    contact_memory_citizens: int = 20_000
    # A citizen event waits for the application that brings the contact (handled by this
    # process meanwhile) while such contacts keep coming, until this long passes without one
    # (at most 60 s in all), before reading the contacts from the database.
    contact_patience_seconds: float = 5.0
    # Planning waits while every provider has more than this many seconds of sending (at its
    # rate) due and unsent; a burst beyond waits in Kafka (services/notify/use_cases.py).
    plan_ahead_seconds: float = 30.0
    # Equal start and end: no quiet hours (QUIET_HOURS_START=00:00 QUIET_HOURS_END=00:00).
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)


def create_app(settings: NotifySettings | None = None, clock: Clock = now_kst) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime(
        "notify",
        settings,
        title="일터 notify",
        description="Every citizen hears about every step by SMS/LMS and e-mail, in Korean, "
        "by consent, at sensible hours, once.",
    )
    store = NotifyStore(
        runtime.db,
        contact_memory_seconds=settings.contact_memory_seconds,
        contact_memory_citizens=settings.contact_memory_citizens,
    )
    runtime.on_startup(store.create_indexes)
    ports = Ports(
        store=store,
        templates=TemplateLibrary(),  # compiles every template now: a broken one stops start-up
        providers=Providers(
            SmsGateway(
                settings.sms_gateway_url,
                settings.sms_gateway_token.get_secret_value(),
                settings.sms_sender,
                settings.sms_timeout_seconds,
                connections=settings.sms_connections,
            ),
            SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value(),
                starttls=settings.smtp_starttls,
                connections=settings.smtp_connections,
            ),
            sms_rate=settings.sms_rate_per_second,
            email_rate=settings.email_rate_per_second,
            breaker_failure_threshold=settings.breaker_failure_threshold,
            breaker_cool_down_seconds=settings.breaker_cool_down_seconds,
        ),
        notification_sent=runtime.publisher(
            Topic.NOTIFICATION_SENT,
            NotificationSent,
            "A notification was accepted by the SMS gateway or the mail server.",
        ),
        notification_failed=runtime.publisher(
            Topic.NOTIFICATION_FAILED,
            NotificationFailed,
            "A notification was given up on after its last attempt.",
        ),
        metrics=NotifyMetrics(runtime.registry),
        quiet_hours=QuietHours(start=settings.quiet_hours_start, end=settings.quiet_hours_end),
        retry_policy=RetryPolicy(
            base=timedelta(seconds=settings.retry_base_seconds),
            max_delay=timedelta(seconds=settings.retry_max_seconds),
            max_attempts=settings.retry_max_attempts,
        ),
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        clock=clock,
        contact_patience=settings.contact_patience_seconds,
        plan_ahead={
            "sms": math.ceil(settings.plan_ahead_seconds * settings.sms_rate_per_second),
            "email": math.ceil(settings.plan_ahead_seconds * settings.email_rate_per_second),
        },
    )
    loop = DeliveryLoop(
        ports,
        concurrency=settings.delivery_concurrency,
        poll_seconds=settings.delivery_poll_seconds,
    )
    events.subscribe(runtime, ports, on_due=loop.wake)
    runtime.background(loop.run)

    async def close_senders() -> None:
        """Waits for shutdown (which cancels it), then says QUIT on the open SMTP sessions."""
        try:
            await asyncio.Event().wait()
        finally:
            await ports.providers.smtp.close()

    runtime.background(close_senders)
    app = runtime.http_app()
    app.include_router(http.routes(ports))
    return app
