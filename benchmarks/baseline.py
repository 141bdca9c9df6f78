"""The baseline workflows benchmarks compare warroom with: the least Temporal can do."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow


@workflow.defn(name="BaselineAlertWorkflow")
class BaselineAlertWorkflow:
    """The least a workflow can do with a stream of alert signals: count them."""

    def __init__(self) -> None:
        self.alerts = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: False, timeout=timedelta(hours=1))
        return self.alerts

    @workflow.signal
    def alert(self, payload: dict[str, Any]) -> None:
        self.alerts += 1

    @workflow.query
    def count(self) -> int:
        return self.alerts


@activity.defn(name="noop")
async def noop() -> None:
    """An activity that does nothing, for the cost of the activity round trip itself."""


@workflow.defn(name="BaselineMobilizeWorkflow")
class BaselineMobilizeWorkflow:
    """A bare workflow running `steps` no-op activities one after another, as an
    incident's mobilization runs its effects."""

    @workflow.run
    async def run(self, steps: int) -> None:
        for _ in range(steps):
            await workflow.execute_activity(noop, start_to_close_timeout=timedelta(seconds=30))


async def _serve(address: str, task_queue: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    async with Worker(client, task_queue=task_queue, workflows=[BaselineAlertWorkflow, BaselineMobilizeWorkflow], activities=[noop]):
        await asyncio.Event().wait()


if __name__ == "__main__":  # a baseline worker process: python -m benchmarks.baseline ADDRESS TASK_QUEUE
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
