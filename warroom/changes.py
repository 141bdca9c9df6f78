"""Recent changes of a service (deploys, config, feature flags): the records
the change log keeps and the rules for reading them. Its workflow is
`workflows.changes`; callers reach it through `client.changes`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from pydantic import AliasChoices, BaseModel, Field, field_validator

from warroom.models import Change, ChangeKind, Strict

RETENTION = timedelta(days=7)
# A change reported a little ahead of this clock is clock skew, further ahead a mistake.
FUTURE_TOLERANCE = timedelta(minutes=5)
MEMO_KEY = "changes"
CHANGE_RECORDED = "change_recorded"  # the incident's signal
# Incidents told of new changes; the oldest fall off (a closed one falls off when told).
MAX_WATCHERS = 100


class ChangeRequest(Strict):
    """A deploy, config or feature-flag change as deploy tools report it. Without
    `when` it happened now; the same `idempotency_key` (or the same service,
    summary and `when`) records it once however often it is sent."""

    service: str = Field(min_length=1, max_length=100)
    kind: ChangeKind
    summary: str = Field(
        min_length=1, max_length=500, validation_alias=AliasChoices("summary", "what"), description="what changed (alias: what)"
    )
    who: str = Field(min_length=1, max_length=100)
    when: datetime | None = None
    link: str | None = Field(None, max_length=1000)
    idempotency_key: str | None = Field(None, max_length=200)

    _utc = field_validator("when")(lambda v: v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v)


def changes_workflow_id(service: str) -> str:
    return f"changes-{service}"


def change_id(service: str, req: ChangeRequest, when: datetime) -> str:
    """Stable per change, so a retried report maps onto the entry it already made."""
    identity = req.idempotency_key or f"{req.kind.value}\x00{req.summary}\x00{when.isoformat()}"
    return "chg-" + hashlib.sha256(f"{service}\x00{identity}".encode()).hexdigest()[:12]


class ChangeLog(BaseModel):
    """Workflow input; `changes` carries the log across continue-as-new."""

    service: str
    changes: list[Change] = Field(default_factory=list)
    watchers: list[str] = Field(default_factory=list, description="incidents of the service told of each new change")
    untold: list[Change] = Field(default_factory=list, description="recorded, not yet told to the watchers")


class ChangeWindow(BaseModel):
    since: datetime
    until: datetime | None = None


def within(changes: Iterable[Change], window: ChangeWindow) -> list[Change]:
    """The changes in the window, newest first."""
    found = [c for c in changes if c.when >= window.since and (window.until is None or c.when <= window.until)]
    return sorted(found, key=lambda c: c.when, reverse=True)


class ChangeReceipt(BaseModel):
    id: str
    recorded: bool = Field(description="False when this change was already recorded")
