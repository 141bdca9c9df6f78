"""FollowUpWorkflow: one pass of action-item follow-through, started hourly by the
`warroom-action-items` Schedule. Deterministic orchestration only; listing,
tracker reads, reminders and files are activities, each idempotent."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.followup import FollowUpActivities, FollowUpRecord, FollowUpSummary, OverdueReminder

SCHEDULE_ID = "warroom-action-items"
STEP = {"start_to_close_timeout": timedelta(minutes=2), "retry_policy": RetryPolicy(maximum_interval=timedelta(seconds=30))}


@workflow.defn(name="FollowUpWorkflow")
class FollowUpWorkflow:
    @workflow.run
    async def run(self) -> FollowUpSummary:
        await workflow.execute_activity_method(
            FollowUpActivities.file_untracked_action_items, summary="File archived incidents' untracked action items", **STEP
        )
        items = await workflow.execute_activity_method(
            FollowUpActivities.collect_action_items, summary="List action items of open and archived incidents", **STEP
        )
        items = await workflow.execute_activity_method(
            FollowUpActivities.sync_action_items, items, summary="Sync action-item status from the tracker", **STEP
        )
        now = workflow.now()
        for item in items:
            if item.status == "open" and item.due < now.date():
                await workflow.execute_activity_method(
                    FollowUpActivities.remind_overdue_owner,
                    OverdueReminder(item=item, today=now.date()),
                    summary=f"Remind {item.owner}: action item {item.number} of {item.incident_id} overdue",
                    **STEP,
                )
        return await workflow.execute_activity_method(
            FollowUpActivities.record_follow_up, FollowUpRecord(at=now, items=items), summary="Record close rates", **STEP
        )
