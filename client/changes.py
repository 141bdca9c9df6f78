"""Reaching a service's change log (`ChangesWorkflow`) as a client: how every
caller starts it, and reading its memo, which the server answers without a worker."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from warroom.changes import MEMO_KEY, ChangeLog, ChangeReceipt, ChangeRequest, ChangeWindow, changes_workflow_id, within
from warroom.models import Change

CHANGES_WORKFLOW = "ChangesWorkflow"


def log_start_options(service: str, task_queue: str) -> dict[str, Any]:
    """How every caller starts a service's log: the first to arrive starts it, the rest find it."""
    return {
        "id": changes_workflow_id(service), "task_queue": task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING, "static_summary": f"Recent changes of {service}"[:200],
    }


async def record_change(client: Client, task_queue: str, change: ChangeRequest) -> ChangeReceipt:
    """Record a change in its service's log, starting the log if it is the first
    (update-with-start); raises `WorkflowUpdateFailedError` when the log refuses it."""
    start = WithStartWorkflowOperation(
        CHANGES_WORKFLOW, ChangeLog(service=change.service), **log_start_options(change.service, task_queue)
    )
    return await client.execute_update_with_start_workflow(
        "record", change, start_workflow_operation=start, result_type=ChangeReceipt
    )


async def recent_changes(client: Client, service: str, window: ChangeWindow) -> list[Change]:
    """Newest first; none when the service never recorded a change."""
    return within(await logged_changes(client, service), window)


async def logged_changes(client: Client, service: str) -> list[Change]:
    """Every change the service's log holds (its memo)."""
    try:
        described = await client.get_workflow_handle(changes_workflow_id(service)).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return []
        raise
    return await described.memo_value(MEMO_KEY, [], type_hint=list[Change])


async def watch(client: Client, service: str, incident_ids: list[str], task_queue: str) -> None:
    """Have the service's log tell these incidents of every change recorded from now on."""
    await client.start_workflow(
        CHANGES_WORKFLOW, ChangeLog(service=service), start_signal="watch", start_signal_args=[incident_ids],
        **log_start_options(service, task_queue),
    )
