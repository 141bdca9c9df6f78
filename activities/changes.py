"""Read a service's recent changes for a new incident: its first suspects.

The change log is a Temporal workflow (`workflows.changes`); reading its memo
is a call to Temporal, which the incident may only make through an activity."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from client.changes import logged_changes, watch
from client.folding import Folding
from warroom.changes import ChangeWindow, within
from warroom.models import Change
from warroom.rules.requests import RecentChanges


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
        await watch(self.client, service, incident_ids, self.task_queue)
        return await logged_changes(self.client, service)
