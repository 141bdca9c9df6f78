"""The baseline workflows benchmarks compare warroom with: the least Temporal can do."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from typing import Any

from temporalio import workflow


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


async def _serve(address: str, task_queue: str) -> None:
    from temporalio.client import Client
    from temporalio.worker import Worker

    client = await Client.connect(address)
    async with Worker(client, task_queue=task_queue, workflows=[BaselineAlertWorkflow]):
        await asyncio.Event().wait()


if __name__ == "__main__":  # a baseline worker process: python -m benchmarks.baseline ADDRESS TASK_QUEUE
    asyncio.run(_serve(sys.argv[1], sys.argv[2]))
