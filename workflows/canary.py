"""CanaryWorkflow: one run of the page-delivery canary, started by the
`<task queue>-canary` Schedule every `WARROOM_CANARY_EVERY`. It sends a
synthetic alert through the gateway, watches the canary incident from outside
(it depends on nothing the incident does for it), exports alert in -> page out,
and when no page went out by `WARROOM_CANARY_DEADLINE` pages the on-call
directly, saying what is stuck. It needs a worker itself: when there is none at
all, the heartbeat's silence is what alerts."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.canary import CanaryActivities, CanaryMiss, CanarySent
    from warroom.observability import CANARY_COMPLETED, CANARY_LATENCY, CANARY_MISSED

POLL = timedelta(seconds=1)
QUICK = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=5))


class CanaryPlan(BaseModel):
    deadline: timedelta


class CanaryOutcome(BaseModel):
    incident_id: str | None
    latency: timedelta | None = None
    missed: str | None = None


@workflow.defn(name="CanaryWorkflow")
class CanaryWorkflow:
    @workflow.run
    async def run(self, plan: CanaryPlan) -> CanaryOutcome:
        deadline = workflow.now() + plan.deadline
        try:
            sent: CanarySent = await workflow.execute_activity_method(
                CanaryActivities.send_canary_alert, workflow.info().workflow_id, summary="Send the canary alert through the gateway",
                start_to_close_timeout=timedelta(seconds=15), schedule_to_close_timeout=plan.deadline, retry_policy=QUICK,
            )
        except ActivityError as err:
            return await self._missed(None, plan.deadline, f"the gateway did not take the canary alert: {_cause(err)}")
        stuck = ""
        while workflow.now() < deadline:
            try:
                progress = await workflow.execute_activity_method(
                    CanaryActivities.check_canary, sent, summary=f"Has {sent.incident_id} paged?",
                    start_to_close_timeout=timedelta(seconds=10), schedule_to_close_timeout=max(deadline - workflow.now(), POLL),
                    retry_policy=QUICK,
                )
            except ActivityError as err:
                stuck = f"cannot read incident {sent.incident_id}: {_cause(err)}"
            else:
                if progress.paged_at is not None:
                    return self._paged(sent, progress.paged_at - sent.sent_at)
                stuck = progress.stuck
                if progress.finished:
                    break
            await workflow.sleep(POLL, summary="Wait for the canary's page")
        return await self._missed(sent.incident_id, plan.deadline, stuck or f"incident {sent.incident_id} did not page")

    def _paged(self, sent: CanarySent, latency: timedelta) -> CanaryOutcome:
        meter = workflow.metric_meter()
        meter.create_histogram_float(CANARY_LATENCY, "The canary's alert in (sent to the gateway) to its page out", "s").record(
            max(latency.total_seconds(), 0.0)
        )
        meter.create_counter(CANARY_COMPLETED, "Canaries that paged within their deadline").add(1)
        return CanaryOutcome(incident_id=sent.incident_id, latency=latency)

    async def _missed(self, incident_id: str | None, waited: timedelta, stuck: str) -> CanaryOutcome:
        workflow.metric_meter().create_counter(CANARY_MISSED, "Canaries that did not page within their deadline").add(1)
        miss = CanaryMiss(run_id=workflow.info().workflow_id, incident_id=incident_id, waited=waited, stuck=stuck)
        try:
            await workflow.execute_activity_method(
                CanaryActivities.page_canary_missed, miss, summary="Page the on-call directly: the canary missed",
                start_to_close_timeout=timedelta(seconds=30), schedule_to_close_timeout=timedelta(minutes=10),
            )
        except ActivityError as err:  # said in the outcome; the rules' WarroomCanaryMissed still fires
            return CanaryOutcome(incident_id=incident_id, missed=f"{stuck}; paging the on-call failed: {_cause(err)}")
        return CanaryOutcome(incident_id=incident_id, missed=stuck)


def _cause(err: ActivityError) -> str:
    cause = err.cause
    while cause is not None and cause.cause is not None and not getattr(cause, "message", ""):
        cause = cause.cause
    return getattr(cause, "message", "") or str(err)
