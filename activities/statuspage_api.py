"""Atlassian Statuspage as the public status page, over its REST API with httpx.

One page incident per warroom incident, never two: the workflow passes
`page_ref` once it knows it, and before creating, the page's unresolved
incidents are searched for the warroom incident id kept in the incident's
`metadata`, so a create whose answer was lost is found by its retry. An update
is skipped when the incident's latest update already has its status and text
(the retry of an update that did land). Components (looked up by name) take
the status the incident rules chose for them; a publication without text
changes only the incident's name and components, and adds no update.

A component is shared by every incident on the page, so none is set below the
worst status another unresolved incident still holds for it (resolving one of
two incidents on "Checkout" must not show it operational). What a warroom
incident holds is kept in its `metadata`, since an incident's `components`
carry only the page-wide status; a person's incident holds that page-wide
status. A component under maintenance is the page's own and is left alone.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from temporalio.exceptions import ApplicationError

from activities.failures import final
from activities.rest import request_json
from warroom.models import StatusPageRef
from warroom.public_state import worst
from warroom.rules.requests import StatusPost

SERVICE = "Statuspage"
PER_PAGE = 100  # the most Statuspage returns at a time
MAINTENANCE = "under_maintenance"


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
            needed = req.components or req.page_ref is None  # Statuspage allows one request a second
            unresolved = await self._unresolved(http) if needed else []
            incident = await self._existing(http, req, unresolved)
            page = await self._components(http, list(req.components))
            mine = {page[name]["id"]: state.value for name, state in req.components.items()}
            others = [i for i in unresolved if incident is None or i["id"] != incident["id"]]
            body = self._body(req, mine, self._shown(mine, page, others))
            if incident is None:
                body.setdefault("status", req.status.value)  # a new incident always has one
                incident = await self._request(http, "POST", f"pages/{self.page_id}/incidents", {"incident": body})
                incident = await self._only_one(http, req.incident_id, incident)
            elif not self._already_applied(incident, req):
                incident = await self._request(
                    http, "PATCH", f"pages/{self.page_id}/incidents/{incident['id']}", {"incident": body}
                )
        return StatusPageRef(id=incident["id"], url=incident.get("shortlink"))

    # --- finding ----------------------------------------------------------------------

    async def _unresolved(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        """Every unresolved incident on the page, a page of results at a time."""
        found: list[dict[str, Any]] = []
        for number in itertools.count(1):
            batch = await self._request(http, "GET", f"pages/{self.page_id}/incidents/unresolved?page={number}&per_page={PER_PAGE}")
            found += batch
            if len(batch) < PER_PAGE:
                break
        return found

    async def _existing(
        self, http: httpx.AsyncClient, req: StatusPost, unresolved: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if req.page_ref is not None:
            return await self._request(http, "GET", f"pages/{self.page_id}/incidents/{req.page_ref.id}")
        return next(iter(_of_incident(unresolved, req.incident_id)), None)

    async def _only_one(self, http: httpx.AsyncClient, incident_id: str, created: dict[str, Any]) -> dict[str, Any]:
        """The incident's one page incident after a create. An earlier attempt still
        in flight (one that outlived its timeout) can have created one too, after
        this attempt looked: every attempt keeps the oldest and deletes the rest,
        so racing attempts agree on one."""
        mine = _of_incident(await self._unresolved(http), incident_id)
        if len(mine) <= 1:
            return created
        keep = min(mine, key=lambda i: (i.get("created_at") or "", i["id"]))
        for extra in (i for i in mine if i["id"] != keep["id"]):
            try:
                await self._request(http, "DELETE", f"pages/{self.page_id}/incidents/{extra['id']}")
            except ApplicationError as err:
                if "(HTTP 404)" not in err.message:  # deleted by the other attempt already
                    raise
        return keep

    @staticmethod
    def _already_applied(incident: dict[str, Any], req: StatusPost) -> bool:
        if req.message is None:  # name and components: setting them again is harmless
            return False
        updates = sorted(incident.get("incident_updates") or [], key=lambda u: u.get("created_at", ""))
        return bool(updates) and updates[-1].get("status") == req.status.value and updates[-1].get("body") == req.message

    async def _components(self, http: httpx.AsyncClient, names: list[str]) -> dict[str, dict[str, Any]]:
        """The page's components by name, with their page-wide status."""
        if not names:
            return {}
        by_name = {c["name"]: c for c in await self._request(http, "GET", f"pages/{self.page_id}/components")}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise final(SERVICE, f"no component named {', '.join(missing)} on the page")
        return by_name

    @staticmethod
    def _shown(mine: dict[str, str], page: dict[str, dict[str, Any]], others: list[dict[str, Any]]) -> dict[str, str]:
        """Component id -> the status to set: this incident's, or the worst
        another unresolved incident holds; none for a component under maintenance."""
        held: dict[str, list[str]] = {}
        for other in others:
            holds = _warroom(other).get("components") or {c["id"]: c["status"] for c in other.get("components") or []}
            for cid, state in holds.items():
                held.setdefault(cid, []).append(state)
        maintained = {c["id"] for c in page.values() if c.get("status") == MAINTENANCE}
        return {cid: worst([state, *held.get(cid, [])]).value for cid, state in mine.items() if cid not in maintained}

    @staticmethod
    def _body(req: StatusPost, mine: dict[str, str], shown: dict[str, str]) -> dict[str, Any]:
        """A new update (status and text), or only the name and components;
        the metadata records what this incident holds."""
        body: dict[str, Any] = {
            "name": req.title,
            "impact_override": req.impact,
            "component_ids": list(mine),
            "components": shown,
            "metadata": {"warroom": {"incident_id": req.incident_id, "components": mine}},
        }
        if req.message is not None:
            body |= {"status": req.status.value, "body": req.message, "deliver_notifications": True}
        return body

    # --- transport --------------------------------------------------------------------

    async def _request(self, http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await request_json(http, SERVICE, method, path, body, secrets=[self.api_key])


def _warroom(incident: dict[str, Any]) -> dict[str, Any]:
    """What warroom recorded in an incident's metadata (nothing for a person's incident)."""
    return (incident.get("metadata") or {}).get("warroom") or {}


def _of_incident(page_incidents: list[dict[str, Any]], incident_id: str) -> list[dict[str, Any]]:
    """The page incidents warroom opened for `incident_id`."""
    return [i for i in page_incidents if _warroom(i).get("incident_id") == incident_id]
