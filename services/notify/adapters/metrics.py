"""Notify's own Prometheus metrics, beside every service's (shared/metrics.py)."""

from prometheus_client import CollectorRegistry, Counter, Histogram


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
