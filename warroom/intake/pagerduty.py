"""PagerDuty Events API v2 (`/v2/enqueue` bodies), so anything that can page
PagerDuty can open a warroom incident.

`trigger` fires an alert, `resolve` resolves it, `acknowledge` says a person
took it: warroom acknowledges the incident holding that dedup key (and, when
the key is a warroom incident id — warroom's own pages through PagerDuty — that
incident, which stops its escalation). A trigger without `dedup_key` gets one
derived from source, component and summary, so repeats still fold.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from warroom.intake.common import Intake, IntakeError, Lenient, event, impact, severity, text, validate


class PagerDutyPayload(Lenient):
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = None
    group: str | None = None
    custom_details: dict[str, Any] | str | None = None


class PagerDutyLink(Lenient):
    href: str
    text: str | None = None


class PagerDutyEvent(Lenient):
    routing_key: str = Field(min_length=1)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(None, max_length=255)
    payload: PagerDutyPayload | None = None
    links: list[PagerDutyLink] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> PagerDutyEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("payload is required for a trigger")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"dedup_key is required for {self.event_action}")
        return self


def parse(body: Any) -> Intake:
    e = validate(PagerDutyEvent, body, "PagerDuty event")
    if e.event_action == "acknowledge":
        return Intake(alerts=[], acknowledged=[e.dedup_key or ""])
    if e.event_action == "resolve":
        key = e.dedup_key or ""
        return Intake(alerts=[event(source="pagerduty", dedup_key=key, fingerprint=key, name="pagerduty", status="resolved")])
    p = e.payload
    if p is None:  # guarded by the validator; keeps type checkers honest
        raise IntakeError("payload is required for a trigger")
    details = p.custom_details if isinstance(p.custom_details, dict) else {}
    key = e.dedup_key or hashlib.sha256(f"{p.source}\x00{p.component}\x00{p.summary}".encode()).hexdigest()[:32]
    return Intake(alerts=[event(
        source="pagerduty",
        dedup_key=key,
        fingerprint=key,
        name=text(p.group or p.component or p.summary, 200),
        summary=text(p.summary),
        service=text(details.get("service"), 100) or p.component or p.group,
        severity=severity(details.get("warroom_severity"), details.get("severity"), p.severity),
        impact=impact({str(k): v for k, v in details.items()}, p.summary),
        labels={k: text(v, 200) for k, v in details.items() if isinstance(v, str | int | float | bool)},
        starts_at=p.timestamp,
        url=e.links[0].href if e.links else None,
    )])
