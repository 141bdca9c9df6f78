"""Handing alerts to a maintenance window's workflow, and ending it early."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from client.incidents import list_query
from warroom.alerts import AlertBatch, AlertEvent, HeldAlerts
from warroom.maintenance import ALL_SERVICES, HoldPages, MaintenanceWindow
from warroom.settings import Settings

WORKFLOW = "MaintenanceWindowWorkflow"


def workflow_id(window: MaintenanceWindow) -> str:
    return f"maintenance-{window.id}"


async def hold(client: Client, settings: Settings, window: MaintenanceWindow, alerts: list[AlertEvent]) -> None:
    """One signal-with-start: the window's run starts with its first held alert.
    A window over (a run already finished) starts a new run that releases at once."""
    await client.start_workflow(
        WORKFLOW, HeldAlerts(window_id=window.id, service=window.service, ends_at=window.until),
        id=workflow_id(window), task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        start_signal="hold", start_signal_args=[AlertBatch(alerts=alerts)],
        static_summary=f"Maintenance of {window.service}: {window.reason}"[:200],
    )


async def end_early(client: Client, window: MaintenanceWindow) -> bool:
    """Release what the window held now; False when it held nothing (no run)."""
    try:
        await client.get_workflow_handle(workflow_id(window)).signal("end")
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def hold_open_pages(client: Client, window: MaintenanceWindow, by: str) -> list[str]:
    """`--silence-open`: the service's open incidents page no one before the
    window's end (its `until`; a window ended early releases them). A signal
    each, so an incident past stabilize just ignores it."""
    message = HoldPages(by=by, until=window.until, reason=f"maintenance {window.id}: {window.reason}"[:2000])
    query = list_query(service=None if window.service == ALL_SERVICES else window.service)
    held = []
    async for incident in client.list_workflows(query):
        await client.get_workflow_handle(incident.id).signal("hold_pages", message)
        held.append(incident.id)
    return held
