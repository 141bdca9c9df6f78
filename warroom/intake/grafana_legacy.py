"""Grafana's legacy (dashboard) alerting webhook, Grafana 4 to 8 before
unified alerting, still what many Grafana 7/8 installations send:

    {"ruleId": 1, "ruleName": "Panel Title alert", "state": "alerting",
     "evalMatches": [{"value": 1, "metric": "Count", "tags": {}}], "orgId": 1,
     "dashboardId": 1, "panelId": 2, "ruleUrl": "http://...", "tags": {...},
     "title": "[Alerting] Panel Title alert", "message": "..."}

One rule is one alert: its id (with the org and the Grafana it runs on) is
the dedup key. `alerting` and `no_data` fire, `ok` resolves; `pending` and
`paused` are states Grafana never notifies, so a body with them is refused.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field

from warroom.intake.common import Intake, Lenient, event, impact, scoped, service_from, severity, text, validate

STATUS = {"alerting": "firing", "no_data": "firing", "ok": "resolved"}


class EvalMatch(Lenient):
    metric: str | None = None
    value: float | int | str | None = None
    tags: dict[str, Any] | None = None


class LegacyNotification(Lenient):
    ruleId: int | str
    ruleName: str = Field(min_length=1)
    state: Literal["alerting", "no_data", "ok"]
    title: str | None = None
    message: str | None = None
    ruleUrl: str | None = None
    orgId: int | None = None
    dashboardId: int | None = None
    panelId: int | None = None
    evalMatches: list[EvalMatch] = Field(default_factory=list)
    tags: dict[str, Any] = Field(default_factory=dict)


def is_legacy(body: Any) -> bool:
    return isinstance(body, dict) and "alerts" not in body and ("ruleId" in body or "ruleName" in body)


def parse(body: Any) -> Intake:
    n = validate(LegacyNotification, body, "Grafana legacy alerting webhook")
    tags = {str(k): text(v, 200) for k, v in n.tags.items()}
    matches = ", ".join(f"{m.metric}={m.value}" for m in n.evalMatches if m.metric)
    summary = text(" ".join(part for part in (n.message, f"({matches})" if matches else "") if part))
    url = urlsplit(n.ruleUrl or "")
    grafana = f"{url.scheme}://{url.netloc}" if url.netloc else None
    key = scoped(f"org-{n.orgId}" if n.orgId is not None else None, grafana, f"rule-{n.ruleId}")
    return Intake(alerts=[event(
        source="grafana",
        dedup_key=key,
        fingerprint=f"rule-{n.ruleId}",
        name=text(n.ruleName, 200),
        status=STATUS[n.state],
        summary=summary or text(n.title),
        service=service_from(tags),
        severity=severity(tags.get("warroom_severity"), tags.get("severity"), tags.get("priority")),
        impact=impact(tags, summary),
        labels=tags | {"grafana_state": n.state},
        url=n.ruleUrl,
    )])
