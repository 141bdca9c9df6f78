"""Temporal Schedules the worker keeps in place: hourly action-item follow-up,
the heartbeat to a dead-man's switch while `WARROOM_HEARTBEAT_URL` is set, and
the page-delivery canary while `WARROOM_CANARY_EVERY` is set."""

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
    ScheduleUpdate,
)
from temporalio.service import RPCError, RPCStatusCode

from warroom.settings import Settings
from workflows.followup import SCHEDULE_ID, FollowUpWorkflow
from workflows.canary import CanaryPlan, CanaryWorkflow
from workflows.heartbeat import HeartbeatWorkflow

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


def heartbeat_schedule_id(settings: Settings) -> str:
    """One heartbeat per task queue (`warroom-heartbeat` by default)."""
    return f"{settings.task_queue}-heartbeat"


def heartbeat_schedule(settings: Settings) -> Schedule:
    every = settings.heartbeat_every
    action = ScheduleActionStartWorkflow(
        HeartbeatWorkflow.run, every.total_seconds(), id=f"{heartbeat_schedule_id(settings)}-beat",
        task_queue=settings.task_queue, execution_timeout=every,
    )
    # A beat still running at the next tick is skipped (it times out by then); beats
    # missed while Temporal itself was down are not made up afterwards.
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=max(every, timedelta(seconds=10)))
    return Schedule(action=action, spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]), policy=policy)


async def keep_schedule(client: Client, schedule_id: str, wanted: Schedule | None) -> None:
    """Make a schedule what the settings say: created or updated, or deleted
    when they turn it off. Every worker runs this at start with the same
    settings, so racing workers agree."""
    handle = client.get_schedule_handle(schedule_id)
    if wanted is None:
        try:
            await handle.delete()
        except RPCError as err:
            if err.status is not RPCStatusCode.NOT_FOUND:
                raise
        return
    try:
        await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:
        await handle.update(lambda _: ScheduleUpdate(schedule=wanted))


async def ensure_heartbeat_schedule(client: Client, settings: Settings) -> None:
    """While `WARROOM_HEARTBEAT_URL` is set."""
    await keep_schedule(client, heartbeat_schedule_id(settings), heartbeat_schedule(settings) if settings.heartbeat_url else None)


def canary_schedule_id(settings: Settings) -> str:
    return f"{settings.task_queue}-canary"


def canary_schedule(settings: Settings, every: timedelta) -> Schedule:
    action = ScheduleActionStartWorkflow(
        CanaryWorkflow.run, CanaryPlan(deadline=settings.canary_deadline), id=f"{canary_schedule_id(settings)}-run",
        task_queue=settings.task_queue,
    )
    policy = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=max(every, timedelta(seconds=10)))
    return Schedule(action=action, spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]), policy=policy)


async def ensure_canary_schedule(client: Client, settings: Settings) -> None:
    """While `WARROOM_CANARY_EVERY` is set."""
    every = settings.canary_every
    await keep_schedule(client, canary_schedule_id(settings), canary_schedule(settings, every) if every else None)
