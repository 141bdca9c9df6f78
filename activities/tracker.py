"""Follow-up tracker: each postmortem action item becomes one issue.

Issues carry the labels `warroom`, `incident-<id>` and `action-<n>`, by which the
Jira adapter searches before creating; the local tracker keeps one issue per
incident and action item. Either way a retried activity finds the issue its
first attempt made.
"""

from __future__ import annotations

from typing import Literal, Protocol

from temporalio import activity

from store.db import Database
from store.tracker import NewIssue, Tracker
from warroom.rules.requests import TrackerItem, TrackerRef


class TrackerBackend(Protocol):
    async def create(self, item: TrackerItem) -> TrackerRef: ...

    async def status(self, key: str) -> Literal["open", "done"] | None:
        """The issue's state folded to two values: "done" once it is resolved or
        closed, "open" otherwise; None when no issue has that key. Read-only, so
        the follow-up workflow may call it as often as it likes."""
        ...


class LocalTracker:
    """Issues in warroom's database (`store.tracker`), keyed `WR-<n>`; an
    action item has one issue however often its create is retried."""

    PREFIX = "WR-"

    def __init__(self, db: Database):
        self.tracker = Tracker(db)

    async def create(self, item: TrackerItem) -> TrackerRef:
        issue = await self.tracker.create(NewIssue(**item.model_dump(mode="json")))
        return TrackerRef(key=f"{self.PREFIX}{issue.id}", status=issue.status)

    async def status(self, key: str) -> Literal["open", "done"] | None:
        number = key.removeprefix(self.PREFIX)
        issue = await self.tracker.issue(int(number)) if number.isdigit() else None
        return None if issue is None else issue.status


class TrackerActivities:
    def __init__(self, backend: TrackerBackend):
        self.backend = backend

    @activity.defn
    async def create_action_item(self, item: TrackerItem) -> TrackerRef:
        return await self.backend.create(item)
