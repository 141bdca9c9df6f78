"""A PagerDuty Events API v2 fake (`POST /v2/enqueue`): 202 with the dedup key,
400 "invalid event" with PagerDuty's reasons, faults (429 with Retry-After, 500).

Incidents fold by dedup key as PagerDuty's do: a trigger joins the open
incident with its key (a retried trigger opens nothing new), acknowledge and
resolve move it, and a trigger after resolution opens a new one.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from tests.fakes.server import Faults, json_response

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
KEY_LENGTH = 32


def invalid(*errors: str) -> Response:
    return json_response({"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)}, 400)


class FakePagerDuty:
    def __init__(self, faults: Faults | None = None):
        self.faults = faults or Faults()
        self.events: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/v2/enqueue", self.enqueue, methods=["POST"])

    def open_incident(self, dedup_key: str) -> dict[str, Any] | None:
        return next((i for i in self.incidents if i["dedup_key"] == dedup_key and i["status"] != "resolved"), None)

    async def enqueue(self, request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return invalid("Event object is not valid JSON")
        if not isinstance(body, dict):
            return invalid("Event object must be a JSON object")
        if errors := self._errors(body):
            return invalid(*errors)
        return self.faults.write(
            lambda: self._apply(body),
            busy=lambda after: json_response(
                {"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."},
                429, {"Retry-After": str(after)},
            ),
            broken=lambda: json_response({"status": "error", "message": "Internal Server Error"}, 500),
        )

    def _errors(self, body: dict[str, Any]) -> list[str]:
        errors = []
        key = body.get("routing_key")
        if not key:
            errors.append("'routing_key' is missing or blank")
        elif len(str(key)) != KEY_LENGTH:
            errors.append(f"Length of 'routing_key' is incorrect (should be {KEY_LENGTH} characters)")
        action = body.get("event_action")
        if action not in ACTIONS:
            errors.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
        if action in ("acknowledge", "resolve") and not body.get("dedup_key"):
            errors.append("'dedup_key' is missing or blank")
        if len(str(body.get("dedup_key") or "")) > 255:
            errors.append("Length of 'dedup_key' is too long (maximum is 255 characters)")
        if action == "trigger":
            errors += self._payload_errors(body.get("payload"))
        if any(not isinstance(link, dict) or not link.get("href") for link in body.get("links") or []):
            errors.append("'links.href' is missing or blank")
        return errors

    @staticmethod
    def _payload_errors(payload: Any) -> list[str]:
        if not isinstance(payload, dict):
            return ["'payload' is missing or not a JSON object"]
        errors = [f"'payload.{name}' is missing or blank" for name in ("summary", "source") if not payload.get(name)]
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
        return errors

    def _apply(self, body: dict[str, Any]) -> Response:
        with self.lock:
            key = body.get("dedup_key") or uuid.uuid4().hex
            self.events.append(body)
            incident = self.open_incident(key)
            action = body["event_action"]
            if action == "trigger" and incident is None:
                self.incidents.append({"dedup_key": key, "status": "triggered", "alerts": [body], "log": ["trigger"]})
            elif incident is not None:
                incident["log"].append(action)
                if action == "trigger":
                    incident["alerts"].append(body)
                elif action == "acknowledge" and incident["status"] == "triggered":
                    incident["status"] = "acknowledged"
                elif action == "resolve":
                    incident["status"] = "resolved"
        return json_response({"status": "success", "message": "Event processed", "dedup_key": key}, 202)
