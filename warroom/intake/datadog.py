"""Datadog monitor notifications through a Webhooks-integration payload.

Datadog lets users write the webhook body; paste this one (documented in the
README), keyed on the monitor's alert cycle so every re-notification and the
recovery of one cycle reach the same incident:

    {"alert_cycle_key": "$ALERT_CYCLE_KEY", "transition": "$ALERT_TRANSITION",
     "title": "$EVENT_TITLE", "message": "$EVENT_MSG", "alert_id": "$ALERT_ID",
     "priority": "$PRIORITY", "tags": "$TAGS", "link": "$LINK", "date": "$DATE",
     "scope": "$ALERT_SCOPE", "org_id": "$ORG_ID"}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from warroom.intake.common import Intake, Lenient, event, impact, severity, text, validate

RECOVERED = {"recovered", "ok", "resolved"}


class DatadogNotification(Lenient):
    alert_cycle_key: str = Field(min_length=1)
    transition: str = Field(min_length=1, description="$ALERT_TRANSITION: Triggered, Re-Triggered, Warn, Recovered, ...")
    title: str = Field(min_length=1)
    message: str = ""
    alert_id: str | int | None = None
    priority: str | None = None
    tags: str | list[str] = ""
    link: str | None = None
    date: int | str | None = None
    scope: str | None = None
    org_id: str | int | None = None


def parse(body: Any) -> Intake:
    n = validate(DatadogNotification, body, "Datadog webhook")
    tags = _tags(n.tags)
    status = "resolved" if n.transition.strip().lower() in RECOVERED else "firing"
    return Intake(alerts=[event(
        source="datadog",
        dedup_key=n.alert_cycle_key,
        fingerprint=f"{n.alert_id or n.alert_cycle_key}:{n.scope or ''}",
        name=text(n.title.removeprefix("[Triggered] ").removeprefix("[Recovered] "), 200),
        status=status,
        summary=text(n.message or n.title),
        service=tags.get("service"),
        severity=severity(tags.get("warroom_severity"), tags.get("severity"), n.priority),
        impact=impact(tags, n.message),
        labels=tags,
        starts_at=_date(n.date) if status == "firing" else None,
        ends_at=_date(n.date) if status == "resolved" else None,
        url=n.link,
    )])


def _tags(raw: str | list[str]) -> dict[str, str]:
    """Datadog's `$TAGS` is `key:value,key2:value2`; bare tags become `tag: ""`."""
    items = raw if isinstance(raw, list) else raw.split(",")
    pairs = (item.strip().partition(":") for item in items if item.strip())
    return {key: value for key, _, value in pairs}


def _date(raw: int | str | None) -> datetime | None:
    """`$DATE` is epoch milliseconds."""
    try:
        return datetime.fromtimestamp(int(raw) / 1000, UTC) if raw not in (None, "") else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
