"""Kafka wiring shared by every service: the broker, typed publishers, batched idempotent
subscribers and the dead-letter rule.

A subscriber takes what the consumer has fetched, up to `max_records` at a time, and per batch:
decodes and validates each message (a bad one goes to `<topic>.dlq` alone, the rest go on),
drops duplicates within the batch and, with one bulk insert into the inbox, those processed
before, hands the handler only the new events in the order they came (per key, the partition's
order), and records them as done. FastStream commits the batch's offsets once, after all of that
succeeded; when anything fails, the whole batch is delivered again, and the inbox and the
handlers' idempotent writes make that harmless (docs/decisions/0002, 0003).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from aiokafka import ConsumerRecord
from faststream import AckPolicy, Context
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from faststream.security import BaseSecurity
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, SkipValidation, ValidationError

from shared.clock import now_kst
from shared.dependencies import keep_trying
from shared.envelope import (
    FORBIDDEN_DATA,
    SEARCHED_FOR_FORBIDDEN_DATA,
    Envelope,
    may_hold_forbidden_data,
    redact_forbidden_data,
)
from shared.inbox import Inbox
from shared.limits import LimitSettings
from shared.log import correlated
from shared.metrics import EventMetrics
from shared.topics import dead_letter_topic
from shared.transport import TransportSettings, kafka_security

log = logging.getLogger(__name__)

PayloadT = TypeVar("PayloadT", bound=BaseModel)
BatchHandler = Callable[[list[Envelope[PayloadT]]], Awaitable[None]]

# Seconds before a batch whose handling failed (database down, say) is delivered again, so
# that an outage does not turn into a hot loop.
REDELIVERY_DELAY = 1.0


# What a producer may send in one request: the broker's default record limit (1 MiB).
MAX_REQUEST_BYTES = 1_048_576


class InvalidEvent(ValueError):
    """An event that decodes and validates but does not belong on its topic."""


class TooLarge(ValueError):
    """A record over the kit's size limit: refused before it is parsed at all."""


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "<envelope>"


def describe_error(error: Exception) -> tuple[str, str]:
    """(reason, readable error) without echoing the input, which may hold personal data."""
    if isinstance(error, ValidationError):
        problems = error.errors(include_input=False, include_url=False)
        if any(p["type"] in ("json_invalid", "json_type") for p in problems):
            return "not_json", "; ".join(p["msg"] for p in problems)
        forbidden = any(p["type"] == FORBIDDEN_DATA for p in problems)
        details = "; ".join(f"{_field_path(p['loc'])}: {p['msg']}" for p in problems)
        return ("forbidden_data" if forbidden else "schema_invalid"), details
    if isinstance(error, InvalidEvent):
        return "wrong_topic", str(error)
    if isinstance(error, TooLarge):
        return "too_large", str(error)
    return "not_json", f"{type(error).__name__}: {error}"


def make_broker(
    bootstrap_servers: str,
    *,
    service: str,
    registry: CollectorRegistry,
    transport: TransportSettings | None = None,
) -> KafkaBroker:
    """The service's Kafka client; SASL/TLS as `transport` says (None: from the environment,
    as the service's other settings are)."""
    security: BaseSecurity | None = kafka_security(transport or TransportSettings())
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"ilteo-{service}",
        security=security,
        max_request_size=MAX_REQUEST_BYTES,
        # Nothing a citizen is told may be lost in a broker failover, or written twice by a retry.
        acks="all",
        enable_idempotence=True,
        # A few ms of lingering fills the producer's batches when a handler publishes hundreds.
        linger_ms=5,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=service)],
        logger=logging.getLogger(f"ilteo.{service}.kafka"),
        # FastStream's "Received"/"Processed" lines describe a whole batch, which has no one
        # correlation id: the kit's own lines name the events (see `subscribe`).
        log_level=logging.DEBUG,
    )


async def broker_reachable(broker: KafkaBroker) -> bool:
    return await broker.ping(timeout=2.0)


async def start_broker(
    broker: KafkaBroker,
    bootstrap_servers: str,
    retry_seconds: float,
    transport: TransportSettings | None = None,
) -> None:
    """Start producing and consuming once Kafka answers."""
    login = (transport or TransportSettings()).describe_kafka()
    said: set[str] = set()

    async def attempt() -> None:
        try:
            await broker.start()
        except Exception as error:
            await broker.stop()  # a half-started broker would leak its clients
            # Each different cause once, with what the service presented: a broker that
            # demands SASL only closes the connection of a client without a login, and
            # refused credentials look like an unreachable broker to the next layer up.
            cause = f"{type(error).__name__}: {error}"
            if cause not in said:
                said.add(cause)
                log.warning(
                    "Kafka at %s did not let the service in (%s): %s",
                    bootstrap_servers,
                    login,
                    cause,
                )
            raise

    await keep_trying(
        attempt, dependency=f"Kafka at {bootstrap_servers}", retry_seconds=retry_seconds
    )


# -- publishing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing(Generic[PayloadT]):
    """An event to publish: its payload, its Kafka key (the aggregate id) and its lineage.

    `event_id` is derived from what caused the event (`derive_event_id`), so that publishing
    again after a crash repeats the same event, which consumers drop."""

    data: PayloadT
    key: str
    event_id: str
    correlation_id: str
    causation_id: str | None = None

    @classmethod
    def caused_by(
        cls, cause: Envelope[Any], data: PayloadT, *, key: str, event_id: str
    ) -> Outgoing[PayloadT]:
        return cls(data, key, event_id, cause.correlation_id, cause.event_id)


class EventPublisher(Generic[PayloadT]):
    """Publishes one kind of event on its topic: fills in the envelope (type, producer, time)
    and waits until Kafka has every event of a call, sent together."""

    def __init__(self, publisher: DefaultPublisher, topic: str, producer: str) -> None:
        self._publisher = publisher
        self.topic = topic
        self.producer = producer

    def envelope(self, event: Outgoing[PayloadT], at: datetime) -> bytes:
        """The envelope as JSON, written directly: building and dumping an `Envelope` model per
        event cost more than sending it (tested to read back as the same `Envelope`)."""
        head = json.dumps(
            {
                "event_id": event.event_id,
                "event_type": self.topic,
                "schema_version": 1,
                "occurred_at": at.isoformat(),
                "producer": self.producer,
                "correlation_id": event.correlation_id,
                "causation_id": event.causation_id,
            },
            ensure_ascii=False,
        )
        return b"".join(
            (head[:-1].encode(), b', "data": ', event.data.model_dump_json().encode(), b"}")
        )

    async def publish(self, *events: Outgoing[PayloadT]) -> None:
        at = now_kst()
        sent = [
            await self._publisher.publish(
                self.envelope(event, at),
                key=event.key.encode(),
                headers={"content-type": "application/json"},
                correlation_id=event.correlation_id,
                no_confirm=True,
            )
            for event in events
        ]
        await asyncio.gather(*sent)


def publisher_for(
    broker: KafkaBroker, topic: str, payload: type[PayloadT], *, producer: str, description: str
) -> EventPublisher[PayloadT]:
    return EventPublisher(
        broker.publisher(topic, schema=Envelope[payload], description=description),  # type: ignore[valid-type]
        topic,
        producer,
    )


# -- consuming -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rejected:
    """A record refused, with why. Never the exception itself: its traceback holds the batch's
    frame, and the batch would live as long as the exception."""

    record: ConsumerRecord[bytes, bytes]
    reason: str
    detail: str


class BatchConsumer(Generic[PayloadT]):
    """What a subscriber does with one fetched batch; FastStream only delivers and commits."""

    def __init__(
        self,
        topic: str,
        payload: type[PayloadT],
        handler: BatchHandler[PayloadT],
        *,
        group_id: str,
        broker: KafkaBroker,
        inbox: Inbox,
        metrics: EventMetrics,
        max_message_bytes: int | None = None,
        wanted: Callable[[PayloadT], bool] | None = None,
    ) -> None:
        self.topic = topic
        self.wanted = wanted
        self.max_message_bytes = max_message_bytes or LimitSettings().kafka_max_message_bytes
        self.envelope_type: type[Envelope[PayloadT]] = Envelope[payload]  # type: ignore[valid-type]
        self.handler = handler
        self.group_id = group_id
        self.broker = broker
        self.inbox = inbox
        self.metrics = metrics

    def decode(self, record: ConsumerRecord[bytes, bytes]) -> Envelope[PayloadT]:
        raw = record.value or b""
        if len(raw) > self.max_message_bytes:  # never parse what no contract event can be
            raise TooLarge(f"{len(raw)} bytes, more than the limit of {self.max_message_bytes}")
        # Most messages are cleared by one regex over the bytes, not a walk of the parse.
        searched = None if may_hold_forbidden_data(raw) else SEARCHED_FOR_FORBIDDEN_DATA
        event = self.envelope_type.model_validate_json(raw, context=searched)
        if event.event_type != self.topic:
            raise InvalidEvent(f"event_type {event.event_type!r} does not belong on {self.topic}")
        return event

    async def consume(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        events: dict[str, Envelope[PayloadT]] = {}  # by event_id, in the order they came
        rejected: list[Rejected] = []
        repeated = skipped = 0
        for record in records:
            try:
                event = self.decode(record)
            except ValueError as error:  # JSON, pydantic, InvalidEvent and TooLarge
                rejected.append(Rejected(record, *describe_error(error)))
                continue
            if self.wanted is not None and not self.wanted(event.data):
                skipped += 1  # valid, and none of this service's business: not even claimed
            elif event.event_id in events:
                repeated += 1
            else:
                events[event.event_id] = event
        fresh = await self.inbox.claim(list(events), self.topic) if events else set()
        new = [event for id_, event in events.items() if id_ in fresh]
        duplicates = repeated + len(events) - len(new)
        if new:
            try:
                await self.handler(new)
            except Exception:
                log.exception(
                    "handling a batch failed; it will be delivered again",
                    extra={"topic": self.topic, "events": len(new)},
                )
                await asyncio.sleep(REDELIVERY_DELAY)
                raise
        await self.dead_letter(rejected)
        if new:
            await self.inbox.complete([event.event_id for event in new])
        self.metrics.processed.labels(self.topic).inc(len(new))
        self.metrics.batch_size.labels(self.topic).observe(len(records))
        if duplicates:
            self.metrics.duplicates.labels(self.topic).inc(duplicates)
        if log.isEnabledFor(logging.DEBUG):  # a line per event only when asked: hot path
            for event in new:
                with correlated(event.correlation_id):
                    log.debug(
                        "event handled", extra={"event_id": event.event_id, "topic": self.topic}
                    )
        log.info(
            "batch handled",
            extra={
                "topic": self.topic,
                "received": len(records),
                "handled": len(new),
                "duplicates": duplicates,
                "skipped": skipped,
                "dead_lettered": len(rejected),
            },
        )

    async def dead_letter(self, rejected: list[Rejected]) -> None:
        """Bad input never stops a partition and is never dropped silently.

        The original bytes go to `<topic>.dlq` unchanged (a resident registration number is
        masked digit for digit first: the platform never stores one), with the reason, the
        source topic/partition/offset and this consumer group in headers, as Kafka Connect's
        dead-letter queues do. Two services read some topics: the group says which refused it.
        """
        sent = []
        for item in rejected:
            record = item.record
            body = record.value or b""
            if item.reason in ("forbidden_data", "too_large"):  # too_large: never searched
                body = redact_forbidden_data(body)
            sent.append(
                await self.broker.publish(
                    body,
                    dead_letter_topic(record.topic),
                    key=record.key,
                    headers={
                        "dlq.reason": item.reason,
                        "dlq.error": item.detail[:2000],
                        "dlq.source.topic": record.topic,
                        "dlq.source.partition": str(record.partition),
                        "dlq.source.offset": str(record.offset),
                        "dlq.consumer.group": self.group_id,
                    },
                    no_confirm=True,
                )
            )
            self.metrics.dead_lettered.labels(record.topic, item.reason).inc()
            log.warning(
                "invalid message sent to the dead-letter topic",
                extra={
                    "topic": record.topic,
                    "partition": record.partition,
                    "offset": record.offset,
                    "reason": item.reason,
                    "error": item.detail[:500],
                },
            )
        await asyncio.gather(*sent)


async def _raw_bodies(message: StreamMessage[Any]) -> Any:
    """The kit decodes and validates each record itself, so that one bad message is dead-
    lettered alone: FastStream's own decoding would fail the whole batch."""
    return message.body


def subscribe(
    broker: KafkaBroker,
    topic: str,
    payload: type[PayloadT],
    *,
    group_id: str,
    inbox: Inbox,
    metrics: EventMetrics,
    description: str,
    max_records: int,
    wanted: Callable[[PayloadT], bool] | None = None,
) -> Callable[[BatchHandler[PayloadT]], BatchHandler[PayloadT]]:
    """Register `handler` for `topic`: it gets lists of new, valid events, in order per key;
    with `wanted`, only those whose payload it accepts (the others cost no database write)."""

    def register(handler: BatchHandler[PayloadT]) -> BatchHandler[PayloadT]:
        consumer = BatchConsumer(
            topic,
            payload,
            handler,
            group_id=group_id,
            broker=broker,
            inbox=inbox,
            metrics=metrics,
            wanted=wanted,
        )

        async def consume(events: Any, message: Any) -> None:
            await consumer.consume(message.raw_message)

        # The annotation documents the payload in AsyncAPI; validation is the consumer's own.
        consume.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    "events",
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=SkipValidation[list[consumer.envelope_type]],  # type: ignore[name-defined]
                ),
                inspect.Parameter(
                    "message",
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                    annotation=Annotated[KafkaMessage, Context("message")],
                ),
            ],
            return_annotation=None,
        )
        consume.__name__ = handler.__name__
        broker.subscriber(
            topic,
            batch=True,
            max_records=max_records,
            group_id=group_id,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            decoder=_raw_bodies,
            description=description,
        )(consume)
        return handler

    return register
