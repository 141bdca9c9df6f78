"""What the incident rules ask of the integrations: one typed request per
operation (and the result it answers with, where the rules read one).

The rules build these; the workflow hands each to its activity, and the
activities in `activities/` carry them out. Nothing here talks to anything."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from warroom import blameless
from warroom.changes import ChangeWindow
from warroom.models import ChannelRef, IncidentState, PublicStatus, Severity, StatusPageRef
from warroom.public_state import ComponentStatus
from warroom.signals import SignalQueries


# --- Chat: the incident channel and direct messages --------------------------------------

RESPONSE_BUTTONS = ("acknowledge", "escalate", "resolve")  # on the page and the first channel post
UPDATE_BUTTONS = ("update",)  # on the status update reminder


def buttons_field() -> Any:
    return Field(default_factory=list, description="responder messages (by name) offered as buttons where chat has them")


class FirstPost(BaseModel):
    text: str
    idempotency_key: str
    buttons: list[str] = buttons_field()


class OpenChannel(BaseModel):
    incident_id: str
    title: str
    declared_on: date
    severity: Severity
    topic: str
    invite: list[str] = Field(default_factory=list)
    bookmarks: dict[str, str] = Field(default_factory=dict, description="title -> URL")
    first_post: FirstPost | None = Field(default=None, description="posted once the channel is open, by the same activity")

    def first_message(self, channel: ChannelRef) -> ChannelPost | None:
        """The first post, as a post to the opened `channel`."""
        first = self.first_post
        if first is None:
            return None
        return ChannelPost(
            incident_id=self.incident_id, channel=channel, text=first.text, idempotency_key=first.idempotency_key,
            buttons=first.buttons,
        )


class ChannelPost(BaseModel):
    incident_id: str
    channel: ChannelRef | None
    text: str
    idempotency_key: str
    buttons: list[str] = buttons_field()


class ChannelTopic(BaseModel):
    incident_id: str
    channel: ChannelRef | None = Field(None, description="filled in as the effect runs; never sent without one")
    topic: str


class ChannelBookmark(BaseModel):
    """A link pinned in the channel header; one per title, however often sent."""

    incident_id: str
    channel: ChannelRef | None = Field(None, description="filled in as the effect runs; never sent without one")
    title: str
    link: str


class ChannelArchive(BaseModel):
    incident_id: str
    channel: ChannelRef | None = Field(None, description="filled in as the effect runs; never sent without one")


class ChannelInvite(BaseModel):
    """People to add to the channel: each as chat reaches them (`People.address`)."""

    incident_id: str
    channel: ChannelRef | None = Field(None, description="filled in as the effect runs; never sent without one")
    users: list[str]


class DirectMessage(BaseModel):
    incident_id: str
    user: str = Field(description="who, as people read it (a handle)")
    text: str
    idempotency_key: str
    address: str | None = Field(None, description="how chat reaches them: a Slack user id or an e-mail address")
    buttons: list[str] = buttons_field()


# --- Paging ------------------------------------------------------------------------------


class PageRequest(BaseModel):
    incident_id: str
    service: str
    severity: Severity
    title: str
    target: str
    step: int
    at: datetime | None = Field(None, description="when the page was due: who is on call then")
    incident_url: str | None = None
    channel: ChannelRef | None = Field(None, description="the incident channel, once open: the page links it")
    idempotency_key: str
    drill: bool = Field(False, description="a drill's page: `target` is a participant, and PagerDuty is never used")
    canary: bool = Field(False, description="the page-delivery canary's: to its target, never through PagerDuty")


class PageResult(BaseModel):
    user: str
    via: str
    unreached: str | None = Field(None, description="why the direct message failed, when the page went to the channel instead")
    delivered_at: datetime | None = Field(None, description="when the pager or chat accepted it")


class PageUpdate(BaseModel):
    """What became of a page that went through PagerDuty."""

    incident_id: str
    action: Literal["acknowledge", "resolve"]


# --- Postmortem drafts and the blameless check -------------------------------------------


class DraftRequest(BaseModel):
    state: IncidentState
    generated_at: datetime
    replace: bool = False


class DraftRef(BaseModel):
    url: str = Field(description="where the gateway serves the draft: the link people open")
    written: bool = Field(description="False when a draft existed and was kept")


class CheckRequest(BaseModel):
    incident_id: str
    link: str
    participants: list[str] = Field(default_factory=list, description="the incident's people: names the check looks for")


class CheckResult(BaseModel):
    checked: bool
    reason: str = ""
    findings: list[blameless.Finding] = []


# --- Golden signals ----------------------------------------------------------------------


class SnapshotRequest(BaseModel):
    incident_id: str
    service: str
    moment: str
    queries: SignalQueries


# --- Status page -------------------------------------------------------------------------


class StatusPost(BaseModel):
    """One publication: the public name, the status and, unless only the name or
    components change, a new public update's text; components with the state
    they are in from now on (the rules decide it: both pages apply it as is)."""

    incident_id: str
    page_ref: StatusPageRef | None = None
    title: str = Field(description="the public incident's name, never the internal title unless chosen")
    service: str
    status: PublicStatus
    message: str | None = Field(description="the new public update; None: name and components only")
    impact: Literal["critical", "major", "minor", "none"] = "none"
    components: dict[str, ComponentStatus] = Field(default_factory=dict)
    idempotency_key: str


# --- Follow-up tracker -------------------------------------------------------------------


class TrackerItem(BaseModel):
    incident_id: str
    number: int
    title: str
    owner: str
    due: date
    severity: Severity
    description: str
    assignee: str | None = Field(None, description="the owner's Jira accountId (Cloud) or username (Server), if configured")
    assignee_email: str | None = Field(None, description="to find the owner's Jira account when `assignee` is not set")
    label: str | None = Field(None, description="one more label, e.g. a drill's")

    @property
    def labels(self) -> list[str]:
        return ["warroom", f"incident-{self.incident_id}", f"action-{self.number}", *([self.label] if self.label else [])]


class TrackerRef(BaseModel):
    key: str
    url: str | None = None
    status: Literal["open", "done"] = "open"
    unassigned: str | None = Field(None, description="why the owner could not be made the assignee")


# --- Incident archive --------------------------------------------------------------------


class ArchiveRequest(BaseModel):
    state: IncidentState


# --- Recent changes ---------------------------------------------------------------------


class RecentChanges(ChangeWindow):
    service: str
    incident_id: str = Field(description="watches the log: changes recorded later are signalled to it")
