"""`/v1/changes`: deploy tools record deploys, config and feature-flag changes;
incidents on the service list the recent ones as their first suspects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.changes import recent_changes, record_change
from warroom.durations import parse_duration
from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_client, get_settings
from warroom.changes import RETENTION, ChangeRequest, ChangeWindow

router = APIRouter(prefix="/v1/changes", tags=["changes"], responses=tokens.REFUSALS)


@router.post(
    "", status_code=201, summary="Record a deploy, config or feature-flag change", dependencies=[Depends(tokens.ingest)],
    responses={200: {"description": "already recorded: the same id"}, 422: {"description": "invalid change"}},
)
async def record(
    change: ChangeRequest,
    idempotency_key: Annotated[str | None, Header(max_length=200, description="a retry with the same key records once")] = None,
    client: Client = Depends(get_client),
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    if idempotency_key:
        change = change.model_copy(update={"idempotency_key": idempotency_key})
    try:
        receipt = await record_change(client, settings.task_queue, change)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise HTTPException(422, cause.message if isinstance(cause, ApplicationError) else str(cause or err)) from None
    return JSONResponse(
        {"id": receipt.id, "recorded": receipt.recorded, "href": "/v1/changes?" + urlencode({"service": change.service})},
        status_code=201 if receipt.recorded else 200,
    )


@router.get("", summary="Recent changes of a service, newest first", dependencies=[Depends(tokens.read)])
async def list_recent(
    service: Annotated[str, Query(min_length=1, max_length=100)],
    since: Annotated[str, Query(description="how far back: 24h, 3d, PT6H; at most the retention")] = "24h",
    client: Client = Depends(get_client),
) -> list[dict[str, Any]]:
    try:
        window = parse_duration(since)
    except ValueError as err:
        raise HTTPException(422, f"since: {err}") from None
    window = min(window, RETENTION)
    found = await recent_changes(client, service, ChangeWindow(since=datetime.now(UTC) - window))
    return [c.model_dump(mode="json") for c in found]
