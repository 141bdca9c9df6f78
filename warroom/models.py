"""The incident's vocabulary, shared by workflow, activities, gateway and CLI.

Everything here travels through Temporal with the SDK's pydantic data converter,
so it must stay deterministic: no I/O, no clocks.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warroom.drills import Drill, marked
from warroom.metrics import Metrics
from warroom.public_state import Comms
from warroom.signals import SignalSnapshot


class Severity(StrEnum):
    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"

    @classmethod
    def parse(cls, value: Any) -> Severity:
        """Accept SEV1, sev1, "1" or 1: people type severities in a hurry."""
        if isinstance(value, Severity):
            return value
        text = str(value).strip().upper().replace(" ", "")
        if text.isdigit():
            text = f"SEV{text}"
        try:
            return cls(text)
        except ValueError:
            raise ValueError(f"unknown severity {value!r}: use SEV1, SEV2, SEV3 or SEV4") from None

    @property
    def rank(self) -> int:
        """1 is the most severe."""
        return int(self.value[-1])


class Phase(StrEnum):
    TRIAGE = "triage"
    STABILIZE = "stabilize"
    VERIFY = "verify"
    LEARN = "learn"
    CLOSED = "closed"


class Role(StrEnum):
    COMMANDER = "commander"
    OPS_LEAD = "ops_lead"
    COMMS_LEAD = "comms_lead"
    SCRIBE = "scribe"


class PublicStatus(StrEnum):
    """Status-page states, in the order an incident walks through them."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class MitigationAction(StrEnum):
    ROLLBACK = "rollback"
    FEATURE_FLAG = "feature_flag"
    SCALE_UP = "scale_up"
    LOAD_SHED = "load_shed"
    FAILOVER = "failover"
    OTHER = "other"


def explain(err: ValidationError) -> str:
    """One readable line from a pydantic error: `summary: Field required; due: ...`."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'message'}: {e['msg']}" for e in err.errors())


class Strict(BaseModel):
    """Base for messages from people and machines: unknown fields are errors, not silence."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _severity(value: Any) -> Severity:
    return Severity.parse(value)


# --- Recent changes -----------------------------------------------------------------


class ChangeKind(StrEnum):
    DEPLOY = "deploy"
    CONFIG = "config"
    FEATURE_FLAG = "feature_flag"


class Change(BaseModel):
    """A recorded change: the first suspects of an incident on its service."""

    id: str
    service: str
    kind: ChangeKind
    summary: str
    who: str
    when: datetime
    link: str | None = None

    def describe(self) -> str:
        return f"{self.when:%Y-%m-%d %H:%M} UTC {self.kind.value} by {self.who}: {self.summary}"


# --- Impact and triage --------------------------------------------------------------


class Impact(Strict):
    """Observable impact, the only input the triage policy classifies on."""

    user_share: float = Field(0.0, ge=0.0, le=1.0, description="share of users affected, 0..1")
    data_loss: bool = False
    security_breach: bool = False
    payments_or_auth_down: bool = False
    workaround: bool = True
    description: str = ""


# --- Alerts -------------------------------------------------------------------------


class AlertRecord(BaseModel):
    """What the incident remembers of one alert: repeats fold into counters."""

    fingerprint: str
    name: str
    source: str
    status: Literal["firing", "resolved"]
    summary: str = ""
    count: int = 1
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None
    url: str | None = None


# --- Incident start ------------------------------------------------------------------


class IncidentInput(BaseModel):
    """Workflow input. `resume` carries the whole state across continue-as-new."""

    title: str = Field(min_length=1, max_length=300)
    service: str = Field("unknown", min_length=1, max_length=100)
    severity: Severity | None = None
    impact: Impact = Field(default_factory=Impact)
    declared_by: str = "warroom"
    source: str = "manual"
    commander: str | None = None
    started_at: datetime | None = None
    recurrence_of: str | None = None
    drill: Drill | None = Field(None, description="a simulated incident: marked DRILL, reaches only its participants, in no metric")
    runbook: str | None = Field(None, max_length=1000, description="the runbook link an alert carried (Alertmanager's runbook_url)")
    canary: str | None = Field(None, description="a page-delivery canary: the target its page goes to")
    resume: IncidentState | None = None
    policy: dict[str, Any] | None = Field(None, description="policy snapshot carried across continue-as-new")

    _sev = field_validator("severity", mode="before")(lambda v: None if v is None else _severity(v))

    def model_post_init(self, context: Any) -> None:
        if self.drill is not None:  # the title carries the mark into channel name, memo, pages and the UI
            self.title = marked(self.title)[:300]

    def start_options(self) -> dict[str, Any]:
        """What every start of an incident carries: the memo and the UI's static summary."""
        return {"memo": {"title": self.title}, "static_summary": f"{self.severity or 'Incident'} · {self.service}: {self.title}"[:200]}


# --- State ---------------------------------------------------------------------------


class TimelineEntry(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str


class ActionItem(BaseModel):
    number: int
    title: str
    owner: str
    due: date
    addresses: str | None = None
    status: Literal["open", "done"] = "open"
    tracker_key: str | None = None
    tracker_url: str | None = None
    after_closure: bool = Field(False, description="agreed after the incident closed: kept in its archived record only")


PAGERDUTY = "pagerduty"  # the alert source, and the `via` of a page handed to PagerDuty


class PageRecord(BaseModel):
    """Who a page reached and when: the on-call load report counts these."""

    at: datetime
    target: str
    user: str
    step: int = 0
    via: str = "chat"
    delivered_at: datetime | None = None

    @property
    def reached_person(self) -> bool:
        """False for a page handed to PagerDuty: whom it woke is PagerDuty's to report."""
        return self.via != PAGERDUTY


class Deadline(BaseModel):
    """A durable promise: `due` is what people see, `next_fire` is when the workflow acts."""

    name: str
    due: datetime
    next_fire: datetime
    summary: str
    met_at: datetime | None = None
    reminders: int = 0


class ChannelRef(BaseModel):
    id: str
    name: str
    url: str | None = None


class StatusPageRef(BaseModel):
    id: str
    url: str | None = None


class MitigationRecord(BaseModel):
    at: datetime
    by: str
    action: MitigationAction
    description: str = ""
    change_id: str | None = Field(None, description="the suspect change it undoes")


class Bridge(BaseModel):
    """The war-room call SEV1/SEV2 open, linked in the channel and bookmarked there."""

    url: str
    opened_at: datetime


class Postmortem(BaseModel):
    required: bool = False
    draft_link: str | None = None
    submitted_at: datetime | None = None
    submitted_link: str | None = None
    reviewed_at: datetime | None = None
    agreed_items: list[int] = Field(default_factory=list, description="the action items the review agreed")
    no_action: str | None = Field(None, description="the review's reason that no action is needed")
    waived: str | None = Field(None, description="the commander's reason a downgraded incident owes no postmortem")


class IncidentState(BaseModel):
    """The whole incident, as the `state` query returns it."""

    id: str
    title: str
    service: str
    severity: Severity
    peak_severity: Severity | None = Field(None, description="the most severe it has been; the postmortem duty follows it")
    phase: Phase
    impact: Impact
    source: str
    public_status: PublicStatus | None = None
    roles: dict[Role, str] = Field(default_factory=dict)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    alerts: dict[str, AlertRecord] = Field(default_factory=dict)
    action_items: list[ActionItem] = Field(default_factory=list)
    pages: list[PageRecord] = Field(default_factory=list)
    deadlines: dict[str, Deadline] = Field(default_factory=dict)
    metrics: Metrics
    postmortem: Postmortem = Field(default_factory=Postmortem)
    comms: Comms = Field(default_factory=Comms)
    channel: ChannelRef | None = None
    suspects: list[Change] = Field(default_factory=list, description="changes to the service in the 24 h before declaration and since, newest first")
    mitigations: list[MitigationRecord] = Field(default_factory=list)
    bridge: Bridge | None = None
    status_page: StatusPageRef | None = None
    recurrence_of: str | None = None
    canary: str | None = None
    links: dict[str, str] = Field(default_factory=dict, description="Temporal UI, status page, ...")
    non_actionable: bool = False
    drill: Drill | None = None
    recent_batches: list[str] = Field(default_factory=list, description="ids of re-delivered alert batches already counted")
    pager_events: list[str] = Field(default_factory=list, description="ids of PagerDuty webhook events already heard")
    resolution: str | None = None
    last_update: str | None = None
    signals: dict[str, SignalSnapshot] = Field(default_factory=dict, description="latest golden-signal snapshot per moment")
    effect_seq: int = 0
    runs: int = 1

    def public(self) -> dict[str, Any]:
        """The JSON shape of the `state` query (metrics with their derived durations)."""
        data = self.model_dump(mode="json")
        data["metrics"].update(self.metrics.summary())
        return data


IncidentInput.model_rebuild()
