"""Hand a starting incident the worker's policy and links; it keeps them as a
snapshot, so a config edit never changes a running incident under its responders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import activity

from warroom.settings import Settings


class IncidentContext(BaseModel):
    policy: dict[str, Any]
    links: dict[str, str]


class PolicyActivities:
    def __init__(self, settings: Settings):
        self.settings = settings

    @activity.defn
    async def load_incident_context(self, incident_id: str) -> IncidentContext:
        return IncidentContext(
            policy=self.settings.policy.model_dump(mode="json"),
            links={
                "Temporal UI": self.settings.workflow_url(incident_id),
                "Status page": f"{self.settings.gateway_url}/status",
            },
        )
