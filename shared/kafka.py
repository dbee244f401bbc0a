"""Kafka wiring shared by every service: the broker, dead letters, idempotent subscribers."""

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy, BaseMiddleware, ContextRepo
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError

from shared.dependencies import keep_trying
from shared.envelope import Envelope, ForbiddenDataError, redact_forbidden_data
from shared.inbox import Inbox
from shared.log import correlated
from shared.metrics import EventMetrics
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT", bound=BaseModel)
EventHandler = Callable[[Envelope[Any]], Awaitable[None]]

# Seconds a handler waits before its message is redelivered after an infrastructure error,
# so that a database outage does not turn into a hot loop.
REDELIVERY_DELAY = 1.0


class InvalidEvent(ValueError):
    """An event that decodes and validates but does not belong on its topic."""


async def decode_json(message: StreamMessage[Any]) -> Any:
    """Partner systems publish plain JSON without FastStream's content-type header."""
    return json.loads(message.body)


def _field_path(loc: tuple[int | str, ...]) -> str:
    # FastStream validates the envelope as the handler's `event` argument: drop that name.
    parts = [str(p) for p in loc if p != "event"]
    return ".".join(parts) or "<envelope>"


def describe_error(error: Exception) -> tuple[str, str]:
    """(reason, readable error) without echoing the input, which may hold personal data."""
    if isinstance(error, ValidationError):
        forbidden = any(
            isinstance(e.get("ctx", {}).get("error"), ForbiddenDataError) for e in error.errors()
        )
        details = "; ".join(
            f"{_field_path(e['loc'])}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        return ("forbidden_data" if forbidden else "schema_invalid"), details
    if isinstance(error, InvalidEvent):
        return "wrong_topic", str(error)
    return "not_json", f"{type(error).__name__}: {error}"


class DeadLetterMiddleware(BaseMiddleware):
    """Bad input never stops a partition and is never dropped silently.

    The original bytes go to `<topic>.dlq` unchanged (a resident registration number is masked
    digit for digit first: the platform never stores one), with the reason and the source
    topic/partition/offset in headers, as Kafka Connect's dead-letter queues do.
    """

    def __init__(self, msg: Any, /, *, context: ContextRepo, metrics: EventMetrics) -> None:
        super().__init__(msg, context=context)
        self.metrics = metrics

    async def consume_scope(self, call_next: Callable[..., Any], msg: StreamMessage[Any]) -> Any:
        try:
            return await call_next(msg)
        except (ValueError, UnicodeDecodeError) as error:  # JSON, pydantic and InvalidEvent
            record: ConsumerRecord[Any, Any] = msg.raw_message
            reason, detail = describe_error(error)
            body = msg.body if reason != "forbidden_data" else redact_forbidden_data(msg.body)
            broker: KafkaBroker = self.context.get("broker")
            await broker.publish(
                body,
                dead_letter_topic(record.topic),
                key=record.key,
                headers={
                    "dlq.reason": reason,
                    "dlq.error": detail[:2000],
                    "dlq.source.topic": record.topic,
                    "dlq.source.partition": str(record.partition),
                    "dlq.source.offset": str(record.offset),
                },
            )
            self.metrics.dead_lettered.labels(record.topic, reason).inc()
            log.warning(
                "invalid message sent to the dead-letter topic",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "reason": reason,
                    "error": detail[:500],
                },
            )
            return None


def make_broker(
    bootstrap_servers: str, *, service: str, registry: CollectorRegistry, metrics: EventMetrics
) -> KafkaBroker:
    def dead_letters(msg: Any, /, *, context: ContextRepo) -> DeadLetterMiddleware:
        return DeadLetterMiddleware(msg, context=context, metrics=metrics)

    return KafkaBroker(
        bootstrap_servers,
        client_id=f"ilteo-{service}",
        # Nothing a citizen is told may be lost in a broker failover, or written twice by a retry.
        acks="all",
        enable_idempotence=True,
        decoder=decode_json,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service), dead_letters],
        logger=logging.getLogger(f"ilteo.{service}.kafka"),
    )


async def broker_reachable(broker: KafkaBroker) -> bool:
    return await broker.ping(timeout=2.0)


async def start_broker(broker: KafkaBroker, bootstrap_servers: str, retry_seconds: float) -> None:
    """Start producing and consuming once Kafka answers."""

    async def attempt() -> None:
        try:
            await broker.start()
        except Exception:
            await broker.stop()  # a half-started broker would leak its clients
            raise

    await keep_trying(
        attempt, dependency=f"Kafka at {bootstrap_servers}", retry_seconds=retry_seconds
    )


class EventPublisher:
    """Publishes one kind of event on its topic, keyed by the aggregate id."""

    def __init__(self, publisher: DefaultPublisher, topic: str) -> None:
        self._publisher = publisher
        self.topic = topic

    async def publish(self, event: Envelope[Any], key: str) -> None:
        await self._publisher.publish(
            event.model_dump_json().encode(),
            key=key.encode(),
            headers={"content-type": "application/json"},
        )


def publisher_for(
    broker: KafkaBroker, topic: str, payload: type[BaseModel], description: str
) -> EventPublisher:
    return EventPublisher(
        broker.publisher(topic, schema=Envelope[payload], description=description),  # type: ignore[valid-type]
        topic,
    )


def subscribe(
    broker: KafkaBroker,
    topic: str,
    payload: type[PayloadT],
    *,
    group_id: str,
    inbox: Inbox,
    metrics: EventMetrics,
    description: str,
) -> Callable[[EventHandler], EventHandler]:
    """Register `handler` for `topic`: validated, de-duplicated on event_id, acknowledged after.

    A handler that raises (database down, say) has its message redelivered after a pause;
    a message that is not a valid event goes to the dead-letter topic instead.
    """
    envelope_type = Envelope[payload]  # type: ignore[valid-type]

    def register(handler: EventHandler) -> EventHandler:
        async def consume(event: Envelope[Any]) -> None:
            if event.event_type != topic:
                raise InvalidEvent(f"event_type {event.event_type!r} does not belong on {topic}")
            with correlated(event.correlation_id):
                if not await inbox.claim(event.event_id, topic):
                    metrics.duplicates.labels(topic).inc()
                    log.info("duplicate event skipped", extra={"event_id": event.event_id})
                    return
                try:
                    await handler(event)
                except Exception:
                    log.exception(
                        "handler failed; the event will be redelivered",
                        extra={"event_id": event.event_id, "topic": topic},
                    )
                    await asyncio.sleep(REDELIVERY_DELAY)
                    raise
                await inbox.complete(event.event_id)
                metrics.processed.labels(topic).inc()

        # FastStream validates against the annotation and documents it in AsyncAPI.
        consume.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=envelope_type
                )
            ],
            return_annotation=None,
        )
        consume.__name__ = handler.__name__
        broker.subscriber(
            topic,
            group_id=group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            description=description,
        )(consume)
        return handler

    return register
