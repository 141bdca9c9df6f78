"""PagerDuty as the pager, over the Events API v2 (`POST /v2/enqueue`) with httpx.

One PagerDuty incident per warroom incident, never two: every event carries the
warroom incident id as `dedup_key`, so PagerDuty folds a retried trigger into
the incident it already opened, and acknowledge and resolve find it. The
routing key is the worker's own setting and never part of an activity's input,
so it stays out of workflow history; it is redacted from every error message.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from activities.failures import final
from activities.paging import PageRequest
from activities.rest import request_json
from warroom.models import Severity

SERVICE = "PagerDuty"
SEVERITY = {Severity.SEV1: "critical", Severity.SEV2: "error", Severity.SEV3: "warning", Severity.SEV4: "info"}
# The Events API's limits on these fields.
SUMMARY_LIMIT = 1024
SOURCE_LIMIT = 255


class PagerDutyEvents:
    def __init__(self, routing_key: str, events_url: str):
        self.routing_key = routing_key
        self.events_url = events_url

    async def trigger(self, req: PageRequest, group: str | None = None) -> str:
        """Open (or, on a retry, find) the PagerDuty incident for `req.incident_id`."""
        links = [{"href": req.incident_url, "text": f"warroom incident {req.incident_id}"}] if req.incident_url else []
        if req.channel and req.channel.url:
            links.append({"href": req.channel.url, "text": f"incident channel #{req.channel.name}"})
        payload: dict[str, Any] = {
            "summary": f"{req.severity} {req.incident_id}: {req.title}"[:SUMMARY_LIMIT],
            "source": f"warroom/{req.service}"[:SOURCE_LIMIT],
            "severity": SEVERITY[req.severity],
            "component": req.service,
            "group": group,
            "custom_details": {
                "incident_id": req.incident_id,
                "severity": req.severity.value,
                "service": req.service,
                "escalation_target": req.target,
                "acknowledge": f"warroom ack {req.incident_id}",
                **({"channel": f"#{req.channel.name}"} if req.channel else {}),
            },
        }
        if req.at is not None:
            payload["timestamp"] = req.at.isoformat()
        body = {"payload": {k: v for k, v in payload.items() if v is not None}, "links": links, "client": "warroom"}
        if req.incident_url:
            body["client_url"] = req.incident_url
        return await self.send("trigger", req.incident_id, body)

    async def send(
        self, action: Literal["trigger", "acknowledge", "resolve"], incident_id: str, extra: dict[str, Any] | None = None
    ) -> str:
        """One event for the incident; PagerDuty's answer is the dedup key it filed it under."""
        body = {"routing_key": self.routing_key, "event_action": action, "dedup_key": incident_id, **(extra or {})}
        async with httpx.AsyncClient(timeout=20) as http:
            answer = await request_json(http, SERVICE, "POST", self.events_url, body, secrets=[self.routing_key])
        if not isinstance(answer, dict) or answer.get("status") != "success":
            raise final(SERVICE, f"{action} for {incident_id} not accepted: {answer}")
        return str(answer.get("dedup_key") or incident_id)
