"""Replay committed histories of real runs in Temporal's sandbox: a change to
IncidentWorkflow that would break incidents already running fails here. Until
1.0.0, re-record them (`make histories`); after it, guard the change with
`workflow.patched`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker.worker import SANDBOXED_RUNNER
from workflows.incident import IncidentWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_committed():
    assert len(HISTORIES) >= 3


async def replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOXED_RUNNER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path):
    await replay(path)


def run_timers_late(raw: str) -> str:
    """The history as a worker may live it: each task woken by a timer runs at
    the previous task's time. (A worker that answered a query while the task sat
    on a dead worker's queue does so: tests/fixtures/nondeterminism/.)"""
    history = json.loads(raw)
    events = history["events"]
    previous_start = None
    late = False
    for event in events:
        if event["eventType"] == "EVENT_TYPE_TIMER_FIRED":
            late = True
        elif event["eventType"] == "EVENT_TYPE_WORKFLOW_TASK_STARTED":
            if late and previous_start:
                event["eventTime"] = previous_start
            previous_start, late = event["eventTime"], False
    return json.dumps(history)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_deadlines_decide_the_same_when_their_task_runs_late(path):
    """What a deadline does depends on its timer, never on the time its task ran at."""
    history = WorkflowHistory.from_json(path.stem, run_timers_late(path.read_text()))
    assert any(e.event_type == EventType.EVENT_TYPE_TIMER_FIRED for e in history.events)
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOXED_RUNNER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_every_activity_and_timer_says_what_it_is(path):
    """The Temporal UI shows these summaries; an unnamed step is an unreadable step."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    kinds = (EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_TIMER_STARTED)
    scheduled = [e for e in history.events if e.event_type in kinds]
    assert scheduled
    unnamed = [e.event_id for e in scheduled if not e.user_metadata.summary.data]
    assert unnamed == []
