"""Maintenance windows: while a service is under planned work its alerts are
recorded and counted but open no incident and page no one; the alerts still
firing when the window ends open their incident then.

Windows are started by people (`warroom maintenance start`, `/v1/maintenance`,
kept in the database) or scheduled in warroom.toml:

    [[maintenance]]
    service = "checkout"
    start = 2026-12-05T22:00:00Z
    end = 2026-12-06T01:00:00Z
    reason = "database upgrade"
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.durations import parse_duration
from warroom.responders import Message

ALL_SERVICES = "*"


class MaintenanceWindow(BaseModel):
    """One window; `service` "*" covers every service."""

    id: str = Field(min_length=1, max_length=40)
    service: str = Field(min_length=1, max_length=100)
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=2000)
    created_by: str = "warroom.toml"
    silence_open: bool = Field(False, description="also hold the pages of the service's open incidents")
    ended_at: datetime | None = None

    @property
    def until(self) -> datetime:
        return min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at

    def covers(self, service: str | None, at: datetime) -> bool:
        return self.service in (ALL_SERVICES, service) and self.starts_at <= at < self.until


class ScheduledWindow(BaseModel):
    """`[[maintenance]]` in warroom.toml: `end`, or `for` a duration."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    service: str = Field(min_length=1, max_length=100)
    start: datetime
    end: datetime | None = None
    for_: timedelta | None = Field(None, alias="for")
    reason: str = Field(min_length=1)

    _for = field_validator("for_", mode="before")(lambda v: None if v is None else parse_duration(v))

    @model_validator(mode="after")
    def _bounded(self) -> ScheduledWindow:
        if (self.end is None) == (self.for_ is None):
            raise ValueError("a scheduled maintenance window needs `end` or `for`, not both")
        if self.start.tzinfo is None:
            raise ValueError("start: give a time zone (2026-12-05T22:00:00Z)")
        if self.window().ends_at <= self.start:
            raise ValueError("a maintenance window must end after it starts")
        return self

    def window(self) -> MaintenanceWindow:
        ends = self.end or self.start + (self.for_ or timedelta(0))
        digest = hashlib.sha256(f"{self.service}\x00{self.start.isoformat()}".encode()).hexdigest()[:10]
        return MaintenanceWindow(id=f"mw-cfg-{digest}", service=self.service, starts_at=self.start, ends_at=ends, reason=self.reason)


def covering(windows: list[MaintenanceWindow], service: str | None, at: datetime) -> MaintenanceWindow | None:
    """The window holding a service's alerts at `at` (the one ending last), or None."""
    found = [w for w in windows if w.covers(service, at)]
    return max(found, key=lambda w: w.until) if found else None


def describe(window: MaintenanceWindow) -> dict[str, Any]:
    return window.model_dump(mode="json") | {"until": window.until.isoformat()}


class HoldPages(Message):
    """Sent to a service's open incidents when a window starts with `--silence-open`
    (and again with `until` now when it ends early): no page goes out before `until`."""

    until: datetime = Field(description="pages resume at this time; a past time releases them now")
    reason: str = Field(min_length=1, max_length=2000)
