"""Hand alerts that reached an incident after it left verify to the next
incident of their key (see `client.router` for the chain of incidents)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from client.router import AlertRouter, generation_of
from warroom.alerts import AlertBatch, OnwardAlerts, OnwardRouting
from warroom.settings import Settings


class RoutingActivities:
    def __init__(self, client: Client, settings: Settings):
        self.router = AlertRouter(client, settings)

    @activity.defn
    async def route_alerts_onward(self, req: OnwardAlerts) -> OnwardRouting:
        """Hand alerts to the next link after `req.after`. Idempotent: the batch
        carries an id the receiving incident counts once."""
        first = req.batch.alerts[0]
        routed = await self.router.deliver((first.source, first.dedup_key), req.batch, generation_of(req.after) + 1)
        return OnwardRouting(incident_id=routed.incident_id)

    @activity.defn
    async def release_held_alerts(self, batch: AlertBatch) -> OnwardRouting:
        """Route alerts a maintenance window held, now that it is over. Idempotent:
        the batch id makes a retried delivery count once in the incident."""
        first = batch.alerts[0]
        routed = await self.router.deliver((first.source, first.dedup_key), batch)
        return OnwardRouting(incident_id=routed.incident_id)
