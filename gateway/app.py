"""The HTTP gateway: alert intake, incidents, changes, Slack commands, the
status page, health and metrics, in one FastAPI app served by uvicorn.

Each concern is a router in its own module (the alert intake, the hot path,
an ASGI layer in front of the routers); this file assembles them, owns the
app's shared objects (settings, one Temporal client, the tokens, the alert
router, the metrics) and makes every refusal a 4xx with a readable reason.
It refuses to build an app it must not serve: `gateway.tokens.TokenError`.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.service import RPCError

from warroom.settings import Settings
from gateway import (
    alerts_api, changes_api, codec_api, incidents_api, maintenance_api, ops_api, pagerduty_webhooks, postmortems, reports_api,
    slack_commands, slack_interactions, status_page, tokens,
)
from gateway.alert_log import AlertLog
from gateway.alerts_api import AlertIntake
from store.db import Database
from gateway.http import BodyLimit, temporal_unavailable
from client.router import AlertRouter
from gateway.metrics import GatewayMetrics
from gateway.slack_http import SlackWork
from client.telemetry import TraceRequests, tracer_provider

MAX_BODY = 1024 * 1024


def create_app(settings: Settings, client: Client, tracing: TracerProvider | None = None) -> FastAPI:
    checked = tokens.Tokens.from_settings(settings)  # first: a gateway that must not start builds nothing
    checked.warn(settings)
    app = FastAPI(
        title="warroom gateway",
        version=version("warroom"),
        description="Alert intake and incident API for warroom: every incident is a durable Temporal workflow.",
        # warroom traces requests itself (TraceRequests, continuing into the Temporal
        # calls) and serves its own /metrics; FastAPI's native telemetry would double
        # them under a global OpenTelemetry provider, and checks for one on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.client = client
    app.state.tokens = checked
    app.state.alert_router = AlertRouter(client, settings)
    app.state.metrics = GatewayMetrics()
    app.state.calendar = maintenance_api.Calendar(Database(settings.database), [w.window() for w in settings.policy.maintenance])
    app.state.alert_log = AlertLog(Database(settings.database))
    app.state.slack = SlackWork(settings)
    routers = (
        incidents_api, changes_api, maintenance_api, reports_api, slack_commands, slack_interactions, pagerduty_webhooks, codec_api,
        status_page, postmortems, ops_api,
    )
    for module in routers:
        app.include_router(module.router)
    app.add_middleware(AlertIntake)
    app.add_middleware(BodyLimit, limit=MAX_BODY)  # outside the intake: it limits alert bodies too
    if settings.codec_keys is not None:  # the Temporal UI calls /codec from its own origin
        origins = (settings.codec_cors_origins or settings.ui_base).split(",")
        app.add_middleware(
            CORSMiddleware, allow_origins=[o.strip() for o in origins], allow_credentials=True,
            allow_methods=["POST"], allow_headers=["content-type", "x-namespace", "authorization"],
        )
    if provider := tracing or tracer_provider(settings):
        app.add_middleware(TraceRequests, provider=provider)
    app.add_exception_handler(RequestValidationError, _readable_validation_error)
    app.add_exception_handler(RPCError, _temporal_unavailable)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _readable_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """One line people can act on, plus FastAPI's structured errors for tools."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    reason = "; ".join(f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in errors)
    return JSONResponse({"detail": reason, "errors": [{k: e[k] for k in ("loc", "msg", "type")} for e in errors]}, 422)


async def _temporal_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if (response := temporal_unavailable(exc)) is None:
        raise exc
    return response


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the alert endpoints (served before FastAPI's
    routing, see `AlertIntake`) and the alert formats they accept."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        document.setdefault("paths", {}).update(alerts_api.openapi_paths())
        document.setdefault("components", {}).setdefault("schemas", {}).update(alerts_api.component_schemas())
        schemes = document["components"].setdefault("securitySchemes", {})
        for bearer in tokens.BEARERS:
            schemes.setdefault(bearer.scheme_name, bearer.model.model_dump(by_alias=True, exclude_none=True))
        app.openapi_schema = document
    return app.openapi_schema
