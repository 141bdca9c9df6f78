"""Replay committed histories of real runs: a change to IncidentWorkflow that
would break incidents already running fails here (use `workflow.patched`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from workflows.incident import IncidentWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_committed():
    assert len(HISTORIES) >= 3


# Runs from the crash drill that do not replay: the open bug in their README. When
# a fix makes them replay, this xfail turns red: move them into histories/.
NONDETERMINISTIC = sorted((Path(__file__).parent / "fixtures" / "nondeterminism").glob("*.json"))


async def replay(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[IncidentWorkflow], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_replay(path):
    await replay(path)


@pytest.mark.xfail(strict=True, reason="nondeterminism after a timed-out workflow task (fixtures/nondeterminism/README.md)")
@pytest.mark.parametrize("path", NONDETERMINISTIC, ids=lambda p: p.stem)
async def test_crash_drill_runs_that_do_not_replay_yet(path):
    await replay(path)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
def test_every_activity_and_timer_says_what_it_is(path):
    """The Temporal UI shows these summaries; an unnamed step is an unreadable step."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    kinds = (EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EventType.EVENT_TYPE_TIMER_STARTED)
    scheduled = [e for e in history.events if e.event_type in kinds]
    assert scheduled
    unnamed = [e.event_id for e in scheduled if not e.user_metadata.summary.data]
    assert unnamed == []


async def test_older_histories_need_the_patch_guards(monkeypatch):
    """Proof that the guards matter: with every `workflow.patched` forced on,
    incidents started before a change (older histories) would fail to replay."""
    import workflows.incident as incident

    monkeypatch.setattr(incident.workflow, "patched", lambda patch_id: True)
    replayer = Replayer(
        workflows=[IncidentWorkflow], data_converter=pydantic_data_converter, workflow_runner=UnsandboxedWorkflowRunner()
    )
    version = {p: int(p.suffixes[-2].removeprefix(".v")) for p in HISTORIES}
    older = [p for p in HISTORIES if version[p] < max(version.values())]
    failures = []
    for path in older:
        result = await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, path.read_text()), raise_on_replay_failure=False)
        failures.append(result.replay_failure is not None)
    assert len(failures) >= 6 and all(failures)
