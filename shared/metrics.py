"""Prometheus metrics every service has, beside FastStream's own Kafka middleware metrics."""

from prometheus_client import CollectorRegistry, Counter, Histogram


class EventMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.dead_lettered = Counter(
            "ilteo_dead_lettered_messages",
            "Messages sent to the dead-letter topic instead of being processed",
            ["topic", "reason"],
            registry=registry,
        )
        self.duplicates = Counter(
            "ilteo_duplicate_events",
            "Events acknowledged and skipped because their event_id was already processed",
            ["topic"],
            registry=registry,
        )
        self.processed = Counter(
            "ilteo_processed_events",
            "Events processed to completion, by topic",
            ["topic"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "ilteo_consumed_batch_size",
            "Messages per fetched batch, by topic: near 1 when idle, up to the maximum under load",
            ["topic"],
            registry=registry,
            buckets=(1, 5, 25, 100, 250, 500, 1000),
        )
