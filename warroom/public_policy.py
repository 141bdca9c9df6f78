"""Who speaks for an incident outside its channel, and when: `[status_page]`
and `[stakeholders]` in `warroom.toml`.

Seed 004: "Define in advance who has authority to post public status updates,
what level of incident triggers public communication"; seed 003: verify before
declaring, and the comms lead "updates the executive team".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from warroom.durations import parse_duration
from warroom.models import Severity

PublishOn = Literal["declare", "acknowledge", "manual"]
# An alert is not a verified incident: one opened by an alert waits for a person's
# acknowledgement even where its severity says `declare`.
DEFAULT_PUBLISH_ON: dict[Severity, PublishOn] = {
    Severity.SEV1: "declare",
    Severity.SEV2: "acknowledge",
    Severity.SEV3: "acknowledge",
    Severity.SEV4: "manual",
}


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusPageConfig(_Config):
    """`publishers`: roles (commander, ops_lead, comms_lead, scribe) or people
    whose public text, public title and components reach the page.
    `publish_on`: per severity, when the incident goes public by itself:
    at a person's declaration, at the first acknowledgement, or only when a
    publisher sends public text."""

    publishers: list[str] = Field(default_factory=lambda: ["comms_lead", "commander"])
    publish_on: dict[Severity, PublishOn] = Field(default_factory=lambda: dict(DEFAULT_PUBLISH_ON))

    @field_validator("publish_on", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """Naming one severity keeps the defaults of the others."""
        if not isinstance(value, dict):
            return value
        return {**DEFAULT_PUBLISH_ON, **{Severity.parse(k): v for k, v in value.items()}}


class StakeholderConfig(_Config):
    """`announce`: a channel (Slack id or name) that gets one line on declare,
    severity change, resolve and close of every incident. `executives`: people
    (handles) and channels (`#name` or a Slack id starting with C) that get the
    executive summary of the `executive_severities` every `executive_every`."""

    announce: str | None = None
    executives: list[str] = Field(default_factory=list)
    executive_every: timedelta = timedelta(hours=1)
    executive_severities: list[Severity] = Field(default_factory=lambda: [Severity.SEV1])

    _every = field_validator("executive_every", mode="before")(lambda v: parse_duration(v))
    _severities = field_validator("executive_severities", mode="before")(
        lambda v: [Severity.parse(s) for s in v] if isinstance(v, list) else v
    )
