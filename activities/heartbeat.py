"""The heartbeat: one call to an outside dead-man's switch (healthchecks.io,
Cronitor, Dead Man's Snitch, ...: a URL that alerts when it stops being
called), made only after the database has answered. It runs as an activity of a
scheduled workflow, so a call proves Temporal, a worker polling warroom's task
queue and the database all work; when any of them stops, the calls stop.

The URL usually carries the check's secret, so it is the worker's setting,
never in workflow history, and redacted from every error."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from temporalio import activity

from activities.failures import from_status, redact, retryable
from store.db import Database

SERVICE = "Heartbeat"


class HeartbeatActivities:
    def __init__(self, url: str | None, db: Database):
        self.url = url
        self.db = db

    @activity.defn
    async def send_heartbeat(self) -> str:
        """Check the database, then POST to the switch (healthchecks-style
        switches take GET, HEAD or POST; the body shows up in their ping log)."""
        async with self.db.reading() as session:
            await session.execute(text("SELECT 1"))
        if not self.url:
            return "no WARROOM_HEARTBEAT_URL on this worker: nothing called"
        body = f"warroom: Temporal, a worker ({activity.info().task_queue}) and the database answer"
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                answer = await http.post(self.url, content=body)
        except httpx.TransportError as err:
            raise retryable(SERVICE, f"cannot reach the switch: {type(err).__name__}") from None
        if not answer.is_success:
            raise from_status(SERVICE, answer.status_code, redact(answer.text[:200], [self.url]), answer.headers.get("Retry-After"))
        return f"switch answered {answer.status_code}"
