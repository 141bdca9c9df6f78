"""What an incident has chosen to say in public, and what it tells stakeholders
beyond the channel: the public name, the components and their status, help
needed and ETA for the update template.

Kept apart from `warroom.models` (which holds it as `IncidentState.comms`) so
the public side has one home; it imports nothing of the incident's model.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ComponentStatus(StrEnum):
    """A status-page component's state, as Statuspage names them."""

    OPERATIONAL = "operational"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


SEVERITY = {status.value: rank for rank, status in enumerate(ComponentStatus)}  # declaration order, least severe first


def worst(statuses: Iterable[str]) -> ComponentStatus:
    """The most severe of `statuses`, operational when there are none: what a
    component shared by several incidents shows. A status warroom never sets
    (Statuspage's under_maintenance) is the page's own and does not count."""
    ranked = [status for status in statuses if status in SEVERITY]
    return ComponentStatus(max(ranked, key=SEVERITY.__getitem__, default=ComponentStatus.OPERATIONAL))


def parse_components(value: Any) -> Any:
    """`Checkout=partial_outage,API` (the CLI's and Slack's spelling) or a mapping;
    a name alone takes the status the severity implies (None)."""
    if not isinstance(value, str):
        return value
    parsed: dict[str, str | None] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, status = item.partition("=")
        if not name.strip():
            raise ValueError(f"a component needs a name: {item!r}")
        parsed[name.strip()] = status.strip().lower().replace(" ", "_") or None
    return parsed


class Comms(BaseModel):
    """The incident's public side and its stakeholder lines."""

    public_title: str | None = Field(None, description="the public incident's name, when a publisher chose one")
    components: dict[str, ComponentStatus | None] = Field(
        default_factory=dict, description="components a publisher set: their status, or None for the severity's"
    )
    status: str = Field("investigating", description="the latest internal status, what going public shows")
    public_since: datetime | None = Field(None, description="when the incident went on the status page")
    help_needed: str | None = None
    eta: str | None = None
