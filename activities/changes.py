"""Read a service's recent changes for a new incident: its first suspects.

The change log is a Temporal workflow (`workflows.changes`); reading its memo
is a call to Temporal, which the incident may only make through an activity."""

from __future__ import annotations

from pydantic import Field
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.folding import Folding
from warroom.models import Change
from workflows.changes import MEMO_KEY, ChangeLog, ChangesWorkflow, ChangeWindow, changes_workflow_id, log_start_options, within


class RecentChanges(ChangeWindow):
    service: str
    incident_id: str = Field(description="watches the log: changes recorded later are signalled to it")


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


class ChangeActivities:
    def __init__(self, client: Client, task_queue: str):
        self.client = client
        self.task_queue = task_queue
        self._watching: Folding[str, str, list[Change]] = Folding(self._watch_then_read)

    @activity.defn
    async def list_recent_changes(self, req: RecentChanges) -> list[Change]:
        """Watch first, then read: a change recorded in between is both read and told, never lost.
        Two quick calls to Temporal, so incidents run it as a local activity; incidents
        of one service declared together share them (one watch signal for all)."""
        logged = await self._watching.submit(req.service, req.incident_id)
        return within(logged, ChangeWindow(since=req.since, until=req.until))

    async def _watch_then_read(self, service: str, incident_ids: list[str]) -> list[Change]:
        await self.client.start_workflow(
            ChangesWorkflow.run, ChangeLog(service=service), start_signal="watch", start_signal_args=[incident_ids],
            **log_start_options(service, self.task_queue),
        )
        return await logged_changes(self.client, service)
