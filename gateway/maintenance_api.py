"""`/v1/maintenance`: start, end and list maintenance windows; and the
calendar the alert intake consults.

The calendar keeps the windows in memory (the database's, re-read at most
every few seconds, plus the ones scheduled in warroom.toml), so checking an
alert costs no database round trip. A window started through this gateway
counts at once; one started elsewhere (another gateway, the CLI) within
`REFRESH_SECONDS`."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, field_validator
from temporalio.client import Client

from client.maintenance import end_early, hold_open_pages
from gateway import tokens
from gateway.http import get_client
from store.alerting import MaintenanceWindows
from store.db import Database
from warroom.durations import parse_duration
from warroom.maintenance import MaintenanceWindow, describe

REFRESH_SECONDS = 5.0
log = logging.getLogger("warroom.gateway")
router = APIRouter(prefix="/v1/maintenance", tags=["maintenance"], responses=tokens.REFUSALS)


class Calendar:
    def __init__(self, db: Database, scheduled: list[MaintenanceWindow]):
        self.store = MaintenanceWindows(db)
        self.scheduled = scheduled
        self.started: list[MaintenanceWindow] = []
        self._read_at = float("-inf")

    async def windows(self) -> list[MaintenanceWindow]:
        if time.monotonic() - self._read_at > REFRESH_SECONDS:
            self._read_at = time.monotonic()
            try:
                self.started = await self.store.current(datetime.now(UTC))
            except Exception:  # fail open: without the database, alerts still open incidents
                log.exception("could not read maintenance windows")
        return self.scheduled + self.started

    def changed(self, window: MaintenanceWindow) -> None:
        self.started = [w for w in self.started if w.id != window.id] + [window]


def calendar(request: Request) -> Calendar:
    return request.app.state.calendar


class StartWindow(BaseModel):
    service: str = Field(min_length=1, max_length=100, description='a service, or "*" for all')
    duration: str = Field(alias="for", description="how long: 2h, 90m, PT2H")
    reason: str = Field(min_length=1, max_length=2000)
    by: str = Field("api", min_length=1, max_length=200)
    silence_open: bool = Field(False, description="also hold the pages of the service's open incidents until the end")

    _duration = field_validator("duration")(lambda v: (parse_duration(v), v)[1])


@router.post("", status_code=201, summary="Start a maintenance window", dependencies=[Depends(tokens.respond)])
async def start(body: StartWindow, cal: Calendar = Depends(calendar), client: Client = Depends(get_client)) -> dict[str, Any]:
    now = datetime.now(UTC)
    window = MaintenanceWindow(
        id=f"mw-{uuid.uuid4().hex[:12]}", service=body.service, starts_at=now, ends_at=now + parse_duration(body.duration),
        reason=body.reason, created_by=body.by, silence_open=body.silence_open,
    )
    cal.changed(await cal.store.add(window))
    held = await hold_open_pages(client, window, body.by) if window.silence_open else []
    return describe(window) | {"pages_held": held}


@router.post("/{window_id}/end", summary="End a maintenance window now", dependencies=[Depends(tokens.respond)])
async def end(window_id: str, cal: Calendar = Depends(calendar), client: Client = Depends(get_client)) -> dict[str, Any]:
    window = await cal.store.end(window_id, datetime.now(UTC))
    if window is None:
        raise HTTPException(404, f"no maintenance window {window_id!r}")
    cal.changed(window)
    await end_early(client, window)
    released = await hold_open_pages(client, window, window.created_by) if window.silence_open else []
    return describe(window) | {"pages_released": released}


@router.get("", summary="Maintenance windows running or to come", dependencies=[Depends(tokens.read)])
async def list_windows(cal: Calendar = Depends(calendar)) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [describe(w) for w in await cal.store.current(now) + [w for w in cal.scheduled if w.until > now]]
