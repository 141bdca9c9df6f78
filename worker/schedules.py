"""Temporal Schedules the worker keeps in place: today, hourly action-item follow-up."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    SchedulePolicy,
    ScheduleOverlapPolicy,
    ScheduleSpec,
)

from warroom.settings import Settings
from workflows.followup import SCHEDULE_ID, FollowUpWorkflow

FOLLOW_UP_EVERY = timedelta(hours=1)


async def ensure_follow_up_schedule(client: Client, settings: Settings) -> bool:
    """Create the `warroom-action-items` schedule unless it exists; True if created.
    Every worker calls this at startup, so it must be safe to repeat and to race:
    the server refuses the second create, which is the answer we want."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(FollowUpWorkflow.run, id=f"{SCHEDULE_ID}-run", task_queue=settings.task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=FOLLOW_UP_EVERY)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
