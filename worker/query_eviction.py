"""Forget a workflow run after answering a query task about it.

A query task carries the whole history. When it arrives while the run's next
workflow task is still unstarted (a buffered query the server lets through once
the dead worker's task times out), the SDK applies that task's new events (a
timer fired, activities completed) at the previous task's time, answers, and
keeps the run in its cache together with the commands those events produced.
Its next workflow task then sends those commands ahead of anything the task
itself brings (an update, a signal), an order no replay reproduces: the incident
fails every later task with a nondeterminism error (tests/fixtures/nondeterminism/).
Evicting the run after each query task makes its next workflow task replay the
history from the start, which decides exactly as any replay does.

This hooks the SDK's private activation handler (temporalio 1.35, pinned), in
the worker process (`warroom worker`, `warroom up`); the crash drill in
tests/test_crash.py, which runs that process, failed about one run in two
without it. In-process test workers on the time-skipping server go without: the
fetch of the whole history after an eviction stalled there.
"""

from __future__ import annotations

from typing import Any

from temporalio.worker import _workflow

LEGACY_QUERY = "legacy_query"  # the id sdk-core gives the query of a query-only task


def install() -> None:
    """Wrap the workflow worker's activation handler once per process."""
    handler = _workflow._WorkflowWorker._handle_activation
    if getattr(handler, "evicts_after_query_tasks", False):
        return

    async def handle_activation(self: Any, act: Any) -> None:
        # Asked before the answer goes back: asked after, sdk-core may already
        # have handed the run its next workflow task (seen in the crash drill,
        # where a task's events then came in two activations, not the one replay uses).
        if any(job.HasField("query_workflow") and job.query_workflow.query_id == LEGACY_QUERY for job in act.jobs):
            self._bridge_worker().request_workflow_eviction(act.run_id)
        await handler(self, act)

    handle_activation.evicts_after_query_tasks = True  # type: ignore[attr-defined]
    _workflow._WorkflowWorker._handle_activation = handle_activation  # type: ignore[method-assign]
