"""Follow-up tracker: each postmortem action item becomes one issue.

Issues carry the labels `warroom`, `incident-<id>` and `action-<n>`; both the
local tracker and the Jira adapter search by them before creating, so a retried
activity finds the issue its first attempt made.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from temporalio import activity

from activities.store import JsonStore
from warroom.rules.requests import TrackerItem, TrackerRef


class TrackerBackend(Protocol):
    async def create(self, item: TrackerItem) -> TrackerRef: ...

    async def status(self, key: str) -> Literal["open", "done"] | None:
        """The issue's state folded to two values: "done" once it is resolved or
        closed, "open" otherwise; None when no issue has that key. Read-only, so
        the follow-up workflow may call it as often as it likes."""
        ...


class LocalTracker:
    def __init__(self, data_dir: Path):
        self.store = JsonStore(data_dir / "tracker.json", {"issues": {}})

    async def create(self, item: TrackerItem) -> TrackerRef:
        with self.store.edit() as doc:
            for key, issue in doc["issues"].items():
                if set(item.labels) <= set(issue["labels"]):
                    return TrackerRef(key=key, status=issue["status"])
            key = f"WR-{len(doc['issues']) + 1}"
            doc["issues"][key] = {
                **item.model_dump(mode="json", exclude={"number", "incident_id"}),
                "labels": item.labels,
                "status": "open",
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        return TrackerRef(key=key)

    async def status(self, key: str) -> Literal["open", "done"] | None:
        issue = self.store.read()["issues"].get(key)
        return None if issue is None else issue["status"]


class TrackerActivities:
    def __init__(self, backend: TrackerBackend):
        self.backend = backend

    @activity.defn
    async def create_action_item(self, item: TrackerItem) -> TrackerRef:
        return await self.backend.create(item)
