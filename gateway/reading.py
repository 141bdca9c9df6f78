"""The read model the API and the CLI share: incidents from Temporal while they
are open and from the archive once closed, as one list; one incident wherever
it is; the report over the archive. `warroom list|show|report` print this
locally and, with `--url`, what the gateway answers from the same functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from client.incidents import incident_id, list_incidents, list_query
from store.archive import Archive
from store.db import Database
from warroom import models as m
from warroom import report as reports
from warroom.durations import parse_duration
from warroom.settings import Settings


def since_time(since: str | None, now: datetime) -> datetime | None:
    """`7d`, `PT6H`, or an ISO 8601 time; None for everything. ValueError for people."""
    if not since or since == "all":
        return None
    try:
        return now - parse_duration(since)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(since)
    except ValueError:
        raise ValueError(f"since must be a duration (7d, 12h, PT6H) or an ISO 8601 time, not {since!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def find_incidents(
    client: Client, db: Database, severity: str | None = None, phase: str | None = None, service: str | None = None,
    open_only: bool | None = None, since: datetime | None = None, limit: int = 50,
) -> list[dict[str, Any]]:
    """Newest first: open incidents from Temporal's visibility, closed ones from
    the archive (which outlives Temporal's retention). ValueError on a bad filter."""
    query = list_query(severity, phase, service, since)
    want_open = open_only is not False and phase != m.Phase.CLOSED.value
    want_closed = open_only is not True and phase in (None, m.Phase.CLOSED.value)
    rows = await list_incidents(client, query, limit) if want_open else []
    if want_closed:
        level = m.Severity.parse(severity) if severity else None
        rows += await Archive(db).listing(level, service, since, limit)
    unique = {row["id"]: row for row in rows}  # a closing incident may still run a moment
    return sorted(unique.values(), key=_declared, reverse=True)[:limit]


def _declared(row: dict[str, Any]) -> datetime:
    try:
        when = datetime.fromisoformat(str(row["declared_at"]))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def find_incident(client: Client, db: Database, incident: str) -> dict[str, Any]:
    """The whole incident: its `state` query while Temporal has it, else the
    archived record (one past Temporal's retention); an unknown one raises
    Temporal's NOT_FOUND `RPCError`."""
    wanted = incident_id(incident)
    try:
        return await client.get_workflow_handle(wanted).query("state")
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        archived = await Archive(db).get(wanted)
        if archived is None:
            raise
        return archived.public()


async def build_report(settings: Settings, since: str, night: str, now: datetime) -> reports.Report:
    """The report over archived incidents that started within `since` of now."""
    window: timedelta | None = None if since == "all" else parse_duration(since)
    try:
        start, end = (int(hour) for hour in night.split("-"))
    except ValueError:
        raise ValueError(f"night must look like 22-7 (local hours of each person), not {night!r}") from None
    teams = {name: svc.team for name, svc in settings.policy.services.items() if svc.team}
    facts = await Archive(Database(settings.database)).facts(now - window if window else None)
    zones = {handle: person.timezone for handle, person in settings.policy.people.root.items()}
    return reports.build(facts, now, window, teams, (start, end), zones)
