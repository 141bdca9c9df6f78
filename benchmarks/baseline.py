"""The baseline workflows benchmarks compare warroom with: the least Temporal can do."""

from __future__ import annotations

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
