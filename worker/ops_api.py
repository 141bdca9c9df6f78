"""`/healthz` for probes and `/metrics` for Prometheus."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from worker.http import get_client

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Healthy when Temporal answers")
async def healthz(client: Client = Depends(get_client)) -> JSONResponse:
    try:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timedelta(seconds=3))
    except (RPCError, RuntimeError) as err:
        return JSONResponse({"status": "unavailable", "temporal": str(err)[:200]}, status_code=503)
    return JSONResponse({"status": "ok", "temporal": "ok"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
