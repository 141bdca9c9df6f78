"""The follow-up Schedule on a real dev server (the time-skipping server has no
schedules or visibility): created once however often workers start, and its
run reaches the action items of open incidents through visibility."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from temporalio.client import ScheduleActionStartWorkflow

from store.db import Database
from store.followups import FollowUps
from worker.schedules import FOLLOW_UP_EVERY, ensure_follow_up_schedule
from workflows.followup import SCHEDULE_ID


async def test_schedule_is_created_idempotently_and_its_run_reads_open_incidents(live_warroom):
    w = live_warroom
    client = w.client
    assert await ensure_follow_up_schedule(client, w.settings) is True
    try:
        assert await ensure_follow_up_schedule(client, w.settings) is False, "a second worker start changes nothing"
        desc = await client.get_schedule_handle(SCHEDULE_ID).describe()
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "FollowUpWorkflow"
        assert action.task_queue == w.settings.task_queue
        assert desc.schedule.spec.intervals[0].every == FOLLOW_UP_EVERY

        handle = await w.declare("Checkout slow", severity="SEV3")
        due = datetime.now(UTC).date()
        await w.send(handle, "action_item", title="Add latency SLO", owner="olga", due=str(due))
        await w.state(handle)
        for _ in range(100):  # visibility lags the start by a moment
            if [wf async for wf in client.list_workflows(f"WorkflowId = '{handle.id}'")]:
                break
            await asyncio.sleep(0.1)

        schedule = client.get_schedule_handle(SCHEDULE_ID)
        await schedule.trigger()
        for _ in range(200):
            actions = (await schedule.describe()).info.recent_actions
            if actions:
                break
            await asyncio.sleep(0.1)
        run = client.get_workflow_handle(actions[0].action.workflow_id)  # the schedule suffixes the id with a timestamp
        summary = await run.result()
        assert (summary["items"], summary["done"], summary["overdue"]) == (1, 0, 0)
        followups = FollowUps(Database(w.settings.database))
        assert (await followups.run(actions[0].action.first_execution_run_id))["items"] == 1
        assert list(await followups.latest()) == [(handle.id, 1)], "the open incident's item, first seen"
    finally:
        await client.get_schedule_handle(SCHEDULE_ID).delete()
