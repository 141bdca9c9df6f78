"""The alert record (every alert the gateway received and what became of it)
and the maintenance windows people start: what the dry run replays and what
the gateway consults, one repository each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update

from store.db import Database, utc
from store.tables import alert_records, maintenance_windows
from warroom.alerts import AlertEvent
from warroom.maintenance import MaintenanceWindow


class Received(NamedTuple):
    """One alert as received (before routing rules), and what warroom did with it."""

    received_at: datetime
    alert: AlertEvent
    outcome: str
    incident_id: str | None
    rule: str | None


class AlertRecords:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, received: Iterable[Received]) -> int:
        rows = [
            {"received_at": r.received_at.astimezone(UTC), "source": r.alert.source, "dedup_key": r.alert.dedup_key,
             "status": r.alert.status, "alert": r.alert.model_dump(mode="json", exclude_defaults=True),
             "outcome": r.outcome, "incident_id": r.incident_id, "rule": r.rule}
            for r in received
        ]
        if rows:
            async with self.db.transaction() as session:
                await session.execute(alert_records.insert(), rows)
        return len(rows)

    async def since(self, since: datetime) -> list[Received]:
        """In the order they arrived."""
        a = alert_records.c
        query = select(a.received_at, a.alert, a.outcome, a.incident_id, a.rule).where(a.received_at >= since.astimezone(UTC))
        async with self.db.reading() as session:
            rows = (await session.execute(query.order_by(a.id))).all()
        return [Received(utc(r.received_at), AlertEvent.model_validate(r.alert), r.outcome, r.incident_id, r.rule) for r in rows]


class MaintenanceWindows:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        async with self.db.transaction() as session:
            await session.execute(maintenance_windows.insert().values(**_row(window)))
        return window

    async def end(self, window_id: str, at: datetime) -> MaintenanceWindow | None:
        """End a window early (no later than it would have); None if unknown."""
        m = maintenance_windows.c
        async with self.db.transaction() as session:
            row = (await session.execute(select(maintenance_windows).where(m.id == window_id))).first()
            if row is None:
                return None
            window = _window(row._asdict())
            if window.until > at:
                await session.execute(update(maintenance_windows).where(m.id == window_id).values(ended_at=at.astimezone(UTC)))
                window = window.model_copy(update={"ended_at": at})
        return window

    async def current(self, at: datetime) -> list[MaintenanceWindow]:
        """Windows not over at `at` (running or still to come)."""
        m = maintenance_windows.c
        query = select(maintenance_windows).where(m.ends_at > at.astimezone(UTC)).order_by(m.starts_at)
        async with self.db.reading() as session:
            windows = [_window(r._asdict()) for r in await session.execute(query)]
        return [w for w in windows if w.until > at]


def _row(window: MaintenanceWindow) -> dict[str, Any]:
    return window.model_dump() | {
        "starts_at": window.starts_at.astimezone(UTC), "ends_at": window.ends_at.astimezone(UTC),
        "ended_at": window.ended_at.astimezone(UTC) if window.ended_at else None,
    }


def _window(row: dict[str, Any]) -> MaintenanceWindow:
    times = {k: utc(row[k]) for k in ("starts_at", "ends_at")} | {"ended_at": utc(row["ended_at"]) if row["ended_at"] else None}
    return MaintenanceWindow.model_validate(row | times)
