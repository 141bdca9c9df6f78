"""`/healthz` for probes (public) and `/metrics` for Prometheus (behind a token
once some token has the `metrics` scope)."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_client, get_settings

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Healthy when Temporal answers")
async def healthz(client: Client = Depends(get_client)) -> JSONResponse:
    try:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=3))
    except (RPCError, RuntimeError) as err:
        return JSONResponse({"status": "unavailable", "temporal": str(err)[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "temporal": "ok"})


@router.get(
    "/metrics", summary="Prometheus metrics: the gateway's and the Temporal SDK's", response_class=Response,
    dependencies=[Depends(tokens.metrics)], responses=tokens.REFUSALS,
)
async def metrics(request: Request, settings: Settings = Depends(get_settings)) -> Response:
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
