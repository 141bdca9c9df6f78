"""Client-side incident operations shared by the CLI and the gateway: naming,
starting and reading incident workflows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle

from client.search_attributes import COMMANDER, PHASE, SERVICE, SEVERITY
from warroom import models as m
from warroom.settings import Settings

INCIDENT_WORKFLOW = "IncidentWorkflow"


def incident_id(text: str) -> str:
    """`inc-1a2b3c4d`, or just `1a2b3c4d`."""
    text = text.strip()
    return text if text.startswith("inc-") else f"inc-{text}"


async def start_incident(client: Client, settings: Settings, workflow_id: str, inp: m.IncidentInput, **options: Any) -> WorkflowHandle:
    """The one way every caller (CLI, gateway, Slack, alert routing) starts an
    incident: with its title memo and the Temporal UI's summary. `options` go to
    `start_workflow` (an alert's signal-with-start and its id policies)."""
    return await client.start_workflow(
        INCIDENT_WORKFLOW, inp, id=workflow_id, task_queue=settings.task_queue, **inp.start_options(), **options
    )


def list_query(
    severity: str | None = None, phase: str | None = None, service: str | None = None, since: datetime | None = None,
) -> str:
    """A visibility query over open incidents (closed ones are read from the
    archive); raises ValueError on an unknown severity or phase."""
    clauses = [f"WorkflowType = '{INCIDENT_WORKFLOW}'", "ExecutionStatus = 'Running'"]
    if severity:
        clauses.append(f"{SEVERITY.name} = '{m.Severity.parse(severity).value}'")
    if phase:
        clauses.append(f"{PHASE.name} = '{m.Phase(phase.lower()).value}'")
    if service:
        clauses.append(f"{SERVICE.name} = '{_literal(service)}'")
    if since:
        clauses.append(f"StartTime >= '{since.astimezone(UTC).isoformat()}'")
    return " AND ".join(clauses)


async def list_incidents(client: Client, query: str, limit: int = 50) -> list[dict[str, Any]]:
    """Incidents newest first, from search attributes and memo (no query per incident)."""
    rows = []
    async for wf in client.list_workflows(query, limit=limit):
        found = {pair.key.name: pair.value for pair in wf.typed_search_attributes}
        try:
            memo = await wf.memo()
        except KeyError:  # encrypted with WARROOM_CODEC_KEYS this process does not have
            memo = {"title": "(encrypted)"}
        rows.append({
            "id": wf.id,
            "severity": str(found.get(SEVERITY.name, "")),
            "phase": str(found.get(PHASE.name, "")),
            "service": str(found.get(SERVICE.name, "")),
            "commander": str(found.get(COMMANDER.name, "")),
            "declared_at": str(wf.start_time),
            "title": memo.get("title", ""),
            "status": wf.status.name.lower() if wf.status else "",
        })
    return rows


def _literal(text: str) -> str:
    """A string safe inside a visibility query's quotes."""
    return "".join(c for c in text if c.isprintable() and c not in "'\\\"")
