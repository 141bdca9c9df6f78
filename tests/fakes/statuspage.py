"""An Atlassian Statuspage REST API fake (`/v1/pages/<page>/...`): OAuth key
auth (401), unknown page or incident (404), validation (422), faults (429/500).

As on Statuspage, a component's status is page-wide: an incident's `components`
are the page's component objects, so they show whatever was set last, by any
incident. `incidents/unresolved` lists investigating, identified and monitoring
incidents, newest first, `per_page` (at most 100) at a time."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

from tests.fakes.server import Faults, json_response

STATUSES = {"investigating", "identified", "monitoring", "resolved", "scheduled", "in_progress", "verifying", "completed"}
COMPONENT_STATUSES = {"operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"}
UNRESOLVED = ("investigating", "identified", "monitoring")
NOT_FOUND = {"error": "The requested resource could not be found."}
PER_PAGE = 100


class FakeStatuspage:
    def __init__(self, api_key: str = "sp-key", page_id: str = "page1", faults: Faults | None = None):
        self.api_key = api_key
        self.page_id = page_id
        self.faults = faults or Faults()
        self.components = {
            "cmp-checkout": {"id": "cmp-checkout", "name": "Checkout", "status": "operational"},
            "cmp-api": {"id": "cmp-api", "name": "API", "status": "operational"},
        }
        self.incidents: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self.lock = threading.Lock()
        self.app = FastAPI()
        base = "/v1/pages/{page_id}"
        self.app.add_api_route(base + "/components", self.list_components, methods=["GET"])
        self.app.add_api_route(base + "/incidents/unresolved", self.unresolved, methods=["GET"])
        self.app.add_api_route(base + "/incidents", self.create, methods=["POST"])
        self.app.add_api_route(base + "/incidents/{incident_id}", self.get, methods=["GET"])
        self.app.add_api_route(base + "/incidents/{incident_id}", self.update, methods=["PATCH", "PUT"])
        self.app.add_api_route(base + "/incidents/{incident_id}", self.delete, methods=["DELETE"])

    def _tick(self) -> str:
        """Strictly increasing timestamps, as a real page's updates have."""
        self.clock += timedelta(seconds=1)
        return self.clock.isoformat().replace("+00:00", "Z")

    def _denied(self, request: Request, page_id: str) -> Response | None:
        if request.headers.get("authorization") != f"OAuth {self.api_key}":
            return json_response({"error": "Could not authenticate"}, 401)
        if page_id != self.page_id:
            return json_response(NOT_FOUND, 404)
        return None

    def _write(self, apply) -> Response:
        def locked() -> Response:
            with self.lock:
                return apply()

        return self.faults.write(
            locked,
            busy=lambda after: json_response({"error": "Rate limit exceeded"}, 429, {"Retry-After": str(after)}),
            broken=lambda: json_response({"error": "Internal Server Error"}, 500, self.faults.retry_header),
        )

    # --- routes -----------------------------------------------------------------------

    async def list_components(self, page_id: str, request: Request) -> Response:
        return self._denied(request, page_id) or json_response(list(self.components.values()))

    async def unresolved(self, page_id: str, request: Request, page: int = 1, per_page: int = PER_PAGE) -> Response:
        open_ = [i for i in self.incidents.values() if i["status"] in UNRESOLVED]
        newest = sorted(open_, key=lambda i: i["created_at"], reverse=True)
        per_page = max(1, min(per_page, PER_PAGE))
        return self._denied(request, page_id) or json_response(newest[(max(page, 1) - 1) * per_page:][:per_page])

    async def get(self, page_id: str, incident_id: str, request: Request) -> Response:
        if denied := self._denied(request, page_id):
            return denied
        incident = self.incidents.get(incident_id)
        return json_response(incident) if incident else json_response(NOT_FOUND, 404)

    async def create(self, page_id: str, request: Request) -> Response:
        if denied := self._denied(request, page_id):
            return denied
        body = (await request.json()).get("incident") or {}
        if problem := self._invalid(body, creating=True):
            return json_response({"error": problem}, 422)

        def apply() -> Response:
            iid = f"sp{next(self.ids)}"
            self.incidents[iid] = {
                "id": iid, "page_id": page_id, "name": body["name"], "status": body["status"],
                "impact": body.get("impact_override", "none"), "metadata": body.get("metadata") or {},
                "shortlink": f"https://stspg.test/{iid}", "created_at": self._tick(), "resolved_at": None,
                "incident_updates": [], "components": [],
            }
            return json_response(self._apply(self.incidents[iid], body), 201)

        return self._write(apply)

    async def update(self, page_id: str, incident_id: str, request: Request) -> Response:
        if denied := self._denied(request, page_id):
            return denied
        body = (await request.json()).get("incident") or {}
        if incident_id not in self.incidents:
            return json_response(NOT_FOUND, 404)
        if problem := self._invalid(body, creating=False):
            return json_response({"error": problem}, 422)
        return self._write(lambda: json_response(self._apply(self.incidents[incident_id], body)))

    async def delete(self, page_id: str, incident_id: str, request: Request) -> Response:
        """`DELETE /pages/{page_id}/incidents/{incident_id}`: answers the deleted incident."""
        if denied := self._denied(request, page_id):
            return denied
        if incident_id not in self.incidents:
            return json_response(NOT_FOUND, 404)
        return self._write(lambda: json_response(self.incidents.pop(incident_id)))

    # --- model ------------------------------------------------------------------------

    def _invalid(self, body: dict[str, Any], creating: bool) -> str | None:
        if creating and not body.get("name"):
            return "Name can't be blank"
        if len(body.get("name") or "") > 255:
            return "Name is too long (maximum is 255 characters)"
        if len(body.get("body") or "") > 25000:
            return "Body is too long (maximum is 25000 characters)"
        if body.get("status") and body["status"] not in STATUSES:
            return f"Status {body['status']} is not included in the list"
        unknown = [c for c in body.get("component_ids") or [] if c not in self.components]
        if unknown:
            return f"Components {unknown} do not exist"
        if any(s not in COMPONENT_STATUSES for s in (body.get("components") or {}).values()):
            return "Component status is not valid"
        if any(not isinstance(v, dict) for v in (body.get("metadata") or {}).values()):
            return "Metadata top level values must be objects"
        return None

    def _apply(self, incident: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        status = body.get("status", incident["status"])
        incident["status"] = status
        incident["name"] = body.get("name") or incident["name"]
        incident["impact"] = body.get("impact_override", incident["impact"])
        incident["metadata"] = body.get("metadata", incident["metadata"])
        for cid, state in (body.get("components") or {}).items():
            self.components[cid]["status"] = state
        incident["components"] = [self.components[c] for c in body.get("component_ids") or []] or incident["components"]
        if body.get("body") is not None or "status" in body:
            incident["incident_updates"].insert(0, {
                "id": f"upd{next(self.ids)}", "incident_id": incident["id"], "status": status,
                "body": body.get("body") or "", "created_at": self._tick(),
            })
        if status == "resolved":
            incident["resolved_at"] = self._tick()
        return incident
