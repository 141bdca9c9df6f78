"""Hand a starting incident the worker's policy and links, and its service's
recent changes (the first suspects), in the one local activity of its first
workflow task. It keeps the policy as a snapshot, so a config edit never changes
a running incident under its responders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from temporalio import activity

from activities.changes import ChangeActivities, RecentChanges
from warroom.models import Change
from warroom.settings import Settings


class IncidentContextRequest(BaseModel):
    incident_id: str
    recent_changes: RecentChanges | None = Field(default=None, description="also read (and watch) the service's change log")


class IncidentContext(BaseModel):
    policy: dict[str, Any]
    links: dict[str, str]
    recent_changes: list[Change] | None = Field(default=None, description="None when not asked for, or unread")
    changes_unread: str | None = Field(default=None, description="why the change log could not be read")


class PolicyActivities:
    def __init__(self, settings: Settings, changes: ChangeActivities):
        self.settings = settings
        self.changes = changes

    @activity.defn
    async def load_incident_context(self, req: IncidentContextRequest) -> IncidentContext:
        """A change log that cannot be read now is reported, not retried here:
        the incident reads it by activity instead, with Temporal's retries,
        rather than hold up its declaration."""
        context = IncidentContext(
            policy=self.settings.policy.model_dump(mode="json"),
            links={
                "Temporal UI": self.settings.workflow_url(req.incident_id),
                "Status page": f"{self.settings.gateway_url}/status",
            },
        )
        if req.recent_changes:
            try:
                context.recent_changes = await self.changes.watch_and_read(req.recent_changes)
            except Exception as err:  # any failure: the activity path retries it
                context.changes_unread = f"{type(err).__name__}: {err}"
        return context
