"""Severity policy: how impact becomes a severity, and what each severity demands.

Defaults follow the seeds (003 §2, 004): SEV1 pages everyone and updates every
30 minutes, SEV2 every 60, SEV3 at start and end, SEV4 never; SEV1/SEV2 need a
blameless postmortem. `warroom.toml` overrides any of it.
"""

from __future__ import annotations

import string
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.drills import DrillPolicy
from warroom.durations import parse_duration
from warroom.intake.generic import IntakeConfig
from warroom.maintenance import ScheduledWindow
from warroom.models import Impact, Severity
from warroom.people import BusinessHours, People, Team
from warroom.public_policy import StakeholderConfig, StatusPageConfig
from warroom.routing import Routing
from warroom.signals import SignalQueries


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TriageRule(Config):
    """A rule matches when every condition it names holds; the first match wins."""

    severity: Severity
    min_user_share: float | None = None
    data_loss: bool | None = None
    security_breach: bool | None = None
    payments_or_auth_down: bool | None = None
    workaround: bool | None = None

    def matches(self, impact: Impact) -> bool:
        if self.min_user_share is not None and impact.user_share < self.min_user_share:
            return False
        flags = ("data_loss", "security_breach", "payments_or_auth_down", "workaround")
        return all(getattr(self, f) is None or getattr(self, f) == getattr(impact, f) for f in flags)


DEFAULT_TRIAGE = [
    TriageRule(severity=Severity.SEV1, data_loss=True),
    TriageRule(severity=Severity.SEV1, security_breach=True),
    TriageRule(severity=Severity.SEV1, payments_or_auth_down=True),
    TriageRule(severity=Severity.SEV1, min_user_share=0.5),
    TriageRule(severity=Severity.SEV2, min_user_share=0.05, workaround=False),
    TriageRule(severity=Severity.SEV2, min_user_share=0.25),
    TriageRule(severity=Severity.SEV3, min_user_share=0.0001),
    TriageRule(severity=Severity.SEV4),
]


class SeverityPolicy(Config):
    """What one severity demands of the response."""

    page: bool = Field(description="page the on-call rotation (24/7) instead of a channel heads-up")
    update_cadence: timedelta | None = Field(description="internal updates due this often; None: start and end only")
    public: bool = Field(description="post on the public status page")
    status_impact: Literal["critical", "major", "minor", "none"] = "none"
    postmortem: bool = Field(description="a blameless postmortem is mandatory")
    bridge: bool = False
    roles_required_within: timedelta | None = Field(
        None, description="remind when commander, ops lead or comms lead stay unassigned this long"
    )

    _cadence = field_validator("update_cadence", "roles_required_within", mode="before")(
        lambda v: None if v in (None, "", "none") else parse_duration(v)
    )


DEFAULT_SEVERITIES: dict[Severity, SeverityPolicy] = {
    Severity.SEV1: SeverityPolicy(
        page=True, update_cadence=timedelta(minutes=30), public=True, status_impact="critical",
        postmortem=True, bridge=True, roles_required_within=timedelta(minutes=10),
    ),
    Severity.SEV2: SeverityPolicy(
        page=True, update_cadence=timedelta(minutes=60), public=True, status_impact="major",
        postmortem=True, bridge=True, roles_required_within=timedelta(minutes=15),
    ),
    Severity.SEV3: SeverityPolicy(
        page=False, update_cadence=None, public=True, status_impact="minor", postmortem=False,
    ),
    Severity.SEV4: SeverityPolicy(page=False, update_cadence=None, public=False, postmortem=False),
}


class EscalationStep(Config):
    """Page `target` (a rotation name or a user) `after` the previous step went unacknowledged."""

    target: str
    after: timedelta = timedelta(0)

    _after = field_validator("after", mode="before")(lambda v: parse_duration(v))


class Rotation(Config):
    """Who is on call: `users` take turns of length `shift`, handing off at the
    local time of `start` in `timezone` (so handoffs follow daylight saving)."""

    users: list[str] = Field(min_length=1)
    start: datetime
    shift: timedelta = timedelta(days=7)
    timezone: str = "UTC"
    business_hours: BusinessHours | None = Field(None, description="when this rotation works, if its team has none")

    _shift = field_validator("shift", mode="before")(lambda v: parse_duration(v))

    def on_call(self, at: datetime) -> str:
        zone = ZoneInfo(self.timezone)
        start = self.start.replace(tzinfo=zone) if self.start.tzinfo is None else self.start.astimezone(zone)
        # Count shifts in local wall-clock time, so a 09:00 handoff stays at 09:00.
        local = at.astimezone(zone).replace(tzinfo=None)
        turns = (local - start.replace(tzinfo=None)) // self.shift
        return self.users[int(turns) % len(self.users)]


class ServiceConfig(Config):
    team: str | None = None
    components: list[str] = Field(default_factory=list, description="status-page component names")
    escalation: list[EscalationStep] = Field(default_factory=list)
    responders: list[str] = Field(default_factory=list, description="invited to the incident channel")
    signals: SignalQueries | None = Field(None, description="golden-signal queries: snapshots, and the verify gate")
    runbook: str | None = Field(None, description="the service's runbook link, shown in the channel and `warroom show`")


DEFAULT_ESCALATION = [
    EscalationStep(target="primary"),
    EscalationStep(target="secondary", after=timedelta(minutes=5)),
    EscalationStep(target="manager", after=timedelta(minutes=10)),
]


BRIDGE_PLACEHOLDERS = {"incident_id", "service", "team", "severity"}


def _bridge_template(url: str) -> str:
    unknown = {name for _, name, _, _ in string.Formatter().parse(url) if name is not None} - BRIDGE_PLACEHOLDERS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {sorted(unknown)} in {url!r}; use {sorted(BRIDGE_PLACEHOLDERS)}")
    return url


class BridgeConfig(Config):
    """Where the war-room call of a severity with `bridge = true` happens: a
    team's fixed meeting room, else the `url` template, else none."""

    url: str | None = Field(None, description="e.g. https://meet.example.com/{incident_id}")
    teams: dict[str, str] = Field(default_factory=dict, description="team -> its fixed meeting link (placeholders allowed)")

    _templates = field_validator("url")(lambda v: v if v is None else _bridge_template(v))
    _team_templates = field_validator("teams")(lambda v: {team: _bridge_template(url) for team, url in v.items()})

    def link(self, incident_id: str, service: str, team: str | None, severity: Severity) -> str | None:
        template = self.teams.get(team or "") or self.url
        if template is None:
            return None
        return template.format(incident_id=incident_id, service=service, team=team or "", severity=str(severity))


class Timing(Config):
    monitoring_window: timedelta = timedelta(minutes=30)
    postmortem_draft_due: timedelta = timedelta(hours=24)
    postmortem_review_due: timedelta = timedelta(days=5)
    remind_before: timedelta = Field(timedelta(hours=4), description="reminder ahead of each postmortem deadline")
    overdue_every: timedelta = Field(timedelta(hours=24), description="repeat overdue reminders this often")

    _durations = field_validator("*", mode="before")(lambda v: parse_duration(v))


class Policy(Config):
    """The whole policy; a snapshot of it travels with each incident, so a running
    incident is never changed under its responders by a config edit."""

    severities: dict[Severity, SeverityPolicy] = Field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    triage: list[TriageRule] = Field(default_factory=lambda: list(DEFAULT_TRIAGE))
    services: dict[str, ServiceConfig] = Field(default_factory=dict)
    rotations: dict[str, Rotation] = Field(default_factory=dict)
    timing: Timing = Field(default_factory=Timing)
    bridge: BridgeConfig = Field(default_factory=BridgeConfig)
    people: People = Field(default_factory=People, description="[people.<handle>]: warroom.people")
    teams: dict[str, Team] = Field(default_factory=dict, description="[teams.<name>]: on-call group, business hours")
    status_page: StatusPageConfig = Field(default_factory=StatusPageConfig)
    stakeholders: StakeholderConfig = Field(default_factory=StakeholderConfig)
    intake: IntakeConfig = Field(default_factory=IntakeConfig, description="named generic sources' field mappings")
    routing: Routing = Field(default_factory=Routing, description="alert routing rules, in order")
    maintenance: list[ScheduledWindow] = Field(default_factory=list, description="scheduled maintenance windows")
    drills: DrillPolicy = Field(default_factory=DrillPolicy)
    default_severity: Severity = Severity.SEV3

    _sev_keys = field_validator("severities", mode="before")(
        lambda v: {Severity.parse(k): p for k, p in v.items()} if isinstance(v, dict) else v
    )

    def classify(self, impact: Impact) -> Severity:
        for rule in self.triage:
            if rule.matches(impact):
                return rule.severity
        return self.default_severity

    def for_severity(self, severity: Severity) -> SeverityPolicy:
        return self.severities[severity]

    def service(self, name: str) -> ServiceConfig:
        return self.services.get(name) or ServiceConfig()

    def team(self, service: str) -> Team:
        return self.teams.get(self.service(service).team or "") or Team()

    def business_hours(self, service: str) -> BusinessHours | None:
        """The service's team's hours, else those of the rotation its first escalation step pages."""
        if hours := self.team(service).business_hours:
            return hours
        team, target = self.service(service).team, self.escalation(service)[0].target
        rotation = self.rotations.get(f"{team}-{target}") or self.rotations.get(target)
        return rotation.business_hours if rotation else None

    def bridge_link(self, incident_id: str, service: str, severity: Severity) -> str | None:
        return self.bridge.link(incident_id, service, self.service(service).team, severity)

    def escalation(self, service: str) -> list[EscalationStep]:
        return self.service(service).escalation or DEFAULT_ESCALATION

    def resolve_target(self, service: str, target: str, at: datetime) -> str:
        """A page target is a rotation (`<team>-<target>` first, then `<target>`) or a user."""
        team = self.service(service).team
        for name in (f"{team}-{target}" if team else None, target):
            if name and name in self.rotations:
                return self.rotations[name].on_call(at)
        return target


def load_policy(path: Path | None, timing: dict[str, Any] | None = None) -> Policy:
    """Read `warroom.toml` over the defaults. Severity tables merge field by field,
    so overriding one cadence does not require restating the whole table."""
    data: dict[str, Any] = tomllib.loads(path.read_text()) if path else {}
    severities = {sev: pol.model_dump() for sev, pol in DEFAULT_SEVERITIES.items()}
    for key, override in data.pop("severities", {}).items():
        severities[Severity.parse(key)].update(override)
    merged_timing = {**(timing or {}), **data.pop("timing", {})}
    return Policy(severities=severities, timing=Timing(**merged_timing), **data)
