"""`/healthz` (the process is alive) and `/readyz` (warroom can run an
incident now: see `gateway.readiness`) for probes and people, both public, and
`/metrics` for Prometheus (behind a token once some token has the `metrics` scope)."""

from __future__ import annotations

from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.client import Client

from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_client, get_settings
from gateway.readiness import Readiness, readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Alive: the process answers (it checks nothing else)")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/readyz", summary="Ready: Temporal answers, a worker polled the task queue recently, the database answers",
    response_model=Readiness, responses={503: {"model": Readiness, "description": "not ready; `failed` names the checks that failed"}},
)
async def readyz(
    client: Client = Depends(get_client), settings: Settings = Depends(get_settings),
    skip: Annotated[list[Literal["temporal", "pollers", "database"]], Query(description="checks to leave out")] = [],  # noqa: B006
) -> JSONResponse:
    answer = await readiness(client, settings, skip)
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if answer.ready else 503)


@router.get(
    "/metrics", summary="Prometheus metrics: the gateway's and the Temporal SDK's", response_class=Response,
    dependencies=[Depends(tokens.metrics)], responses=tokens.REFUSALS,
)
async def metrics(request: Request, settings: Settings = Depends(get_settings), client: Client = Depends(get_client)) -> Response:
    await request.app.state.metrics.refresh(client, settings)
    text = generate_latest(request.app.state.metrics.registry)
    if settings.sdk_metrics_address:
        text += await _sdk_metrics(settings.sdk_metrics_address)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


async def _sdk_metrics(address: str) -> bytes:
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            response = await http.get(f"http://{address}/metrics")
            response.raise_for_status()
    except httpx.HTTPError as err:
        return f"# Temporal SDK metrics unavailable: {type(err).__name__}\n".encode()
    return response.content
