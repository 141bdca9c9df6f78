"""`POST /v1/alerts/{source}`: alerts in, incidents out.

The body is parsed by the source's parser before anything else happens, so a
malformed payload is a 400 or 422 with the reason and touches no workflow.
Accepted alerts are routed (see `client.router`) and answered with 202
and the incident ids once Temporal holds them durably.
"""

from __future__ import annotations

import json
import re
from collections import Counter
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.service import RPCError

from warroom import routing
from warroom.alerts import AlertEvent
from warroom.maintenance import MaintenanceWindow, covering
from warroom.routing import Decision
from client.maintenance import hold
from gateway.alert_log import AlertLog
from gateway.maintenance_api import Calendar
from store.alerting import Received
from warroom.intake import PARSERS, Intake, IntakeError, alertmanager, datadog, generic, grafana_legacy, pagerduty
from warroom.policy import Policy
from gateway.http import temporal_unavailable
from gateway.tokens import INGEST, Tokens
from client.router import AlertRouter, Routed
from gateway.metrics import GatewayMetrics

SCHEMAS: dict[str, list[type[BaseModel]]] = {
    "alertmanager": [alertmanager.AlertmanagerNotification],
    "grafana": [alertmanager.AlertmanagerNotification, grafana_legacy.LegacyNotification],
    "pagerduty": [pagerduty.PagerDutyEvent],
    "datadog": [datadog.DatadogNotification],
    "generic": [],  # any JSON object
    "generic/{name}": [],
}
REF = "#/components/schemas/{model}"
DESCRIPTIONS = {
    "alertmanager": "Prometheus Alertmanager webhook (version 4). One alert group is one incident.",
    "grafana": "Grafana unified alerting webhook (one alert group is one incident), or legacy dashboard alerting (one rule).",
    "pagerduty": "PagerDuty Events API v2 event: trigger, acknowledge or resolve.",
    "datadog": "Datadog Webhooks integration: its default payload or any template of $VARIABLES (best key: $ALERT_CYCLE_KEY).",
    "generic": 'Any JSON object (title from name/title/message/summary/text), or {"alerts": [...]} of them.',
    "generic/{name}": "Any JSON object, read through the [intake.generic.<name>] field mapping in warroom.toml.",
}

PREFIX = "/v1/alerts/"
NAMED = re.compile(r"generic/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class AlertIntake:
    """The alert endpoints as a plain ASGI layer in front of FastAPI's routing.

    In an alert storm FastAPI's per-request machinery (matching every route, a
    request object, exception and exit-stack wrappers, dependency solving)
    measured a sixth of the gateway's CPU; these endpoints take a body and give
    202 or a reason, and need none of it. Every other request goes on to the
    app. Their OpenAPI description is `openapi_paths`."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        source = scope["path"].removeprefix(PREFIX) if scope["type"] == "http" else None
        if source is None or not scope["path"].startswith(PREFIX) or (source not in PARSERS and not NAMED.fullmatch(source)):
            return await self.app(scope, receive, send)
        if scope["method"] != "POST":
            response = JSONResponse({"detail": "Method Not Allowed"}, 405, headers={"Allow": "POST"})
        else:
            response = await self._receive(source, scope, receive)
        await response(scope, receive, send)

    async def _receive(self, source: str, scope: Scope, receive: Receive) -> JSONResponse:
        app = scope["app"]
        metrics: GatewayMetrics = app.state.metrics
        started = time.perf_counter()
        policy: Policy = app.state.settings.policy  # loaded once, cached by the settings
        # a named generic source has metrics of its own once configured (names in URLs are unbounded)
        label = source if source in PARSERS or source.removeprefix("generic/") in policy.intake.generic else "generic"
        try:
            tokens: Tokens = app.state.tokens
            tokens.check(_header(scope, b"authorization"), INGEST)
            try:
                intake = _parse(source, _json(await _body(receive)), policy)
            except IntakeError as err:
                raise HTTPException(422, str(err)) from None
        except HTTPException as err:
            metrics.rejected.labels(label, str(err.status_code)).inc()
            return JSONResponse({"detail": err.detail}, err.status_code, headers=err.headers)
        decisions = routing.decide(policy.routing, intake)
        calendar: Calendar = app.state.calendar
        windows = await calendar.windows()
        now = datetime.now(UTC)
        held = {i: w for i, d in enumerate(decisions) if not d.dropped and windows and (w := covering(windows, d.alert.service, now))}
        go = replace(intake, alerts=[d.alert for i, d in enumerate(decisions) if not d.dropped and i not in held])
        alert_router: AlertRouter = app.state.alert_router
        try:
            routed = await alert_router.route(go) if go.alerts or go.acknowledged else []
            routed += await _hold(app, decisions, held)
        except RPCError as err:
            if (unavailable := temporal_unavailable(err)) is None:
                raise
            return unavailable
        routed += [Routed(None, "dropped", d.alert.source, d.alert.dedup_key, d.alert.count) for d in decisions if d.dropped]
        _record(app.state.alert_log, now, intake, decisions, held, routed)
        for r in routed:
            metrics.alerts.labels(label, r.outcome).inc(max(r.alerts, 1))
        metrics.routing.labels(label).observe(time.perf_counter() - started)
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


async def _hold(app: Any, decisions: list[Decision], held: dict[int, MaintenanceWindow]) -> list[Routed]:
    """Hand the alerts maintenance windows cover to each window's workflow."""
    by_window: dict[str, tuple[MaintenanceWindow, list[AlertEvent]]] = {}
    for i, window in held.items():
        by_window.setdefault(window.id, (window, []))[1].append(decisions[i].alert)
    for window, alerts in by_window.values():
        await hold(app.state.client, app.state.settings, window, alerts)
    counts: Counter[tuple[str, str]] = Counter()
    for i in held:
        counts[(decisions[i].alert.source, decisions[i].alert.dedup_key)] += decisions[i].alert.count
    return [Routed(None, "held", source, key, count) for (source, key), count in counts.items()]


def _record(log: AlertLog, now: datetime, intake: Intake, decisions: list[Decision], held: dict[int, Any], routed: list[Routed]) -> None:
    """Note every alert as received (before the rules), with what became of it."""
    if not intake.alerts:
        return
    outcomes = {(r.source, r.dedup_key): r for r in routed if r.outcome not in ("dropped", "held")}
    received = []
    for i, (alert, d) in enumerate(zip(intake.alerts, decisions, strict=True)):
        r = outcomes.get((d.alert.source, d.alert.dedup_key))
        outcome = "dropped" if d.dropped else "held" if i in held else r.outcome if r else "ignored"
        received.append(Received(now, alert, outcome, r.incident_id if r and outcome not in ("dropped", "held") else None, d.rule))
    log.note(received)


def _parse(source: str, body: Any, policy: Policy) -> Intake:
    """The source's parser; `generic/<name>` with that name's field mapping."""
    if source in PARSERS:
        return PARSERS[source](body)
    name = source.removeprefix("generic/")
    return generic.parse_named(body, name, policy.intake.generic.get(name))


def _header(scope: Scope, name: bytes) -> bytes:
    return next((value for key, value in scope["headers"] if key == name), b"")


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPException(400, "the client went away before its body arrived")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


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


def openapi_paths() -> dict[str, Any]:
    """The alert endpoints' part of the gateway's OpenAPI document."""
    error = {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}}
    refused = {
        "400": "not JSON", "401": "missing or unknown bearer token", "403": "the token lacks the ingest scope",
        "413": "body above 1 MiB",
        "422": "malformed or incomplete alert", "503": "Temporal unavailable; retry",
    }
    paths = {}
    for source, models in SCHEMAS.items():
        refs = [{"$ref": REF.format(model=model.__name__)} for model in models] or [{"type": "object"}]
        paths[PREFIX + source] = {"post": {
            "tags": ["alerts"],
            "summary": f"Receive {source} alerts",
            "description": DESCRIPTIONS[source],
            "operationId": f"alerts_{source.replace('/{name}', '_named')}",
            "security": [{INGEST: []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}},
            },
            "responses": {
                "202": {"description": "the incidents that took the alerts", "content": {"application/json": {"schema": ROUTED}}},
                **{status: {"description": why, "content": error} for status, why in refused.items()},
            },
        }}
    return paths


ROUTED = {
    "type": "object",
    "required": ["incidents", "routed"],
    "properties": {
        "incidents": {"type": "array", "items": {"type": "string"}},
        "routed": {"type": "array", "items": {"type": "object", "properties": {
            "incident_id": {"type": ["string", "null"]}, "outcome": {"type": "string"},
            "dedup_key": {"type": "string"}, "alerts": {"type": "integer"},
        }}},
    },
}
