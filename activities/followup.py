"""Follow-through on action items (seed 004: "Action items that are not tracked and
closed are waste"). The follow-up workflow calls these every hour: collect the
items of open and archived incidents, sync their status from the tracker,
remind owners of overdue ones, and record the run (close rates per team and
service) and the statuses it saw in the database (`store/followups.py`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.chat import ChatBackend, DirectMessage
from activities.tracker import TrackerBackend
from client.incidents import INCIDENT_WORKFLOW
from store.archive import Archive
from store.db import Database
from store.followups import FollowUps, Observed
from warroom.models import ActionItem, IncidentState, Severity
from warroom.report import CloseRate, close_rates
from warroom.rules.learn import tracker_item
from warroom.rules.requests import TrackerRef
from warroom.settings import Settings


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
    def __init__(self, client: Client, settings: Settings, chat: ChatBackend, tracker: TrackerBackend, db: Database):
        self.client = client
        self.settings = settings
        self.chat = chat
        self.tracker = tracker
        self.archive = Archive(db)
        self.followups = FollowUps(db)

    def _items(self, incident_id: str, service: str, severity: Severity, items: list[ActionItem], closed: bool) -> list[TrackedItem]:
        team = self.settings.policy.service(service).team or "unassigned"
        return [
            TrackedItem(
                incident_id=incident_id, incident_closed=closed, service=service, team=team, severity=severity,
                **i.model_dump(include={"number", "title", "owner", "due", "status", "tracker_key", "tracker_url"}),
            )
            for i in items
        ]

    @activity.defn
    async def file_untracked_action_items(self) -> int:
        """File the archived incidents' items that have no tracker issue yet (agreed
        after closure, or whose filing failed during the incident) and record each
        issue's key in the record. The tracker finds an issue a retry already made."""
        filed = 0
        drill_label = self.settings.policy.drills.tracker_label
        for archived in await self.archive.action_items():
            if all(i.tracker_key for i in archived.items) or archived.drill and drill_label is None:  # a drill files nothing unlabelled
                continue
            state = await self.archive.get(archived.incident_id)
            if state is None:
                continue
            label = drill_label if state.drill is not None else None
            for item in [i for i in state.action_items if not i.tracker_key]:
                owner = self.settings.policy.people.get(item.owner)
                ref = await self.tracker.create(tracker_item(state, item, label, owner))
                await self.archive.amend(state.id, lambda s, n=item.number, ref=ref: _filed(s, n, ref))
                filed += 1
        return filed

    @activity.defn
    async def collect_action_items(self) -> list[TrackedItem]:
        """Archived incidents' items from the archive, open ones by querying their workflows
        (only those on this worker's task queue: another queue's worker answers for its own);
        each with the latest status a run recorded, where there is one."""
        # A drill's items are practice: in no close rate, chased by no reminder.
        archived = [a for a in await self.archive.action_items() if not a.drill]
        items = [i for a in archived for i in self._items(a.incident_id, a.service, a.severity, a.items, closed=True)]
        query = f"WorkflowType = '{INCIDENT_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '{self.settings.task_queue}'"
        try:
            async for wf in self.client.list_workflows(query):
                raw = await self.client.get_workflow_handle(wf.id).query("state")
                if "metrics" in raw:
                    s = IncidentState.model_validate(raw)
                    items += [] if s.drill else self._items(s.id, s.service, s.severity, s.action_items, closed=False)
        except RPCError as err:  # the time-skipping test server has no visibility to list with
            if err.status is not RPCStatusCode.UNIMPLEMENTED:
                raise
            activity.logger.warning("this Temporal server cannot list workflows; open incidents skipped")
        latest = await self.followups.latest()
        return [
            i.model_copy(update={"status": seen.status}) if (seen := latest.get((i.incident_id, i.number))) else i
            for i in items
        ]

    @activity.defn
    async def sync_action_items(self, items: list[TrackedItem]) -> list[TrackedItem]:
        """Take each item's status from the tracker (recorded by `record_follow_up`)."""
        synced = []
        for item in items:
            status = await self.tracker.status(item.tracker_key) if item.tracker_key else None
            synced.append(item.model_copy(update={"status": status}) if status and status != item.status else item)
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
        address = self.settings.policy.people.address(i.owner)
        await self.chat.direct(DirectMessage(incident_id=i.incident_id, user=i.owner, text=text, idempotency_key=key, address=address))

    @activity.defn
    async def record_follow_up(self, rec: FollowUpRecord) -> FollowUpSummary:
        """Record the run (keyed by its run id: a retry records nothing twice) with
        its close rates, and each item's status where it is new: what `warroom report` reads."""
        today = rec.at.date()
        summary = FollowUpSummary(
            items=len(rec.items),
            done=sum(i.status == "done" for i in rec.items),
            overdue=sum(i.status == "open" and i.due < today for i in rec.items),
            by_team=close_rates((i.team, i.status) for i in rec.items),
            by_service=close_rates((i.service, i.status) for i in rec.items),
        )
        observed = [Observed(i.incident_id, i.number, i.status, i.tracker_key) for i in rec.items]
        await self.followups.record(activity.info().workflow_run_id, rec.at, summary.model_dump(mode="json"), observed)
        return summary


def _filed(state: IncidentState, number: int, ref: TrackerRef) -> None:
    item = next(i for i in state.action_items if i.number == number)
    item.tracker_key, item.tracker_url = ref.key, ref.url
