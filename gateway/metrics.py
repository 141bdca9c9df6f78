"""The gateway's Prometheus metrics, in a registry of its own per app (so two
apps in one process, as in tests, never collide): what it counts as alerts
arrive, and what it reads from Temporal and the database at each scrape (the
task queue's backlog and pollers, open incidents, readiness). Names:
`warroom.observability`."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from temporalio.client import Client

from client.incidents import list_query
from client.search_attributes import PHASE, SERVICE, SEVERITY
from gateway.readiness import CHECK_TIMEOUT, CHECKS, QUEUE_TYPES, describe_queue, readiness
from warroom import models as m
from warroom.observability import BACKLOG, BACKLOG_AGE, OPEN_INCIDENTS, POLLERS, READY
from warroom.settings import Settings

OPEN_PHASES = [p.value for p in m.Phase if p is not m.Phase.CLOSED]


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
        self.ready = Gauge(READY, "1 when the readiness check passes (see /readyz), by check", ["check"], registry=self.registry)
        self.backlog = Gauge(BACKLOG, "Tasks waiting for a worker on warroom's task queue, by task type", ["type"], registry=self.registry)
        self.backlog_age = Gauge(
            BACKLOG_AGE, "How long the oldest waiting task has waited: its schedule-to-start latency so far", ["type"],
            registry=self.registry,
        )
        self.pollers = Gauge(POLLERS, "Workers that polled the task queue within the readiness window", ["type"], registry=self.registry)
        self.open_incidents = Gauge(
            OPEN_INCIDENTS, "Open incidents by severity and phase (canaries left out)", ["severity", "phase"], registry=self.registry,
        )

    async def refresh(self, client: Client, settings: Settings) -> None:
        """Read what the scrape reports. What cannot be read is left out of the
        scrape (no stale numbers), and `warroom_ready` says why."""
        answer = await readiness(client, settings)
        for check in CHECKS:
            self.ready.labels(check).set(1 if answer.checks[check].ok else 0)
        pollers = answer.checks["pollers"]
        for queue_type in QUEUE_TYPES:
            self.pollers.labels(queue_type).set(sum(p.queue_type == queue_type for p in getattr(pollers, "pollers", [])))
        await asyncio.gather(self._backlog(client, settings), self._incidents(client, settings))

    async def _backlog(self, client: Client, settings: Settings) -> None:
        self.backlog.clear()
        self.backlog_age.clear()
        try:
            described = {t: await describe_queue(client, settings, t, stats=True) for t in QUEUE_TYPES}
        except Exception:  # noqa: BLE001 - Temporal unavailable: warroom_ready says so
            return
        for queue_type, answer in described.items():
            self.backlog.labels(queue_type).set(answer.stats.approximate_backlog_count)
            self.backlog_age.labels(queue_type).set(answer.stats.approximate_backlog_age.ToTimedelta().total_seconds())

    async def _incidents(self, client: Client, settings: Settings) -> None:
        self.open_incidents.clear()
        counts = {(s.value, p): 0 for s in m.Severity for p in OPEN_PHASES}
        try:
            async for execution in client.list_workflows(list_query(), rpc_timeout=CHECK_TIMEOUT):
                attributes = execution.typed_search_attributes
                if attributes.get(SERVICE) == settings.canary_service:
                    continue
                key = (attributes.get(SEVERITY), attributes.get(PHASE))
                if key in counts:
                    counts[key] += 1
        except Exception:  # noqa: BLE001 - as above
            return
        for (severity, phase), count in counts.items():
            self.open_incidents.labels(severity, phase).set(count)
