"""Datadog monitor notifications through the Webhooks integration.

Datadog lets each user write the webhook body from `$VARIABLES`, so no two
payloads look alike. This parser takes the integration's own default payload
(`body`, `title`, `event_type`, `date`, `org`, `id`, `last_updated`), the
templates incident tools publish for Datadog (`alert_transition`,
`alert_title`, `alert_scope`, `alert_priority`, ...) and warroom's own:

    {"alert_cycle_key": "$ALERT_CYCLE_KEY", "transition": "$ALERT_TRANSITION",
     "title": "$EVENT_TITLE", "message": "$EVENT_MSG", "alert_id": "$ALERT_ID",
     "priority": "$ALERT_PRIORITY", "tags": "$TAGS", "link": "$LINK", "date": "$DATE",
     "scope": "$ALERT_SCOPE", "org_id": "$ORG_ID"}

The dedup key is the best the body offers: the alert cycle (`$ALERT_CYCLE_KEY`:
every re-notification and the recovery of one cycle), the aggregation key, the
monitor and scope, or else the title without its `[Triggered]` prefix (what the
default payload leaves). The transition comes from the body or, failing that,
the title's prefix. The org id scopes the key, so two Datadog orgs never meet.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from warroom.intake.common import Intake, IntakeError, Lenient, event, impact, scoped, service_from, severity, text, validate

RECOVERED = {"recovered", "ok", "resolved", "success"}
# `$EVENT_TITLE` starts with the transition: "[Triggered on {host:a}] ...", "[P1] [Recovered] ..."
PREFIX = re.compile(r"^\s*(?:\[P\d\]\s*)?\[(?P<transition>[A-Za-z -]+?)(?: on (?P<scope>[^\]]*))?\]\s*")
Scalar = str | int | float | None


def _choices(*names: str) -> Any:
    return Field(None, validation_alias=AliasChoices(*names))


class DatadogOrg(Lenient):
    id: str | int | None = None
    name: str | None = None


class DatadogNotification(Lenient):
    cycle_key: Scalar = _choices("alert_cycle_key", "cycle_key")
    aggregation_key: Scalar = _choices("aggreg_key", "aggregation_key", "alert_aggregation_key")
    transition: Scalar = _choices("transition", "alert_transition")
    title: Scalar = _choices("title", "event_title", "alert_title")
    message: Scalar = _choices("message", "body", "event_msg", "text")
    alert_id: Scalar = _choices("alert_id", "monitor_id")
    alert_type: Scalar = None
    priority: Scalar = _choices("alert_priority", "priority")
    tags: str | list[Any] | dict[str, Any] | None = None
    link: Scalar = _choices("link", "url", "event_url", "alert_url")
    date: Scalar = _choices("date", "last_updated")
    scope: Scalar = _choices("scope", "alert_scope")
    org_id: Scalar = None
    org: DatadogOrg | None = None
    hostname: Scalar = _choices("hostname", "host_name", "host")

    @field_validator("*", mode="before")
    @classmethod
    def _unset(cls, value: Any) -> Any:
        """An empty `$VARIABLE` renders as "": the same as absent."""
        return None if isinstance(value, str) and not value.strip() else value


def parse(body: Any) -> Intake:
    n = validate(DatadogNotification, body, "Datadog webhook")
    title = text(n.title, 300)
    if not title and not n.message:
        raise IntakeError("Datadog webhook: title: none of title, event_title, alert_title (nor a message) in the body")
    prefix = PREFIX.match(title)
    name = text(title[prefix.end():] if prefix else title, 200) or text(n.message, 200)
    transition = text(n.transition or (prefix and prefix["transition"]) or n.alert_type).lower()
    status = "resolved" if transition in RECOVERED else "firing"
    tags = _tags(n.tags) | _tags(n.scope)
    org = n.org_id or (n.org.id if n.org else None)
    monitor = scoped(f"monitor-{n.alert_id}", n.scope) if n.alert_id else None
    key = scoped(f"org-{org}" if org else None, text(n.cycle_key or n.aggregation_key or monitor or name, 400))
    return Intake(alerts=[event(
        source="datadog",
        dedup_key=key,
        fingerprint=scoped(n.alert_id or key, n.scope or n.hostname or (prefix and prefix["scope"])),
        name=name,
        status=status,
        summary=text(n.message or title),
        service=service_from(tags),
        severity=severity(tags.get("warroom_severity"), tags.get("severity"), n.priority),
        impact=impact(tags, text(n.message)),
        labels=tags | ({"host": text(n.hostname, 200)} if n.hostname else {}),
        starts_at=_date(n.date) if status == "firing" else None,
        ends_at=_date(n.date) if status == "resolved" else None,
        url=text(n.link, 2000) or None,
    )])


def _tags(raw: Any) -> dict[str, str]:
    """`$TAGS` is `key:value,key2:value2` (a list or object in some templates);
    bare tags become `tag: ""`."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): text(v, 200) for k, v in raw.items()}
    items = raw if isinstance(raw, list) else str(raw).split(",")
    pairs = (str(item).strip().partition(":") for item in items if str(item).strip())
    return {key.strip(): value.strip() for key, _, value in pairs}


def _date(raw: Any) -> datetime | None:
    """`$DATE` and `$LAST_UPDATED` are epoch milliseconds."""
    try:
        return datetime.fromtimestamp(int(raw) / 1000, UTC) if raw not in (None, "") else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
