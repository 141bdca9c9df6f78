"""The incident archive: each closed incident's record (its `state` query at
closure), which outlives Temporal's retention, and the figures reports read of
it (`warroom.report.Facts`, taken from the record as it is written).

Action items are read with the tracker status the follow-up schedule saw last
(`store/followups.py`); the stored record keeps the status it had at closure."""

from __future__ import annotations

from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, select

from store.db import Database
from store.followups import Observed, latest
from store.tables import incidents
from warroom.models import ActionItem, IncidentState, Severity
from warroom.learning import PastReport, past_report
from warroom.report import Facts


class ArchivedItems(NamedTuple):
    incident_id: str
    service: str
    severity: Severity
    items: list[ActionItem]
    drill: bool = False


def _started_since(query: Any, since: datetime | None) -> Any:
    return query if since is None else query.where(incidents.c.started_at >= since.astimezone(UTC))


def _utc(when: datetime | None) -> datetime | None:
    return when.astimezone(UTC) if when else None


class Archive:
    def __init__(self, db: Database):
        self.db = db

    async def put(self, state: IncidentState) -> None:
        """Write the incident's record: one INSERT .. ON CONFLICT by incident id, so
        a retried or duplicated archive, from any number of workers, leaves one
        row (the same row for the same state: `archived_at` stays the first
        archiving's), and a reader sees the previous record or this one, whole.
        Items agreed after closure (`amend`) survive a retry that comes later."""
        row = {
            "id": state.id, "title": state.title, "service": state.service, "severity": state.severity.value,
            "started_at": _utc(state.metrics.started_at), "closed_at": _utc(state.metrics.closed_at),
            "record": state.public(), "facts": Facts.of(state).model_dump(mode="json"),
        }
        async with self.db.transaction() as session:
            stored = await session.scalar(select(incidents.c.record).where(incidents.c.id == state.id).with_for_update())
            if stored is not None and (late := _late_items(state, IncidentState.model_validate(stored))):
                state = late
                row |= {"record": state.public(), "facts": Facts.of(state).model_dump(mode="json")}
            insert = self.db.insert(incidents).values(**row, archived_at=datetime.now(UTC))
            upsert = insert.on_conflict_do_update(index_elements=[incidents.c.id], set_={k: insert.excluded[k] for k in row if k != "id"})
            await session.execute(upsert)

    async def amend(self, incident_id: str, change: Callable[[IncidentState], Any]) -> Any:
        """Apply `change` to an archived record in one transaction (the row locked
        on PostgreSQL, writers serialized on SQLite), so two amendments never
        take the same action-item number; `change`'s answer, or None when the
        incident is not archived. An exception from `change` writes nothing."""
        query = select(incidents.c.record).where(incidents.c.id == incident_id).with_for_update()
        async with self.db.transaction() as session:
            record = await session.scalar(query)
            if record is None:
                return None
            state = IncidentState.model_validate(record)
            answer = change(state)
            values = {"record": state.public(), "facts": Facts.of(state).model_dump(mode="json")}
            await session.execute(incidents.update().where(incidents.c.id == incident_id).values(**values))
        return answer

    async def get(self, incident_id: str) -> IncidentState | None:
        async with self.db.reading() as session:
            record = await session.scalar(select(incidents.c.record).where(incidents.c.id == incident_id))
            statuses = await latest(session, [incident_id]) if record else {}
        return _with_statuses(IncidentState.model_validate(record), statuses) if record else None

    async def all(self, since: datetime | None = None) -> list[IncidentState]:
        """Every archived incident that started at `since` or later, oldest first."""
        query = _started_since(select(incidents.c.record), since).order_by(incidents.c.started_at, incidents.c.id)
        async with self.db.reading() as session:
            records = (await session.scalars(query)).all()
            statuses = await latest(session, _started_since(select(incidents.c.id), since))
        return [_with_statuses(IncidentState.model_validate(r), statuses) for r in records]

    async def facts(self, since: datetime | None = None) -> list[Facts]:
        """The report's figures of every incident that started at `since` or later:
        the small `facts` column, parsed straight from its JSON text, never the records."""
        query = _started_since(select(incidents.c.id, cast(incidents.c.facts, Text)), since)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).all()
            statuses = await latest(session, _started_since(select(incidents.c.id), since))
        found = {incident_id: Facts.model_validate_json(text) for incident_id, text in rows}
        for (incident_id, number), observed in statuses.items():
            if (f := found.get(incident_id)) and number in f.action_items:
                f.action_items[number] = observed.status
        return list(found.values())

    async def listing(
        self, severity: Severity | None = None, service: str | None = None, since: datetime | None = None, limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Closed incidents as `warroom list` shows them, newest first: a few
        columns and two small parts of each record, never whole records."""
        c = incidents.c
        query = _started_since(select(c.id, c.severity, c.service, c.title, c.record["roles"], c.record["metrics"]), since)
        if severity:
            query = query.where(c.severity == severity.value)
        if service:
            query = query.where(c.service == service)
        query = query.order_by(c.started_at.desc(), c.id).limit(limit)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            {
                "id": incident_id, "severity": sev, "phase": "closed", "service": svc, "commander": (roles or {}).get("commander", ""),
                "declared_at": _shown((metrics or {}).get("declared_at")), "title": title, "status": "archived",
            }
            for incident_id, sev, svc, title, roles, metrics in rows
        ]

    async def recent_reports(self, limit: int = 20) -> list[PastReport]:
        """The postmortems of the last `limit` closed incidents that have one (drills
        left out), newest first: a few parts of each record, read until enough."""
        c = incidents.c
        parts = (c.id, c.severity, c.service, c.title, c.record["postmortem"], c.record["metrics"], c.record["drill"], c.record["peak_severity"])
        query = select(*parts).order_by(c.closed_at.desc(), c.id)
        found: list[PastReport] = []
        async with self.db.reading() as session:
            rows = await session.stream(query)
            async for incident_id, severity, service, title, pm, metrics, drill, peak in rows:
                record = {"id": incident_id, "severity": severity, "service": service, "title": title, "postmortem": pm,
                          "metrics": metrics, "drill": drill, "peak_severity": peak}
                if (report := past_report(record)) is not None:
                    found.append(report)
                if len(found) >= limit:
                    break
        return found

    async def action_items(self) -> list[ArchivedItems]:
        """The action items of every archived incident that has any, as archived
        (`store.followups.latest` has their statuses since): the items, not whole records."""
        c = incidents.c
        query = select(c.id, c.service, c.severity, c.record["action_items"], c.record["drill"]).order_by(c.started_at, c.id)
        async with self.db.reading() as session:
            rows = (await session.execute(query)).all()
        return [
            ArchivedItems(incident_id, service, Severity(severity), [ActionItem.model_validate(i) for i in items], drill is not None)
            for incident_id, service, severity, items, drill in rows
            if items
        ]


def _late_items(state: IncidentState, stored: IncidentState) -> IncidentState | None:
    """`state` with the items agreed after closure that only the stored record has
    (and their timeline entries), or None when there are none: a late retry of the
    archive activity must not take back what was added since."""
    numbers = {i.number for i in state.action_items}
    late = [i for i in stored.action_items if i.after_closure and i.number not in numbers]
    if not late:
        return None
    entries = [e for e in stored.timeline if e not in state.timeline]
    return state.model_copy(update={"action_items": state.action_items + late, "timeline": state.timeline + entries})


def _shown(declared_at: str | None) -> str:
    """As Temporal's rows show their start (`str(datetime)`), so one list reads and sorts alike."""
    return str(datetime.fromisoformat(declared_at)) if declared_at else ""


def _with_statuses(state: IncidentState, statuses: dict[tuple[str, int], Observed]) -> IncidentState:
    items = [
        i.model_copy(update={"status": seen.status}) if (seen := statuses.get((state.id, i.number))) else i
        for i in state.action_items
    ]
    return state.model_copy(update={"action_items": items})
