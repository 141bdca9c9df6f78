"""Prometheus Alertmanager webhook v4, and Grafana unified alerting (the same
format plus `orgId`, `title`, `values` and dashboard/panel URLs).

One notification is one alert group: the group is the dedup key, so a storm of
related alerts is one incident, and each alert's `fingerprint` keeps its own
counters inside it. A `groupKey` is only unique within one Alertmanager (with
an empty `group_by` every Alertmanager sends `{}:{}`), so the key names its
sender: the `externalURL` and `receiver` (Grafana: `orgId` and `externalURL`).
Senders older than the `fingerprint` field (Alertmanager < 0.20, early
Grafana 8) get the one Alertmanager computes from the alert's labels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from warroom.intake import grafana_legacy
from warroom.intake.common import (
    Intake, Lenient, event, fingerprint, impact, scoped, service_from, severity, text, timestamp, validate,
)


class AlertmanagerAlert(Lenient):
    status: Literal["firing", "resolved"] | None = Field(None, description="absent in old Alertmanagers: then the group's")
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = Field(None, description="absent before Alertmanager 0.20: computed from the labels")
    # Grafana only
    values: dict[str, Any] | None = None
    valueString: str | None = None
    dashboardURL: str | None = None
    panelURL: str | None = None


class AlertmanagerNotification(Lenient):
    version: str | None = None
    groupKey: str = Field(min_length=1)
    truncatedAlerts: int = Field(0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    commonLabels: dict[str, str] = Field(default_factory=dict)
    externalURL: str | None = None
    alerts: list[AlertmanagerAlert] = Field(min_length=1)
    # Grafana only
    orgId: int | None = None
    title: str | None = None


def parse(body: Any) -> Intake:
    n = validate(AlertmanagerNotification, body, "Alertmanager webhook")
    return _parse(n, "alertmanager", scoped(n.externalURL, n.receiver, n.groupKey))


def parse_grafana(body: Any) -> Intake:
    """Unified alerting (Grafana 8+), or legacy dashboard alerting (`ruleId`, `state`)."""
    if grafana_legacy.is_legacy(body):
        return grafana_legacy.parse(body)
    n = validate(AlertmanagerNotification, body, "Grafana webhook")
    return _parse(n, "grafana", scoped(f"org-{n.orgId}" if n.orgId is not None else None, n.externalURL, n.groupKey))


def _parse(n: AlertmanagerNotification, source: str, key: str) -> Intake:
    return Intake(alerts=[_alert(n, a, source, key) for a in n.alerts], truncated=n.truncatedAlerts)


def _alert(n: AlertmanagerNotification, a: AlertmanagerAlert, source: str, key: str) -> Any:
    labels = {**n.commonLabels, **a.labels}
    notes = a.annotations
    summary = text(notes.get("summary") or notes.get("description") or notes.get("message") or n.title)
    if a.values:
        summary = f"{summary} ({', '.join(f'{k}={v}' for k, v in a.values.items())})".strip()
    status = a.status or n.status
    return event(
        source=source,
        dedup_key=key,
        fingerprint=a.fingerprint or fingerprint(a.labels or labels),
        name=labels.get("alertname") or text(n.title, 200) or "alert",
        status=status,
        summary=text(summary),
        service=service_from(labels),
        severity=severity(labels.get("warroom_severity"), labels.get("severity"), labels.get("priority")),
        impact=impact({**labels, **notes}, summary),
        labels=labels,
        starts_at=timestamp(a.startsAt),
        ends_at=timestamp(a.endsAt) if status == "resolved" else None,
        url=a.panelURL or a.dashboardURL or a.generatorURL or n.externalURL,
        runbook=text(notes.get("runbook_url"), 1000) or None,
    )
