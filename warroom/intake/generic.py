"""The generic JSON form, for scripts and tools without a format of their own:
one alert object, or `{"alerts": [...]}` of them.

    {"dedup_key": "checkout-5xx", "name": "Checkout5xx", "status": "firing",
     "summary": "5xx above 2%", "service": "checkout", "severity": "critical",
     "labels": {"region": "eu-west-1"}, "impact": {"user_share": 0.3},
     "url": "https://grafana/d/x", "starts_at": "2026-11-24T10:00:00Z"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from warroom.intake.common import Intake, IntakeError, Lenient, event, severity, text, validate
from warroom.models import Impact

MAX_ALERTS = 1_000


class GenericAlert(Lenient):
    dedup_key: str = Field(min_length=1, max_length=500)
    name: str = Field(min_length=1, max_length=200)
    status: Literal["firing", "resolved"] = "firing"
    fingerprint: str | None = Field(None, max_length=500)
    summary: str = ""
    service: str | None = Field(None, max_length=100)
    severity: str | int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    impact: Impact | None = None
    url: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class GenericBatch(Lenient):
    alerts: list[GenericAlert] = Field(min_length=1, max_length=MAX_ALERTS)


def parse(body: Any) -> Intake:
    alerts = validate(GenericBatch, body, "alerts").alerts if isinstance(body, dict) and "alerts" in body else [
        validate(GenericAlert, body, "alert")
    ]
    return Intake(alerts=[_event(a) for a in alerts])


def _event(a: GenericAlert) -> Any:
    level = severity(a.severity)
    if a.severity is not None and level is None:
        raise IntakeError(f"severity {a.severity!r}: use SEV1..SEV4, 1..4, or critical/error/warning/info")
    return event(
        source="generic", dedup_key=a.dedup_key, fingerprint=a.fingerprint or a.dedup_key, name=a.name,
        status=a.status, summary=text(a.summary), service=a.service, severity=level, impact=a.impact,
        labels=a.labels, starts_at=a.starts_at, ends_at=a.ends_at, url=a.url,
    )
