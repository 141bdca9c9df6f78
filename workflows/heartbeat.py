"""HeartbeatWorkflow: one beat to the dead-man's switch, started by the
`<task queue>-heartbeat` Schedule every `WARROOM_HEARTBEAT_EVERY`. A beat that
cannot happen within its interval (no worker, the database down) times out
instead of arriving late, and the next one starts afresh."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.heartbeat import HeartbeatActivities


@workflow.defn(name="HeartbeatWorkflow")
class HeartbeatWorkflow:
    @workflow.run
    async def run(self, every_seconds: float) -> str:
        return await workflow.execute_activity_method(
            HeartbeatActivities.send_heartbeat,
            summary="Check the database, then call the dead-man's switch",
            schedule_to_close_timeout=timedelta(seconds=every_seconds),
            start_to_close_timeout=timedelta(seconds=min(every_seconds, 15)),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=max(every_seconds / 4, 1))),
        )
