"""The built-in status page: a page incident per warroom incident, its updates
in order, and the components' state; the worker publishes, every gateway reads.

A publish is one transaction that creates the page incident if it is new and
adds the update unless its idempotency key is recorded: a retried or
concurrent publish changes nothing the second time. A posting without a body
changes only the incident's name and components (setting them twice is
setting them once).

Components are kept per incident and the page shows, for each, the worst
status over the unresolved incidents that set it: resolving one of two
incidents on "Checkout" leaves it at the other's status, and incidents never
write the same row, so concurrent publishes cannot undo each other."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select, update

from store.db import Database, utc
from store.tables import (
    status_page_components as components,
    status_page_incidents as incidents,
    status_page_updates as updates,
)
from warroom.public_state import worst

RESOLVED = "resolved"
NEWEST = (incidents.c.updated_at.desc(), incidents.c.incident_id)


class Posting(BaseModel):
    """One update, and the state it leaves its components in."""

    incident_id: str
    name: str
    service: str
    status: str
    body: str | None
    impact: str
    key: str
    components: dict[str, str]


class PageUpdate(BaseModel):
    status: str
    body: str
    at: datetime


class PageIncident(BaseModel):
    id: str
    name: str
    service: str
    status: str
    impact: str
    components: list[str]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: list[PageUpdate]  # oldest first


class StatusPage(BaseModel):
    incidents: list[PageIncident]  # most recently updated first
    components: dict[str, str]


class StatusPageStore:
    def __init__(self, db: Database):
        self.db = db

    async def publish(self, post: Posting) -> bool:
        """Record the update; False when its key was recorded before."""
        now = datetime.now(UTC)
        page = {"name": post.name, "status": post.status, "impact": post.impact, "components": list(post.components), "updated_at": now}
        created = {"incident_id": post.incident_id, "service": post.service, "created_at": now, **page}
        added = {"incident_id": post.incident_id, "key": post.key, "status": post.status, "body": post.body, "at": now}
        async with self.db.transaction() as session:
            await session.execute(self.db.insert(incidents).values(**created).on_conflict_do_nothing())
            if post.body is not None:
                new = self.db.insert(updates).values(**added).on_conflict_do_nothing().returning(updates.c.id)
                if (await session.execute(new)).first() is None:
                    return False
                page["resolved_at"] = now if post.status == RESOLVED else None
            await session.execute(update(incidents).where(incidents.c.incident_id == post.incident_id).values(**page))
            mine = components.c.incident_id == post.incident_id
            await session.execute(delete(components).where(mine, components.c.name.not_in(list(post.components))))
            for name, state in sorted(post.components.items()):  # one order: a retry racing its original never deadlocks
                insert = self.db.insert(components).values(incident_id=post.incident_id, name=name, status=state, updated_at=now)
                await session.execute(insert.on_conflict_do_update(
                    index_elements=[components.c.incident_id, components.c.name], set_={"status": state, "updated_at": now},
                ))
        return True

    async def page(self, history: int | None = None) -> StatusPage:
        """Every current incident and the `history` most recently resolved
        ones (all when None), with their updates, and every component."""
        past = select(incidents.c.incident_id).where(incidents.c.status == RESOLVED).order_by(*NEWEST).limit(history)
        return await self._read(select(incidents).where((incidents.c.status != RESOLVED) | incidents.c.incident_id.in_(past)))

    async def incident(self, incident_id: str) -> PageIncident | None:
        """One page incident with its updates, current or past; None if it was never public."""
        page = await self._read(select(incidents).where(incidents.c.incident_id == incident_id))
        return page.incidents[0] if page.incidents else None

    async def _read(self, shown: Any) -> StatusPage:
        async with self.db.reading() as session:
            rows = (await session.execute(shown.order_by(*NEWEST))).mappings().all()
            ids = [row["incident_id"] for row in rows]
            posted = (await session.execute(
                select(updates).where(updates.c.incident_id.in_(ids)).order_by(updates.c.id)
            )).mappings().all()
            held = (await session.execute(
                select(components.c.name, components.c.status, incidents.c.status)
                .join(incidents, incidents.c.incident_id == components.c.incident_id).order_by(components.c.name)
            )).all()
        by_incident: dict[str, list[PageUpdate]] = {id: [] for id in ids}
        for row in posted:
            by_incident[row["incident_id"]].append(PageUpdate(status=row["status"], body=row["body"], at=utc(row["at"])))
        return StatusPage(
            incidents=[_incident(row, by_incident[row["incident_id"]]) for row in rows], components=_shown(held)
        )


def _shown(held: Any) -> dict[str, str]:
    """Every component any incident named, at the worst status an unresolved one holds."""
    unresolved: dict[str, list[str]] = {}
    for name, state, incident_status in held:
        unresolved.setdefault(name, []).extend([state] if incident_status != RESOLVED else [])
    return {name: worst(states).value for name, states in unresolved.items()}


def _incident(row: Mapping[str, Any], posted: list[PageUpdate]) -> PageIncident:
    times = {name: row[name] and utc(row[name]) for name in ("created_at", "updated_at", "resolved_at")}
    return PageIncident(**{**row, **times, "id": row["incident_id"], "updates": posted})
