"""Prometheus metrics every service has, beside FastStream's own Kafka middleware metrics."""

from prometheus_client import CollectorRegistry, Counter


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
