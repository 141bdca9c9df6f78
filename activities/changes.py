"""Read a service's recent changes for a starting incident: its first suspects.

The change log is a Temporal workflow (`workflows.changes`); reading it is a
query, which the incident may only make through an activity."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from warroom.models import Change
from workflows.changes import ChangesWorkflow, ChangeWindow, changes_workflow_id


class RecentChanges(ChangeWindow):
    service: str


async def recent_changes(client: Client, service: str, window: ChangeWindow) -> list[Change]:
    """Newest first; none when the service never recorded a change."""
    try:
        return await client.get_workflow_handle(changes_workflow_id(service)).query(ChangesWorkflow.recent, window)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return []
        raise


class ChangeActivities:
    def __init__(self, client: Client):
        self.client = client

    @activity.defn
    async def list_recent_changes(self, req: RecentChanges) -> list[Change]:
        return await recent_changes(self.client, req.service, ChangeWindow(since=req.since, until=req.until))
