"""What every source's parser shares: the error, the result, and the mapping of
source severities and impact hints into warroom's triage policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from warroom.alerts import AlertEvent
from warroom.models import Impact, Severity, explain

# What a source's own severity word means before impact is known. A critical
# alert pages (SEV2); SEV1 needs impact evidence (see the triage policy), which
# a source states with impact labels or an explicit `SEV1`.
SOURCE_SEVERITY = {
    "critical": Severity.SEV2, "page": Severity.SEV2, "p1": Severity.SEV2, "disaster": Severity.SEV2,
    "error": Severity.SEV3, "high": Severity.SEV3, "major": Severity.SEV3, "p2": Severity.SEV3,
    "warning": Severity.SEV4, "warn": Severity.SEV4, "medium": Severity.SEV4, "p3": Severity.SEV4,
    "info": Severity.SEV4, "low": Severity.SEV4, "minor": Severity.SEV4, "p4": Severity.SEV4, "p5": Severity.SEV4,
}
# Impact hints a source may carry as labels, tags or custom details.
TRUE = {"true", "yes", "1", "y"}
FALSE = {"false", "no", "0", "n"}
IMPACT_HINTS = {
    "user_share": ("user_share", "users_affected", "impact_users"),
    "data_loss": ("data_loss",),
    "security_breach": ("security_breach", "security"),
    "payments_or_auth_down": ("payments_or_auth_down", "payments_down", "auth_down"),
    "workaround": ("workaround",),
}

# Where a service name is read from, in order. Never `job` by default: in
# Prometheus it is usually the scrape job (`node`, `kubernetes-pods`), not a
# service; `[routing.service_labels]` can put it back for a source.
SERVICE_LABELS = ("service", "app")

M = TypeVar("M", bound=BaseModel)


class IntakeError(ValueError):
    """A payload warroom cannot route; the message says why, for the sender."""


class Lenient(BaseModel):
    """Sources add fields over time: keep what we know, ignore the rest."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


@dataclass
class Intake:
    """A parsed request: the alerts to route, and what the source also told us."""

    alerts: list[AlertEvent]
    truncated: int = 0
    acknowledged: list[str] = field(default_factory=list, repr=False)
    """dedup keys the source says a person acknowledged (PagerDuty's acknowledge)."""


def validate(model: type[M], body: Any, what: str) -> M:
    if not isinstance(body, dict):
        raise IntakeError(f"{what}: expected a JSON object, got {type(body).__name__}")
    try:
        return model.model_validate(body)
    except ValidationError as err:
        raise IntakeError(f"{what}: {explain(err)}") from None


def event(**fields: Any) -> AlertEvent:
    try:
        return AlertEvent(**fields)
    except ValidationError as err:
        raise IntakeError(explain(err)) from None


def severity(*values: Any) -> Severity | None:
    """The first recognisable severity: `SEV1`..`SEV4`, `1`..`4`, or a source's word."""
    for value in values:
        if value is None or value == "":
            continue
        text = str(value).strip().lower()
        if text in SOURCE_SEVERITY:
            return SOURCE_SEVERITY[text]
        try:
            return Severity.parse(text)
        except ValueError:
            continue
    return None


def impact(hints: Mapping[str, Any], description: str = "") -> Impact | None:
    """Impact from hint labels; None when the source says nothing about impact."""
    found: dict[str, Any] = {}
    lowered = {str(k).lower(): v for k, v in hints.items()}
    for name, keys in IMPACT_HINTS.items():
        raw = next((lowered[k] for k in keys if k in lowered), None)
        if raw is None:
            continue
        if name == "user_share":
            share = _share(raw)
            if share is not None:
                found[name] = share
        elif (flag := _flag(raw)) is not None:
            found[name] = flag
    if not found:
        return None
    return Impact(**found, description=description[:500])


def _share(raw: Any) -> float | None:
    text = str(raw).strip().rstrip("%")
    try:
        value = float(text)
    except ValueError:
        return None
    if str(raw).strip().endswith("%") or value > 1:
        value /= 100
    return min(max(value, 0.0), 1.0)


def _flag(raw: Any) -> bool | None:
    text = str(raw).strip().lower()
    return True if text in TRUE else False if text in FALSE else None


def timestamp(value: datetime | None) -> datetime | None:
    """Alertmanager's zero time (`0001-01-01T00:00:00Z`) means "not set"."""
    return None if value is None or value.year <= 1 else value


def text(value: Any, limit: int = 500) -> str:
    return "" if value is None else str(value).strip()[:limit]


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint of a label set (prometheus/common
    `model.LabelSet.Fingerprint`): FNV-1a 64 over the names in sorted order,
    each name and value followed by the byte 0xff; 16 hex digits. For senders
    that predate the `fingerprint` field (Alertmanager < 0.20, early Grafana 8)."""
    digest = 0xCBF29CE484222325
    for name in sorted(labels):
        for byte in b"".join((name.encode(), b"\xff", labels[name].encode(), b"\xff")):
            digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def service_from(labels: Mapping[str, Any], order: tuple[str, ...] = SERVICE_LABELS) -> str | None:
    """The first of `order` the labels carry, as the incident's service."""
    return next((text(labels[name], 100) for name in order if labels.get(name)), None)


def scoped(*parts: Any) -> str:
    """A dedup key that names its sender, so two senders never share incidents."""
    return "|".join(str(p) for p in parts if p not in (None, ""))
