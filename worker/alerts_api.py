"""`POST /v1/alerts/{source}`: alerts in, incidents out.

The body is parsed by the source's parser before anything else happens, so a
malformed payload is a 400 or 422 with the reason and touches no workflow.
Accepted alerts are routed (see `activities.routing`) and answered with 202
and the incident ids once Temporal holds them durably.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from warroom.intake import PARSERS, IntakeError, alertmanager, datadog, generic, pagerduty
from worker.http import require_token
from activities.routing import AlertRouter
from worker.metrics import GatewayMetrics

SCHEMAS: dict[str, list[type[BaseModel]]] = {
    "alertmanager": [alertmanager.AlertmanagerNotification],
    "grafana": [alertmanager.AlertmanagerNotification],
    "pagerduty": [pagerduty.PagerDutyEvent],
    "datadog": [datadog.DatadogNotification],
    "generic": [generic.GenericAlert, generic.GenericBatch],
}
REF = "#/components/schemas/{model}"
DESCRIPTIONS = {
    "alertmanager": "Prometheus Alertmanager webhook (version 4). One alert group is one incident.",
    "grafana": "Grafana unified alerting webhook. One alert group is one incident.",
    "pagerduty": "PagerDuty Events API v2 event: trigger, acknowledge or resolve.",
    "datadog": "Datadog webhook with warroom's payload template, keyed on $ALERT_CYCLE_KEY.",
    "generic": 'One alert object, or {"alerts": [...]} of them.',
}

# The token is checked in the handler, not as a router dependency: FastAPI's
# dependency solving measured a tenth of the gateway's time in an alert storm.
router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


def _endpoint(source: str):
    async def receive(request: Request) -> JSONResponse:
        await require_token(request)
        app = request.app
        metrics: GatewayMetrics = app.state.metrics
        started = time.perf_counter()
        try:
            intake = PARSERS[source](_json(await request.body()))
        except HTTPException as err:
            metrics.rejected.labels(source, str(err.status_code)).inc()
            raise
        except IntakeError as err:
            metrics.rejected.labels(source, "422").inc()
            raise HTTPException(422, str(err)) from None
        alert_router: AlertRouter = app.state.alert_router
        routed = await alert_router.route(intake)
        for r in routed:
            metrics.alerts.labels(source, r.outcome).inc(max(r.alerts, 1))
        metrics.routing.labels(source).observe(time.perf_counter() - started)
        body: dict[str, Any] = {
            "incidents": list(dict.fromkeys(r.incident_id for r in routed if r.incident_id)),
            "routed": [
                {"incident_id": r.incident_id, "outcome": r.outcome, "dedup_key": r.dedup_key, "alerts": r.alerts}
                for r in routed
            ],
        }
        if source == "pagerduty":  # what PagerDuty's own API answers, for clients that read it
            body |= {"status": "success", "message": "Event processed", "dedup_key": routed[0].dedup_key if routed else None}
        return JSONResponse(body, status_code=202)

    return receive


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise HTTPException(400, "body is not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise HTTPException(400, f"body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None


def component_schemas() -> dict[str, Any]:
    """The alert formats as OpenAPI components, for the gateway's document."""
    found: dict[str, Any] = {}
    for models in SCHEMAS.values():
        for model in models:
            schema = model.model_json_schema(ref_template=REF)
            found |= schema.pop("$defs", {}) | {model.__name__: schema}
    return found


for _source, _models in SCHEMAS.items():
    _refs = [{"$ref": REF.format(model=model.__name__)} for model in _models]
    router.add_api_route(
        f"/{_source}",
        _endpoint(_source),
        methods=["POST"],
        status_code=202,
        summary=f"Receive {_source} alerts",
        description=DESCRIPTIONS[_source],
        name=f"alerts_{_source}",
        responses={
            400: {"description": "not JSON"}, 401: {"description": "missing or wrong bearer token"},
            413: {"description": "body above 1 MiB"}, 422: {"description": "malformed or incomplete alert"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _refs[0] if len(_refs) == 1 else {"anyOf": _refs}}},
            }
        },
    )
