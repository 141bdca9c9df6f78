"""Alerts as they travel: one notification normalised from any source, the
batches the gateway delivers to an incident, and what the incident answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from warroom.models import Impact, Phase, Severity, Strict, _severity


class AlertEvent(Strict):
    """One alert notification, normalised from any source by the gateway."""

    source: str = Field(description="alertmanager, grafana, pagerduty, datadog, generic")
    dedup_key: str = Field(min_length=1, description="routes repeats to one incident")
    fingerprint: str = Field(min_length=1, description="identifies one alert inside the group")
    name: str = Field(min_length=1)
    status: Literal["firing", "resolved"] = "firing"
    summary: str = ""
    service: str | None = None
    severity: Severity | None = None
    impact: Impact | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    url: str | None = None
    runbook: str | None = Field(None, max_length=1000, description="the alert's runbook link (Alertmanager's runbook_url annotation)")
    count: int = Field(1, ge=1, description="identical notifications folded into this one by the gateway")

    _sev = field_validator("severity", mode="before")(lambda v: None if v is None else _severity(v))


class AlertBatch(Strict):
    """Alerts of one dedup key, delivered together so a storm costs one message."""

    alerts: list[AlertEvent] = Field(min_length=1)
    truncated: int = Field(0, ge=0, description="alerts the source left out of its notification")
    batch_id: str | None = Field(None, max_length=200, description="set on re-delivery, so a retried one counts once")


class OnwardAlerts(BaseModel):
    """Alerts that reached an incident after it left verify, for the next one in its chain."""

    after: str = Field(description="the incident that passes them on")
    batch: AlertBatch


class OnwardRouting(BaseModel):
    incident_id: str | None = Field(description="where they went; None when nothing took them")


class AlertRouting(BaseModel):
    """Answer to an alert batch: which incident took it and what it did."""

    incident_id: str
    outcome: Literal["opened", "joined", "reopened", "resolved"]
    phase: Phase


class HeldAlerts(BaseModel):
    """A maintenance window's workflow input: until when it holds alerts."""

    window_id: str
    service: str
    ends_at: datetime


class ReleasedAlerts(BaseModel):
    window_id: str
    held: int = Field(description="distinct alerts the window held")
    released: int = Field(description="those still firing at its end, routed then")
    incidents: list[str] = Field(default_factory=list)
