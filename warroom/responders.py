"""The messages responders send an incident (acknowledge, assign, update...), as
typed, validated models; `warroom.rules.messages` is the table of what each does."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from warroom.models import MitigationAction, Phase, Role, Severity, Strict, _severity
from warroom.public_state import ComponentStatus, parse_components


class Message(Strict):
    by: str = Field(min_length=1, max_length=100, description="who acts")


class Acknowledge(Message):
    pass


class Assign(Message):
    role: Role
    user: str = Field(min_length=1, max_length=100)


class Note(Message):
    text: str = Field(min_length=1, max_length=4000)


class RollbackChecklist(Strict):
    no_irreversible_migrations: bool = False
    no_irreversible_side_effects: bool = False
    known_good_target: bool = False

    def unmet(self) -> list[str]:
        return [name for name, ok in self.model_dump().items() if not ok]


class Mitigate(Message):
    action: MitigationAction
    description: str = Field("", max_length=2000)
    checklist: RollbackChecklist | None = None
    change_id: str | None = Field(None, description="the recorded change a rollback undoes")


class StatusUpdate(Message):
    status: Literal["investigating", "identified", "monitoring"]
    message: str = Field(min_length=1, max_length=2000, description="for the channel only")
    public: str | None = Field(None, max_length=2000, description="for the status page (publishers only)")
    public_title: str | None = Field(None, max_length=200, description="the public incident's name")
    components: dict[str, ComponentStatus | None] | None = Field(
        None, description="status-page components: Checkout=partial_outage,API (a name alone: as the severity implies)"
    )
    impact: str | None = Field(None, max_length=1000, description="the update's Impact line from now on")
    help_needed: str | None = Field(None, max_length=1000, description="what the team needs (people, access); '' clears")
    eta: str | None = Field(None, max_length=200, description="when service should be back, e.g. '30 min'; '' clears")

    _components = field_validator("components", mode="before")(parse_components)


class SeverityChange(Message):
    severity: Severity
    reason: str = Field(min_length=1, max_length=1000)

    _sev = field_validator("severity", mode="before")(lambda v: _severity(v))


class Resolve(Message):
    summary: str = Field(min_length=1, max_length=4000)


class Reopen(Message):
    reason: str = Field(min_length=1, max_length=1000)


class ActionItemRequest(Message):
    title: str = Field(min_length=1, max_length=250)
    owner: str = Field(min_length=1, max_length=100)
    due: date
    addresses: str | None = Field(None, max_length=500, description="the contributing factor it addresses")


class PostmortemEvent(Message):
    event: Literal["submitted", "reviewed", "waived"]
    link: str | None = Field(None, max_length=1000)
    no_action: str | None = Field(None, max_length=1000, description="reviewed without action items: why none is needed")
    reason: str | None = Field(None, max_length=1000, description="waived: why a downgraded incident needs no postmortem")


class DraftPostmortem(Message):
    """Ask for a postmortem draft from the timeline now, for any incident (SEV1/SEV2
    get one automatically when they leave verify). It replaces an earlier draft."""


class Receipt(BaseModel):
    """What an accepted update answers: enough for a CLI line."""

    incident_id: str
    phase: Phase
    severity: Severity
    text: str
