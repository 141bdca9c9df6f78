"""The public status page: one page incident per warroom incident, walked through
investigating -> identified -> monitoring -> resolved, with the public text and
components the incident rules chose (`warroom.rules.public`).

`LocalStatusPage` is warroom's own page (served at `GET /status`); the Statuspage
adapter talks to Atlassian Statuspage. Both find before they create, and skip an
update whose idempotency key they have already recorded.
"""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from store.db import Database
from store.statuspage import Posting, StatusPageStore
from warroom.models import StatusPageRef
from warroom.rules.requests import StatusPost


class StatusPageBackend(Protocol):
    async def publish(self, req: StatusPost) -> StatusPageRef: ...


class LocalStatusPage:
    """Warroom's own page, in warroom's database (`store.statuspage`): every
    gateway serves the same page."""

    def __init__(self, db: Database, base_url: str | None = None):
        self.store = StatusPageStore(db)
        self.base_url = base_url

    async def publish(self, req: StatusPost) -> StatusPageRef:
        await self.store.publish(Posting(
            incident_id=req.incident_id, name=req.title, service=req.service, status=req.status.value, body=req.message,
            impact=req.impact, key=req.idempotency_key, components={name: state.value for name, state in req.components.items()},
        ))
        url = f"{self.base_url}/status/incidents/{req.incident_id}" if self.base_url else None
        return StatusPageRef(id=req.incident_id, url=url)


class StatusPageActivities:
    def __init__(self, backend: StatusPageBackend):
        self.backend = backend

    @activity.defn
    async def publish_status(self, req: StatusPost) -> StatusPageRef:
        return await self.backend.publish(req)
