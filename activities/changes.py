"""Read a service's recent changes for a new incident: its first suspects.

The change log is a Temporal workflow (`workflows.changes`); reading its memo
is a call to Temporal, which the incident may only make through an activity."""

from __future__ import annotations

from pydantic import Field
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from warroom.models import Change
from workflows.changes import MEMO_KEY, ChangeLog, ChangesWorkflow, ChangeWindow, changes_workflow_id, log_start_options, within


class RecentChanges(ChangeWindow):
    service: str
    incident_id: str = Field(description="watches the log: changes recorded later are signalled to it")


async def recent_changes(client: Client, service: str, window: ChangeWindow) -> list[Change]:
    """Newest first; none when the service never recorded a change."""
    try:
        described = await client.get_workflow_handle(changes_workflow_id(service)).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return []
        raise
    return within(await described.memo_value(MEMO_KEY, [], type_hint=list[Change]), window)


class ChangeActivities:
    def __init__(self, client: Client, task_queue: str):
        self.client = client
        self.task_queue = task_queue

    @activity.defn
    async def list_recent_changes(self, req: RecentChanges) -> list[Change]:
        """Watch first, then read: a change recorded in between is both read and told, never lost.
        Two quick calls to Temporal, so incidents run it as a local activity."""
        await self.client.start_workflow(
            ChangesWorkflow.run, ChangeLog(service=req.service), start_signal="watch", start_signal_args=[req.incident_id],
            **log_start_options(req.service, self.task_queue),
        )
        return await recent_changes(self.client, req.service, ChangeWindow(since=req.since, until=req.until))
