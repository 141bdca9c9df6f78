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

from tests.record_histories import COVERS, result, uncovered
from worker.worker import SANDBOXED_RUNNER
from workflows.incident import IncidentWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_committed():
    assert len(HISTORIES) >= 4
    assert set(COVERS) <= {p.stem for p in HISTORIES}


@pytest.mark.parametrize("name", sorted(COVERS))
def test_histories_cover_what_their_scenario_promises(name):
    """Escalation, reminders, reopen, drafts, the signals gate, late alerts: a
    scenario that stops reaching one of them fails here, not silently."""
    path = Path(__file__).parent / "histories" / f"{name}.json"
    history = WorkflowHistory.from_json(name, path.read_text())
    assert uncovered(name, history) == []
    state = result(history)
    assert state["phase"] == "closed"
    roles = state["roles"]
    timeline = [(e["actor"], e["kind"], e["text"]) for e in state["timeline"]]
    if name == "sev2_escalation_reopen_and_alerts_after_verify":
        assert roles.get("scribe") not in (None, roles.get("commander")), "a scribe who is not the commander"
        assert [t for _, k, t in timeline if k == "paged"] == ["paged primary (primary) via chat", "paged secondary (secondary) via chat"]
        assert any(k == "reopen" and a != "warroom" for a, k, _ in timeline), "a manual reopen"
        assert any(k == "note" for _, k, _ in timeline)
        assert state["signals"]["end of verify window"]["readings"], "verify read the golden signals"
        assert ("warroom", "verify", "monitoring window passed cleanly; customer-facing side closed") in timeline
        assert any(k == "recurrence" and "went to inc-" in t for _, k, t in timeline), "the late alert was passed on"


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


TIMELESS = {"canary_pages_and_closes"}  # a canary pages and closes in its first tasks: it has no deadline


@pytest.mark.parametrize("path", [p for p in HISTORIES if p.stem not in TIMELESS], ids=lambda p: p.stem)
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
