"""MaintenanceWindowWorkflow: the alerts a maintenance window holds, until it
ends. The gateway signals it what it held (signal-with-start, one run per
window); on a durable timer at the window's end, or when someone ends the
window early, the alerts still firing are routed as if they had just arrived,
so each opens (or joins) its incident then. Resolved ones are let go."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.routing import RoutingActivities
    from warroom.alerts import AlertBatch, AlertEvent, HeldAlerts, ReleasedAlerts

WORKFLOW = "MaintenanceWindowWorkflow"
STEP = {"start_to_close_timeout": timedelta(minutes=1), "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30))}


@workflow.defn(name=WORKFLOW)
class MaintenanceWindowWorkflow:
    def __init__(self) -> None:
        self.held: dict[tuple[str, str, str], AlertEvent] = {}
        self.ended = False

    @workflow.run
    async def run(self, window: HeldAlerts) -> ReleasedAlerts:
        left = max(window.ends_at - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(lambda: self.ended, timeout=left, timeout_summary=f"Maintenance of {window.service} ends")
        except asyncio.TimeoutError:
            pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        groups: dict[tuple[str, str], list[AlertEvent]] = {}
        for alert in self.held.values():
            if alert.status == "firing":
                groups.setdefault((alert.source, alert.dedup_key), []).append(alert)
        opened: list[str] = []
        for (source, key), alerts in groups.items():
            batch = AlertBatch(alerts=alerts, batch_id=f"{workflow.info().workflow_id}:{len(opened)}")
            routed = await workflow.execute_activity_method(
                RoutingActivities.release_held_alerts, batch, summary=f"Release {source} {key[:80]}", **STEP
            )
            opened += [routed.incident_id] if routed.incident_id else []
        return ReleasedAlerts(window_id=window.window_id, held=len(self.held), released=sum(map(len, groups.values())), incidents=opened)

    @workflow.signal
    def hold(self, batch: AlertBatch) -> None:
        """Keep each alert's latest state (counts add up)."""
        for alert in batch.alerts:
            key = (alert.source, alert.dedup_key, alert.fingerprint)
            before = self.held.get(key)
            self.held[key] = alert.model_copy(update={"count": alert.count + (before.count if before else 0)})

    @workflow.signal
    def end(self) -> None:
        self.ended = True
