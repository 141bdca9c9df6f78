"""Any JSON object as an alert, for scripts and tools without a format of
their own: one object, or `{"alerts": [...]}` of them.

Without a mapping, well-known field names are read (warroom's own first):

    {"dedup_key": "checkout-5xx", "name": "Checkout5xx", "status": "firing",
     "summary": "5xx above 2%", "service": "checkout", "severity": "critical",
     "labels": {"region": "eu-west-1"}, "impact": {"user_share": 0.3},
     "url": "https://grafana/d/x", "starts_at": "2026-11-24T10:00:00Z"}

A named source, `POST /v1/alerts/generic/<name>`, reads the fields its
`[intake.generic.<name>]` table maps (dotted paths: `monitor.name`,
`alerts.0.labels.app`); fields it does not map are read as above. Without a
dedup key the source and title are one. Paths are dotted rather than JSONPath:
each field is one value at one place, so filters and wildcards buy nothing,
and a lookup stays a few dictionary reads on the hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from warroom.intake.common import Intake, IntakeError, event, scoped, service_from, severity, text
from warroom.models import Impact, explain

MAX_ALERTS = 1_000
FIRING = {"firing", "alerting", "triggered", "trigger", "open", "problem", "critical", "warning", "error", "down", "active", "true"}
RESOLVED = {"resolved", "resolve", "ok", "recovered", "closed", "close", "normal", "up", "inactive", "false"}
DEFAULTS: dict[str, tuple[str, ...]] = {
    "title": ("name", "title", "alertname", "message", "summary", "text", "subject"),
    "dedup_key": ("dedup_key", "dedupKey", "incident_key", "fingerprint", "alert_id"),
    "status": ("status", "state"),
    "severity": ("severity", "priority", "level"),
    "service": ("service", "app", "component"),
    "url": ("url", "link", "href", "generatorURL"),
    "summary": ("summary", "description", "message", "text", "details"),
}
WHEN = TypeAdapter(datetime)


class GenericMapping(BaseModel):
    """`[intake.generic.<name>]`: where this source keeps each field, and what
    to assume when it does not say."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, description="dotted path of the alert's title, e.g. monitor.name")
    dedup_key: str | None = None
    status: str | None = None
    severity: str | None = None
    service: str | None = None
    url: str | None = None
    summary: str | None = None
    alerts: str | None = Field(None, description="path of a list of alerts in one body")
    resolved_values: list[str] = Field(default_factory=list, description="status values that mean resolved")
    default_service: str | None = None
    default_severity: str | None = None


def parse(body: Any) -> Intake:
    return parse_named(body, None, None)


def parse_named(body: Any, name: str | None, mapping: GenericMapping | None) -> Intake:
    mapping = mapping or GenericMapping()
    if not isinstance(body, dict):
        raise IntakeError(f"alert: expected a JSON object, got {type(body).__name__}")
    path = mapping.alerts or ("alerts" if isinstance(body.get("alerts"), list) else None)
    items = [(body, "")] if path is None else [(a, f"{path}.{i}.") for i, a in enumerate(_list(body, path))]
    return Intake(alerts=[_event(item, where, name, mapping) for item, where in items])


def _list(body: dict[str, Any], path: str) -> list[Any]:
    found = lookup(body, path)
    if not isinstance(found, list) or not 1 <= len(found) <= MAX_ALERTS:
        raise IntakeError(f"{path}: expected a list of 1 to {MAX_ALERTS} alerts")
    return found


def lookup(body: Any, path: str) -> Any:
    """The value at a dotted path (`a.b.0.c`), or None."""
    for part in path.split("."):
        if isinstance(body, dict):
            body = body.get(part)
        elif isinstance(body, list) and part.isdigit() and int(part) < len(body):
            body = body[int(part)]
        else:
            return None
    return body


def _event(item: Any, where: str, name: str | None, mapping: GenericMapping) -> Any:
    if not isinstance(item, dict):
        raise IntakeError(f"{where.rstrip('.') or 'alert'}: expected a JSON object, got {type(item).__name__}")

    def read(field: str, limit: int = 500) -> str | None:
        configured = getattr(mapping, field)
        paths = (configured,) if configured else DEFAULTS[field]
        for path in paths:
            value = lookup(item, path)
            if isinstance(value, dict | list):
                raise IntakeError(f"{where}{path}: expected text, got {'an object' if isinstance(value, dict) else 'a list'}")
            if value not in (None, ""):
                return text(value, limit)
        if configured:
            raise IntakeError(f"{where}{configured}: not in the body ([intake.generic.{name}] {field} = {configured!r})")
        return None

    title = read("title", 200)
    if title is None:
        raise IntakeError(f"{where}title: none of {', '.join(DEFAULTS['title'])} in the body; map one with [intake.generic.<name>] title")
    labels = _labels(item.get("labels") if isinstance(item.get("labels"), dict) else item.get("tags"))
    raw_severity = read("severity") or mapping.default_severity
    level = severity(raw_severity)
    if raw_severity is not None and level is None:
        raise IntakeError(f"{where}severity {raw_severity!r}: use SEV1..SEV4, 1..4, or critical/error/warning/info")
    key = read("dedup_key") or scoped(name or "generic", title)
    return event(
        source="generic",
        dedup_key=scoped(name, key) if name else key,
        fingerprint=text(item.get("fingerprint"), 500) or key,
        name=title,
        status=_status(read("status"), mapping, where),
        summary=read("summary") or "",
        service=read("service", 100) or service_from(labels) or mapping.default_service,
        severity=level,
        impact=_model(Impact, item.get("impact"), f"{where}impact"),
        labels=labels,
        starts_at=_model(WHEN, item.get("starts_at"), f"{where}starts_at"),
        ends_at=_model(WHEN, item.get("ends_at"), f"{where}ends_at"),
        url=read("url", 2000),
    )


def _status(raw: str | None, mapping: GenericMapping, where: str) -> str:
    if raw is None:
        return "firing"
    word = raw.strip().lower()
    if word in {v.lower() for v in mapping.resolved_values} or (not mapping.resolved_values and word in RESOLVED):
        return "resolved"
    if mapping.resolved_values or word in FIRING:
        return "firing"
    raise IntakeError(f"{where}status {raw!r}: use firing or resolved (or map resolved_values for this source)")


def _labels(raw: Any) -> dict[str, str]:
    """Labels or tags: an object of scalars, or a list of `key:value` strings."""
    if isinstance(raw, dict):
        return {str(k): text(v, 200) for k, v in raw.items() if isinstance(v, str | int | float | bool)}
    if isinstance(raw, list):
        pairs = (str(t).partition(":") for t in raw if isinstance(t, str | int | float))
        return {k.strip(): v.strip() for k, _, v in pairs if k.strip()}
    return {}


def _model(kind: Any, raw: Any, where: str) -> Any:
    if raw is None:
        return None
    try:
        return kind.validate_python(raw) if isinstance(kind, TypeAdapter) else kind.model_validate(raw)
    except ValidationError as err:
        raise IntakeError(f"{where}: {explain(err)}") from None


class IntakeConfig(BaseModel):
    """`[intake]` in warroom.toml: `[intake.generic.<name>]` per named generic source."""

    model_config = ConfigDict(extra="forbid")

    generic: dict[str, GenericMapping] = Field(default_factory=dict)
