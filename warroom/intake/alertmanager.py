"""Prometheus Alertmanager webhook v4, and Grafana unified alerting (the same
format plus `orgId`, `title`, `values` and dashboard/panel URLs).

One notification is one alert group (`groupKey`): the group is the dedup key,
so a storm of related alerts is one incident, and each alert's `fingerprint`
keeps its own counters inside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from warroom.intake.common import Intake, Lenient, event, impact, severity, text, timestamp, validate


class AlertmanagerAlert(Lenient):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str | None = None
    fingerprint: str = Field(min_length=1)
    # Grafana only
    values: dict[str, Any] | None = None
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
    return _parse(validate(AlertmanagerNotification, body, "Alertmanager webhook"), "alertmanager")


def parse_grafana(body: Any) -> Intake:
    return _parse(validate(AlertmanagerNotification, body, "Grafana webhook"), "grafana")


def _parse(n: AlertmanagerNotification, source: str) -> Intake:
    key = f"{n.orgId}:{n.groupKey}" if source == "grafana" and n.orgId is not None else n.groupKey
    return Intake(alerts=[_alert(n, a, source, key) for a in n.alerts], truncated=n.truncatedAlerts)


def _alert(n: AlertmanagerNotification, a: AlertmanagerAlert, source: str, key: str) -> Any:
    labels = {**n.commonLabels, **a.labels}
    notes = a.annotations
    summary = text(notes.get("summary") or notes.get("description") or notes.get("message") or n.title)
    if a.values:
        summary = f"{summary} ({', '.join(f'{k}={v}' for k, v in a.values.items())})".strip()
    return event(
        source=source,
        dedup_key=key,
        fingerprint=a.fingerprint,
        name=labels.get("alertname") or text(n.title, 200) or "alert",
        status=a.status,
        summary=text(summary),
        service=labels.get("service") or labels.get("app") or labels.get("job"),
        severity=severity(labels.get("warroom_severity"), labels.get("severity"), labels.get("priority")),
        impact=impact({**labels, **notes}, summary),
        labels=labels,
        starts_at=timestamp(a.startsAt),
        ends_at=timestamp(a.endsAt) if a.status == "resolved" else None,
        url=a.panelURL or a.dashboardURL or a.generatorURL or n.externalURL,
        runbook=text(notes.get("runbook_url"), 1000) or None,
    )
