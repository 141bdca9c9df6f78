"""PagerDuty webhooks v3 at `POST /v1/pagerduty/webhooks`: what happens to a
page in PagerDuty reaches the incident that sent it.

Every delivery's `X-PagerDuty-Signature` is checked against
`WARROOM_PAGERDUTY_WEBHOOK_SECRET` before anything else (401 and nothing
happens when no signature matches); a body that is not JSON gets 400, one that
is not a webhook v3 event 422. The PagerDuty incident's `incident_key` is the
dedup key warroom paged with, the incident id; its event becomes the incident's
`pagerduty_event` signal. Event types warroom does not act on, and incidents
warroom did not page for, get 200 and are ignored, so PagerDuty does not retry
them. Like Slack's, these requests carry their own signature instead of a
bearer token (gateway/tokens.py).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from gateway.http import get_client, get_settings
from warroom.models import explain
from warroom.pagerduty_events import SIGNAL, SIGNATURE_HEADER, Delivery, incident_event, signed
from warroom.settings import Settings

router = APIRouter(tags=["pagerduty"])


@router.post("/v1/pagerduty/webhooks", summary="PagerDuty webhooks v3 (incident acknowledged, resolved, reassigned, escalated)")
async def pagerduty_webhook(
    request: Request, settings: Settings = Depends(get_settings), client: Client = Depends(get_client)
) -> dict[str, Any]:
    body = await request.body()
    if settings.pagerduty_webhook_secret is None:
        raise HTTPException(403, "PagerDuty webhooks are off: WARROOM_PAGERDUTY_WEBHOOK_SECRET is not set")
    if not signed(body, request.headers.get(SIGNATURE_HEADER), settings.pagerduty_webhook_secret.get_secret_value()):
        raise HTTPException(401, "missing or invalid X-PagerDuty-Signature")
    try:
        document = json.loads(body)
    except ValueError as err:
        raise HTTPException(400, f"the body is not JSON: {err}") from None
    try:
        found = incident_event(Delivery.model_validate(document))
    except ValidationError as err:
        raise HTTPException(422, f"not a PagerDuty webhook v3 event: {explain(err)}") from None
    except ValueError as err:
        raise HTTPException(422, f"not a PagerDuty webhook v3 incident event: {err}") from None
    if found is None:
        event = document["event"]
        return {"status": "ignored", "reason": f"{event['event_type']} on {event['resource_type']} is not acted on"}
    incident_id, event = found
    if not incident_id.startswith("inc-"):
        return {"status": "ignored", "reason": f"incident key {incident_id!r} is not a warroom incident"}
    try:
        await client.get_workflow_handle(incident_id).signal(SIGNAL, event)
    except RPCError as err:
        if err.status is not RPCStatusCode.NOT_FOUND:
            raise
        return {"status": "ignored", "reason": f"no open incident {incident_id}"}
    return {"status": "accepted", "incident_id": incident_id, "event_type": event.event_type}
