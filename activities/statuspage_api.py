"""Atlassian Statuspage as the public status page, over its REST API with httpx.

One page incident per warroom incident, never two: the workflow passes
`page_ref` once it knows it, and before creating, the page's unresolved
incidents are searched for the warroom incident id kept in the incident's
`metadata`, so a create whose answer was lost is found by its retry. An update
is skipped when the incident's latest update already has its status and text
(the retry of an update that did land). Components (looked up by name) take
the status the incident rules chose for them; a publication without text
changes only the incident's name and components, and adds no update.
"""

from __future__ import annotations

from typing import Any

import httpx

from activities.failures import final
from activities.rest import request_json
from warroom.models import StatusPageRef
from warroom.rules.requests import StatusPost

SERVICE = "Statuspage"


class StatusPageAPI:
    def __init__(self, api_key: str, page_id: str, api_url: str):
        self.api_key = api_key
        self.page_id = page_id
        self.api_url = api_url.rstrip("/") + "/"

    async def publish(self, req: StatusPost) -> StatusPageRef:
        async with httpx.AsyncClient(
            base_url=self.api_url,
            headers={"Authorization": f"OAuth {self.api_key}"},
            timeout=20,
        ) as http:
            incident = await self._existing(http, req)
            components = await self._component_ids(http, list(req.components))
            body = self._body(req, components)
            if incident is None:
                body["metadata"] = {"warroom": {"incident_id": req.incident_id}}
                body.setdefault("status", req.status.value)  # a new incident always has one
                incident = await self._request(http, "POST", f"pages/{self.page_id}/incidents", {"incident": body})
            elif not self._already_applied(incident, req):
                incident = await self._request(
                    http, "PATCH", f"pages/{self.page_id}/incidents/{incident['id']}", {"incident": body}
                )
        return StatusPageRef(id=incident["id"], url=incident.get("shortlink"))

    # --- finding ----------------------------------------------------------------------

    async def _existing(self, http: httpx.AsyncClient, req: StatusPost) -> dict[str, Any] | None:
        if req.page_ref is not None:
            return await self._request(http, "GET", f"pages/{self.page_id}/incidents/{req.page_ref.id}")
        for incident in await self._request(http, "GET", f"pages/{self.page_id}/incidents/unresolved"):
            if (incident.get("metadata") or {}).get("warroom", {}).get("incident_id") == req.incident_id:
                return incident
        return None

    @staticmethod
    def _already_applied(incident: dict[str, Any], req: StatusPost) -> bool:
        if req.message is None:  # name and components: setting them again is harmless
            return False
        updates = sorted(incident.get("incident_updates") or [], key=lambda u: u.get("created_at", ""))
        return bool(updates) and updates[-1].get("status") == req.status.value and updates[-1].get("body") == req.message

    async def _component_ids(self, http: httpx.AsyncClient, names: list[str]) -> list[str]:
        if not names:
            return []
        by_name = {c["name"]: c["id"] for c in await self._request(http, "GET", f"pages/{self.page_id}/components")}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise final(SERVICE, f"no component named {', '.join(missing)} on the page")
        return [by_name[n] for n in names]

    @staticmethod
    def _body(req: StatusPost, component_ids: list[str]) -> dict[str, Any]:
        """A new update (status and text), or only the name and components."""
        states = [state.value for state in req.components.values()]
        body: dict[str, Any] = {
            "name": req.title,
            "impact_override": req.impact,
            "component_ids": component_ids,
            "components": dict(zip(component_ids, states, strict=True)),
        }
        if req.message is not None:
            body |= {"status": req.status.value, "body": req.message, "deliver_notifications": True}
        return body

    # --- transport --------------------------------------------------------------------

    async def _request(self, http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await request_json(http, SERVICE, method, path, body, secrets=[self.api_key])
