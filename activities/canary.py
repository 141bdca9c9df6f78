"""The page-delivery canary's side effects: send a synthetic alert through the
gateway as a real sender would, read how far its incident got, and, when it
did not page in time, page the on-call directly through PagerDuty Events v2
(a path that needs no incident workflow, no chat and no gateway).

The miss is filed under one dedup key per task queue, so while canaries keep
missing, PagerDuty keeps one incident open for it instead of paging anew
every few minutes; the on-call resolves it there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from pydantic import BaseModel
from temporalio import activity
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.failures import final, from_status, retryable
from activities.pagerduty import PagerDutyEvents
from activities.rest import error_detail
from warroom.settings import Settings

GATEWAY = "Gateway"  # warroom's own, as the canary reaches it
READ_TIMEOUT = timedelta(seconds=5)


class CanarySent(BaseModel):
    incident_id: str
    sent_at: datetime


class CanaryProgress(BaseModel):
    paged_at: datetime | None = None
    finished: bool = False
    stuck: str = ""


class CanaryMiss(BaseModel):
    run_id: str
    incident_id: str | None
    waited: timedelta
    stuck: str


class CanaryActivities:
    def __init__(self, client: Client, settings: Settings):
        self.client = client
        self.settings = settings

    @activity.defn
    async def send_canary_alert(self, run_id: str) -> CanarySent:
        """POST one firing alert for the canary service to the gateway; a new
        dedup key each run, so each canary opens an incident of its own."""
        s = self.settings
        alert = {
            "dedup_key": run_id, "name": "WarroomCanary", "service": s.canary_service, "severity": "SEV4",
            "summary": "synthetic alert: warroom's page-delivery canary", "labels": {"warroom_canary": "true"},
        }
        headers = {"Authorization": f"Bearer {s.canary_token.get_secret_value()}"} if s.canary_token else {}
        url = f"{s.gateway_url}/v1/alerts/generic"
        sent_at = datetime.now(UTC)
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                answer = await http.post(url, json=alert, headers=headers)
        except httpx.TransportError as err:
            raise retryable(GATEWAY, f"POST {url}: {type(err).__name__}: {err}") from None
        if answer.status_code != 202:
            raise from_status(GATEWAY, answer.status_code, f"POST {url}: {error_detail(answer)}", answer.headers.get("Retry-After"))
        incidents = answer.json().get("incidents") or []
        if not incidents:
            raise final(GATEWAY, f"POST {url} opened no incident: {answer.text[:200]}")
        return CanarySent(incident_id=incidents[0], sent_at=sent_at)

    @activity.defn
    async def check_canary(self, sent: CanarySent) -> CanaryProgress:
        """How far the canary's incident got, and, short of a page, what it waits on."""
        handle = self.client.get_workflow_handle(sent.incident_id)
        try:
            described = await handle.describe(rpc_timeout=READ_TIMEOUT)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return CanaryProgress(stuck=f"the gateway answered with {sent.incident_id}, but Temporal has no such incident")
            raise
        if described.status is WorkflowExecutionStatus.COMPLETED:
            state = await handle.result(rpc_timeout=READ_TIMEOUT)
            pages = state.get("pages") or []
            delivered = pages[0].get("delivered_at") if pages else None
            # Why it closed (the canary's own closing entry), not whatever was logged last.
            closing = [e.get("text", "") for e in state.get("timeline") or [] if e.get("kind") == "closed"]
            why = closing[-1] if closing else "no reason recorded"
            return CanaryProgress(paged_at=delivered, finished=True, stuck="" if delivered else f"closed without a page: {why}")
        if described.status is not WorkflowExecutionStatus.RUNNING:
            return CanaryProgress(finished=True, stuck=f"incident {sent.incident_id} ended {described.status.name.lower()}")
        return CanaryProgress(stuck=_waiting_on(sent.incident_id, described.raw_description))

    @activity.defn
    async def page_canary_missed(self, miss: CanaryMiss) -> str:
        key = self.settings.canary_routing_key or self.settings.pagerduty_routing_key
        if not key:  # unset, or empty in a secret
            raise final("PagerDuty", "a canary missed, and no WARROOM_CANARY_ROUTING_KEY or WARROOM_PAGERDUTY_ROUTING_KEY to page with")
        pager = PagerDutyEvents(key.get_secret_value(), self.settings.pagerduty_events_url)
        summary = f"warroom canary: no page {int(miss.waited.total_seconds())} s after its alert: {miss.stuck}"
        payload = {
            "summary": summary[:1024], "source": f"warroom/{self.settings.task_queue}", "severity": "critical",
            "component": "warroom", "group": "warroom-canary",
            "custom_details": {"canary": miss.run_id, "incident_id": miss.incident_id, "stuck": miss.stuck,
                               "check": "warroom status; the Temporal UI for the incident"},
        }
        return await pager.send("trigger", f"{self.settings.task_queue}-canary-missed", {"payload": payload, "client": "warroom"})


def _waiting_on(incident_id: str, raw: DescribeWorkflowExecutionResponse) -> str:
    """The running incident's pending activities (the page first) with their last
    failure, or, with none, that its workflow task waits for a worker."""
    pending = list(raw.pending_activities)
    if not pending:
        return f"incident {incident_id} is open but has no page in flight (its workflow task may wait for a worker)"
    parts = []
    for p in sorted(pending, key=lambda p: p.activity_type.name != "page_responder"):
        failure = f", last failure: {p.last_failure.message[:300]}" if p.HasField("last_failure") else ""
        parts.append(f"{p.activity_type.name} attempt {p.attempt}{failure}")
    return f"incident {incident_id} waits on " + "; ".join(parts)
