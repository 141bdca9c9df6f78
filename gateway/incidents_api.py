"""`/v1/incidents`: declare an incident by hand, list incidents, read one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import Field, field_validator
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from warroom import models as m
from warroom.drills import Drill
from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_client, get_settings
from client.incidents import incident_id, start_incident
from gateway.reading import find_incident, find_incidents, since_time
from store.db import Database

router = APIRouter(prefix="/v1/incidents", tags=["incidents"], responses=tokens.REFUSALS)


class Declaration(m.Strict):
    title: str = Field(min_length=1, max_length=300)
    service: str = Field("unknown", min_length=1, max_length=100)
    severity: m.Severity | None = Field(None, description="omitted: classified from impact by the policy")
    impact: m.Impact = Field(default_factory=m.Impact)
    commander: str | None = Field(None, max_length=100)
    declared_by: str = Field("api", min_length=1, max_length=100)
    started_at: datetime | None = Field(None, description="when impact began (ISO 8601); omitted: unknown, no time to detect")
    drill: bool = Field(False, description="a drill: marked DRILL, reaching only its participants, in no metric")
    participants: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="a drill's participants (default: the commander, else who declared it)",
    )

    _sev = field_validator("severity", mode="before")(lambda v: None if v is None else m.Severity.parse(v))

    @field_validator("started_at")
    @classmethod
    def _in_the_past(cls, when: datetime | None) -> datetime | None:
        when = when if when is None or when.tzinfo else when.replace(tzinfo=UTC)
        if when and when > datetime.now(UTC):
            raise ValueError("impact cannot begin in the future")
        return when


@router.post("", status_code=201, summary="Declare an incident", dependencies=[Depends(tokens.respond)])
async def declare(
    declaration: Declaration,
    idempotency_key: Annotated[str | None, Header(max_length=200, description="a retry with the same key gets the same incident")] = None,
    client: Client = Depends(get_client),
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    fields = declaration.model_dump(exclude={"drill", "participants"})
    if declaration.participants and not declaration.drill:
        raise HTTPException(422, "participants are for drills: add \"drill\": true")
    people = declaration.participants or [declaration.commander or declaration.declared_by]
    inp = m.IncidentInput(**fields, source="manual", drill=Drill(participants=people) if declaration.drill else None)
    workflow_id = (
        f"inc-{hashlib.sha256(idempotency_key.encode()).hexdigest()[:8]}" if idempotency_key else f"inc-{secrets.token_hex(4)}"
    )
    handle = await start_incident(client, settings, workflow_id, inp, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
    return JSONResponse(
        {"id": handle.id, "temporal_ui": settings.workflow_url(handle.id), "href": f"/v1/incidents/{handle.id}"},
        status_code=201,
    )


@router.get("", summary="List incidents, newest first", dependencies=[Depends(tokens.read)])
async def list_all(
    severity: str | None = None,
    phase: str | None = None,
    service: str | None = None,
    open: Annotated[bool | None, Query(description="true: only open; false: only closed")] = None,
    since: Annotated[str | None, Query(description="started this long ago or later (7d, PT6H) or since an ISO 8601 time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    client: Client = Depends(get_client),
    settings: Settings = Depends(get_settings),
) -> list[dict[str, Any]]:
    """Open incidents from Temporal, closed ones from the archive: one list, newest first."""
    try:
        start = since_time(since, datetime.now(UTC))
        return await find_incidents(client, Database(settings.database), severity, phase, service, open, start, limit)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    except RPCError as err:
        if err.status is RPCStatusCode.INVALID_ARGUMENT:  # a filter value Temporal's query language refuses
            raise HTTPException(422, f"unusable filter: {err.message}") from None
        raise


@router.get(
    "/{incident}", summary="One incident: roles, deadlines, timeline, alerts, action items", dependencies=[Depends(tokens.read)],
)
async def show(incident: str, client: Client = Depends(get_client), settings: Settings = Depends(get_settings)) -> dict[str, Any]:
    """The archived record once closed, else the live state."""
    try:
        found = await find_incident(client, Database(settings.database), incident)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise HTTPException(404, f"no incident {incident_id(incident)}") from None
        raise
    return found
