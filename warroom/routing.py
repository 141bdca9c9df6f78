"""Routing rules from `warroom.toml`: what an alert becomes before it reaches
an incident, evaluated in order like an Alertmanager route tree.

    [routing]
    service_labels = { alertmanager = ["service", "app", "job"] }

    [[routing.rules]]
    name = "watchdog"
    matchers = ['alertname = "Watchdog"']
    drop = true

    [[routing.rules]]
    name = "payments"
    matchers = ['namespace =~ "pay(ments)?-.*"', 'env != "staging"']
    service = "payments"
    team = "payments"
    severity = "SEV2"

Matchers use Alertmanager's syntax (`=`, `!=`, `=~`, `!~`, regexes anchored
at both ends) over the alert's labels plus `source`, `service` and
`severity`. The first rule that matches applies; `continue = true` lets the
next ones apply too. A dropped alert is recorded and counted, opens nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from warroom.alerts import AlertEvent
from warroom.intake.common import Intake, service_from
from warroom.models import Severity, _severity

MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$')


@dataclass(frozen=True)
class Matcher:
    label: str
    op: Literal["=", "!=", "=~", "!~"]
    value: str
    pattern: re.Pattern[str] | None

    @classmethod
    def parse(cls, raw: str) -> Matcher:
        found = MATCHER.match(raw)
        if not found:
            raise ValueError(f'matcher {raw!r}: write label = "value" (or !=, =~, !~)')
        label, op, quoted, bare = found.groups()
        value = bytes(quoted, "utf-8").decode("unicode_escape") if quoted is not None else bare
        try:
            pattern = re.compile(value) if op in ("=~", "!~") else None
        except re.error as err:
            raise ValueError(f"matcher {raw!r}: bad regex: {err}") from None
        return cls(label, op, value, pattern)  # type: ignore[arg-type]

    def matches(self, labels: dict[str, str]) -> bool:
        value = labels.get(self.label, "")  # a missing label is "", as in Alertmanager
        if self.pattern is not None:
            return (self.pattern.fullmatch(value) is not None) == (self.op == "=~")
        return (value == self.value) == (self.op == "=")


class RoutingRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    name: str | None = None
    matchers: list[str] = Field(default_factory=list, description='all must match, e.g. env != "staging"; none: every alert')
    service: str | None = Field(None, max_length=100)
    team: str | None = None
    severity: Severity | None = None
    drop: bool = False
    continue_: bool = Field(False, alias="continue")

    _compiled: list[Matcher] = PrivateAttr(default_factory=list)

    def model_post_init(self, context: Any) -> None:
        self._compiled = [Matcher.parse(m) for m in self.matchers]  # a bad matcher is a config error at load
    _sev = field_validator("severity", mode="before")(lambda v: None if v is None else _severity(v))

    def label(self, index: int) -> str:
        return self.name or f"rule {index + 1}"


class Routing(BaseModel):
    """`[routing]`: the service label order per source, and the rules."""

    model_config = ConfigDict(extra="forbid")

    service_labels: dict[str, list[str]] = Field(default_factory=dict, description="source -> labels read for the service")
    rules: list[RoutingRule] = Field(default_factory=list)

    def route(self, alert: AlertEvent) -> Decision:
        """What the rules make of one alert (cheap when there are none)."""
        order = self.service_labels.get(alert.source)
        if order is not None:
            alert = alert.model_copy(update={"service": service_from(alert.labels, tuple(order)) or alert.service})
        if not self.rules:
            return Decision(alert, None, False)
        view = {**alert.labels, "source": alert.source, "service": alert.service or "", "severity": str(alert.severity or "")}
        applied: list[str] = []
        changes: dict[str, Any] = {}
        for index, rule in enumerate(self.rules):
            if not all(m.matches(view) for m in rule._compiled):
                continue
            applied.append(rule.label(index))
            if rule.drop:
                return Decision(alert, ", ".join(applied), True)
            if rule.service:
                changes["service"] = rule.service
            if rule.severity:
                changes["severity"] = rule.severity
            if rule.team:
                changes["labels"] = {**changes.get("labels", alert.labels), "team": rule.team}
            if not rule.continue_:
                break
        return Decision(alert.model_copy(update=changes) if changes else alert, ", ".join(applied) or None, False)


@dataclass(frozen=True)
class Decision:
    alert: AlertEvent
    rule: str | None
    """the rules that matched, by name, or None"""
    dropped: bool



def decide(routing: Routing, intake: Intake) -> list[Decision]:
    """What the rules make of each alert of the intake, in its order."""
    if not routing.rules and not routing.service_labels:
        return [Decision(alert, None, False) for alert in intake.alerts]
    return [routing.route(alert) for alert in intake.alerts]
