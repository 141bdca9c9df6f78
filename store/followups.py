"""The follow-up schedule's record: one row per run (what it found, the close
rates), and each action item's tracker status over time, a row whenever a run
first sees an item or sees its status change. Reports take an item's latest
status from here; the archived record keeps the status it had at closure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.tables import action_item_statuses, follow_up_runs


class Observed(NamedTuple):
    """An action item's status as a run saw it in the tracker."""

    incident_id: str
    number: int
    status: str
    tracker_key: str | None


async def latest(session: AsyncSession, incident_ids: Any = None) -> dict[tuple[str, int], Observed]:
    """Each action item's newest recorded status, by (incident id, number);
    `incident_ids` (a list, or a SELECT of ids) limits it to those incidents.
    An item has a row or two (first sight, then changes), so reading them in
    order and keeping the last is cheaper than ranking them in SQL."""
    s = action_item_statuses.c
    query = select(s.incident_id, s.number, s.status, s.tracker_key).order_by(s.observed_at, s.run_id)
    if incident_ids is not None:
        query = query.where(s.incident_id.in_(incident_ids))
    return {(row.incident_id, row.number): Observed(*row) for row in await session.execute(query)}


class FollowUps:
    def __init__(self, db: Database):
        self.db = db

    async def record(self, run_id: str, ran_at: datetime, summary: dict[str, Any], observed: Iterable[Observed]) -> int:
        """One run's summary and the statuses it saw, in one transaction. An item
        gets a row when its status or tracker issue differs from the newest one
        recorded, so a retried run, or one that saw nothing change, adds none.
        Returns how many status rows it added."""
        at = ran_at.astimezone(UTC)
        async with self.db.transaction() as session:
            run = self.db.insert(follow_up_runs).values(run_id=run_id, ran_at=at, summary=summary)
            await session.execute(run.on_conflict_do_nothing(index_elements=[follow_up_runs.c.run_id]))
            known = await latest(session)
            rows = [
                {**o._asdict(), "run_id": run_id, "observed_at": at}
                for key, o in {(o.incident_id, o.number): Observed(*o) for o in observed}.items()
                if known.get(key) != o
            ]
            if rows:
                await session.execute(self.db.insert(action_item_statuses).on_conflict_do_nothing(), rows)
        return len(rows)

    async def latest(self) -> dict[tuple[str, int], Observed]:
        async with self.db.reading() as session:
            return await latest(session)

    async def run(self, run_id: str) -> dict[str, Any] | None:
        """A run's summary, or None when it recorded none."""
        async with self.db.reading() as session:
            return await session.scalar(select(follow_up_runs.c.summary).where(follow_up_runs.c.run_id == run_id))

    async def history(self, incident_id: str, number: int) -> list[tuple[datetime, str, str]]:
        """(observed at, status, run id) of one action item, oldest first."""
        s = action_item_statuses.c
        query = select(s.observed_at, s.status, s.run_id).where(s.incident_id == incident_id, s.number == number)
        async with self.db.reading() as session:
            rows = (await session.execute(query.order_by(s.observed_at))).all()
        return [(at if at.tzinfo else at.replace(tzinfo=UTC), status, run_id) for at, status, run_id in rows]
