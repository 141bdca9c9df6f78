"""PagerDuty webhooks v3, as warroom reads them: the signature check and the
few event types an incident cares about. No I/O; the gateway serves it.

PagerDuty signs the raw body with each of the subscription's secrets (several
during a rotation): `X-PagerDuty-Signature: v1=<hex>,v1=<hex>`, each an
HMAC-SHA256 of the body. A delivery is `{"event": {...}}`; the event's `data`
is the incident, whose `incident_key` is the dedup key warroom sent with its
Events v2 trigger, that is the warroom incident id (activities/pagerduty.py).
Body shapes: tests/fixtures/pagerduty_webhooks/SOURCES.md.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from warroom.models import explain

SIGNATURE_HEADER = "x-pagerduty-signature"
SIGNAL = "pagerduty_event"  # the workflow signal a matched event becomes
HANDLED = ("incident.acknowledged", "incident.resolved", "incident.reassigned", "incident.escalated")


def signed(body: bytes, header: str | None, secret: str) -> bool:
    """True when any `v1=` signature in `header` is the body's HMAC-SHA256 with `secret`."""
    if not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    return any(hmac.compare_digest(expected, g) for g in given)


class Reference(BaseModel):
    """A PagerDuty object reference (`user_reference`, `service_reference`, ...)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    type: str = ""
    summary: str = ""


class Assignee(BaseModel):
    model_config = ConfigDict(extra="ignore")

    assignee: Reference | None = None


class IncidentData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    type: Literal["incident"]
    incident_key: str | None = None
    status: str = ""
    title: str = ""
    html_url: str | None = None
    assignees: list[Reference] = Field(default_factory=list)
    assignments: list[Assignee] = Field(default_factory=list)


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    event_type: str
    resource_type: str
    occurred_at: str
    agent: Reference | None = None
    data: dict[str, Any]


class Delivery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: WebhookEvent


class PagerEvent(BaseModel):
    """What an incident hears of one PagerDuty event."""

    event_id: str
    event_type: Literal["incident.acknowledged", "incident.resolved", "incident.reassigned", "incident.escalated"]
    agent_id: str | None = Field(None, description="the PagerDuty user who acted")
    agent_name: str | None = None
    assignees: list[Reference] = Field(default_factory=list, description="who PagerDuty assigned the incident to")
    url: str | None = None


def incident_event(delivery: Delivery) -> tuple[str, PagerEvent] | None:
    """(warroom incident id, event) for an incident event warroom handles; None to ignore it.
    Raises ValueError (naming the field) for an incident event whose `data` is not an incident."""
    event = delivery.event
    if event.event_type not in HANDLED or event.resource_type != "incident":
        return None
    try:
        data = IncidentData.model_validate(event.data)
    except ValidationError as err:
        raise ValueError(f"event.data: {explain(err)}") from None
    if not data.incident_key:
        return None
    people = data.assignees or [a.assignee for a in data.assignments if a.assignee]
    agent = event.agent if event.agent and event.agent.type.startswith("user") else None
    return data.incident_key, PagerEvent(
        event_id=event.id, event_type=event.event_type,  # type: ignore[arg-type]
        agent_id=agent.id if agent else None, agent_name=agent.summary if agent else None,
        assignees=people, url=data.html_url,
    )
