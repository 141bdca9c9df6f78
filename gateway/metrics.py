"""The gateway's Prometheus metrics, in a registry of its own per app (so two
apps in one process, as in tests, never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.alerts = Counter(
            "warroom_alerts_received", "Alerts received, by source and routing outcome",
            ["source", "outcome"], registry=self.registry,
        )
        self.rejected = Counter(
            "warroom_requests_rejected", "Alert requests refused before routing, by source and HTTP status",
            ["source", "status"], registry=self.registry,
        )
        self.routing = Histogram(
            "warroom_alert_routing_seconds", "Time from receiving an alert request to its incidents answering",
            ["source"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
