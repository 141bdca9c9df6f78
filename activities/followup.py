"""Follow-through on action items (seed 004: "Action items that are not tracked and
closed are waste"). The follow-up workflow calls these every hour: collect the
items of open and archived incidents, sync their status from the tracker,
remind owners of overdue ones, and record the close rate per team and service.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.archive import archive_dir, read_archive
from activities.chat import ChatBackend, DirectMessage
from activities.postmortem import write_atomically
from activities.tracker import TrackerBackend
from client.incidents import INCIDENT_WORKFLOW
from warroom.models import IncidentState, Severity
from warroom.report import CloseRate, close_rates
from warroom.settings import Settings

FOLLOW_UP_FILE = "follow-up.json"


class TrackedItem(BaseModel):
    incident_id: str
    incident_closed: bool
    service: str
    team: str
    severity: Severity
    number: int
    title: str
    owner: str
    due: date
    status: Literal["open", "done"]
    tracker_key: str | None = None
    tracker_url: str | None = None


class OverdueReminder(BaseModel):
    item: TrackedItem
    today: date


class FollowUpRecord(BaseModel):
    at: datetime
    items: list[TrackedItem]


class FollowUpSummary(BaseModel):
    items: int
    done: int
    overdue: int
    by_team: dict[str, CloseRate]
    by_service: dict[str, CloseRate]


class FollowUpActivities:
    def __init__(self, client: Client, settings: Settings, chat: ChatBackend, tracker: TrackerBackend):
        self.client = client
        self.settings = settings
        self.chat = chat
        self.tracker = tracker

    def _items(self, state: IncidentState, closed: bool) -> list[TrackedItem]:
        team = self.settings.policy.service(state.service).team or "unassigned"
        return [
            TrackedItem(
                incident_id=state.id, incident_closed=closed, service=state.service, team=team,
                severity=state.severity, **i.model_dump(include={"number", "title", "owner", "due", "status", "tracker_key", "tracker_url"}),
            )
            for i in state.action_items
        ]

    @activity.defn
    async def collect_action_items(self) -> list[TrackedItem]:
        """Archived incidents from the archive, open ones by querying their workflows
        (only those on this worker's task queue: another queue's worker answers for its own)."""
        items = [i for s in read_archive(self.settings.data_dir) for i in self._items(s, closed=True)]
        query = f"WorkflowType = '{INCIDENT_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '{self.settings.task_queue}'"
        try:
            async for wf in self.client.list_workflows(query):
                raw = await self.client.get_workflow_handle(wf.id).query("state")
                if "metrics" in raw:
                    items += self._items(IncidentState.model_validate(raw), closed=False)
        except RPCError as err:  # the time-skipping test server has no visibility to list with
            if err.status is not RPCStatusCode.UNIMPLEMENTED:
                raise
            activity.logger.warning("this Temporal server cannot list workflows; open incidents skipped")
        return items

    @activity.defn
    async def sync_action_items(self, items: list[TrackedItem]) -> list[TrackedItem]:
        """Take each item's status from the tracker; archived records are rewritten
        with it, so reports read one source. Rewriting the same status is a no-op."""
        synced = []
        changed: dict[str, dict[int, str]] = {}
        for item in items:
            status = await self.tracker.status(item.tracker_key) if item.tracker_key else None
            if status and status != item.status:
                item = item.model_copy(update={"status": status})
                if item.incident_closed:
                    changed.setdefault(item.incident_id, {})[item.number] = status
            synced.append(item)
        for incident_id, statuses in changed.items():
            path = archive_dir(self.settings.data_dir) / f"{incident_id}.json"
            record = json.loads(path.read_text())
            for entry in record["action_items"]:
                entry["status"] = statuses.get(entry["number"], entry["status"])
            write_atomically(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
        return synced

    @activity.defn
    async def remind_overdue_owner(self, req: OverdueReminder) -> None:
        """One direct message per item per day: the key makes a retry or a second
        run on the same day a no-op."""
        i = req.item
        days = (req.today - i.due).days
        ref = f" ({i.tracker_key})" if i.tracker_key else ""
        text = (
            f":hourglass: Action item {i.number}{ref} of {i.incident_id} is overdue by {days} day(s): "
            f"{i.title} (due {i.due}). Close it in the tracker, or agree a new due date with the incident commander."
        )
        key = f"followup:{i.incident_id}:{i.number}:{req.today.isoformat()}"
        await self.chat.direct(DirectMessage(incident_id=i.incident_id, user=i.owner, text=text, idempotency_key=key))

    @activity.defn
    async def record_follow_up(self, rec: FollowUpRecord) -> FollowUpSummary:
        """Write the latest statuses and close rates beside the archive, for `warroom report`."""
        today = rec.at.date()
        summary = FollowUpSummary(
            items=len(rec.items),
            done=sum(i.status == "done" for i in rec.items),
            overdue=sum(i.status == "open" and i.due < today for i in rec.items),
            by_team=close_rates((i.team, i.status) for i in rec.items),
            by_service=close_rates((i.service, i.status) for i in rec.items),
        )
        document = {"at": rec.at.isoformat(), **summary.model_dump(mode="json"), "items": [i.model_dump(mode="json") for i in rec.items]}
        write_atomically(archive_dir(self.settings.data_dir) / FOLLOW_UP_FILE, json.dumps(document, indent=1, sort_keys=True) + "\n")
        return summary
