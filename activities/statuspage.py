"""The public status page: one page incident per warroom incident, walked through
investigating -> identified -> monitoring -> resolved with the seeds' wording.

`LocalStatusPage` is warroom's own page (served at `GET /status`); the Statuspage
adapter talks to Atlassian Statuspage. Both find before they create, and skip an
update whose idempotency key they have already recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from temporalio import activity

from activities.store import JsonStore
from warroom.models import PublicStatus, StatusPageRef
from warroom.rules.requests import StatusPost


class StatusPageBackend(Protocol):
    async def publish(self, req: StatusPost) -> StatusPageRef: ...


COMPONENT_STATUS = {
    "critical": "major_outage",
    "major": "partial_outage",
    "minor": "degraded_performance",
    "none": "operational",
}


class LocalStatusPage:
    def __init__(self, data_dir: Path, base_url: str | None = None):
        self.store = JsonStore(data_dir / "statuspage.json", {"incidents": {}, "components": {}})
        self.base_url = base_url

    async def publish(self, req: StatusPost) -> StatusPageRef:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.store.edit() as doc:
            page = doc["incidents"].setdefault(
                req.incident_id,
                {"id": req.incident_id, "name": req.title, "service": req.service, "created_at": now, "updates": []},
            )
            if all(u["key"] != req.idempotency_key for u in page["updates"]):
                page["updates"].append(
                    {"at": now, "status": req.status.value, "body": req.message, "key": req.idempotency_key}
                )
                page.update(status=req.status.value, impact=req.impact, components=req.components, updated_at=now)
                resolved = req.status is PublicStatus.RESOLVED
                page["resolved_at"] = now if resolved else None
                for component in req.components:
                    doc["components"][component] = COMPONENT_STATUS["none" if resolved else req.impact]
        url = f"{self.base_url}/status#{req.incident_id}" if self.base_url else None
        return StatusPageRef(id=req.incident_id, url=url)


class StatusPageActivities:
    def __init__(self, backend: StatusPageBackend):
        self.backend = backend

    @activity.defn
    async def publish_status(self, req: StatusPost) -> StatusPageRef:
        return await self.backend.publish(req)
