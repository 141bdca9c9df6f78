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


class DirectMessage(BaseModel):
    incident_id: str
    user: str
    text: str
    idempotency_key: str
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
    idempotency_key: str


class PageResult(BaseModel):
    user: str
    via: str


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
    incident_id: str
    page_ref: StatusPageRef | None = None
    title: str
    service: str
    status: PublicStatus
    message: str
    impact: Literal["critical", "major", "minor", "none"] = "none"
    components: list[str] = Field(default_factory=list)
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

    @property
    def labels(self) -> list[str]:
        return ["warroom", f"incident-{self.incident_id}", f"action-{self.number}"]


class TrackerRef(BaseModel):
    key: str
    url: str | None = None
    status: Literal["open", "done"] = "open"


# --- Incident archive --------------------------------------------------------------------


class ArchiveRequest(BaseModel):
    state: IncidentState


# --- Recent changes ---------------------------------------------------------------------


class RecentChanges(ChangeWindow):
    service: str
    incident_id: str = Field(description="watches the log: changes recorded later are signalled to it")
