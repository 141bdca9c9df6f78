"""Long incidents continue as new before Temporal's limits, with nothing lost."""

from __future__ import annotations

from datetime import timedelta

from temporalio.worker import UnsandboxedWorkflowRunner

import workflows.incident
from tests.support import Warroom
from warroom.models import Phase


async def test_continue_as_new_keeps_the_whole_incident(env, tmp_path, monkeypatch):
    # Without the sandbox the workflow reads the patched limit (the real one is 1,000).
    monkeypatch.setattr(workflows.incident, "MAX_MESSAGES_PER_RUN", 5)
    async with Warroom(env, tmp_path, workflow_runner=UnsandboxedWorkflowRunner()) as warroom:
        handle = await warroom.declare("Slow burn", severity="SEV1")
        alert = {"source": "alertmanager", "dedup_key": "g", "fingerprint": "f", "name": "Latency"}
        for i in range(12):
            await handle.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
            await warroom.send(handle, "note", text=f"note {i}")
        state = await warroom.state(handle)
        assert state.runs >= 3
        assert state.alerts["f"].count == 12
        assert [e.text for e in state.timeline if e.kind == "note"] == [f"note {i}" for i in range(12)]
        assert {"status_update", "page", "roles"} <= set(state.deadlines)

        await warroom.send(handle, "resolve", summary="tuned the pool")
        await warroom.env.sleep(timedelta(minutes=31))
        await warroom.send(handle, "postmortem", event="submitted")
        await warroom.send(handle, "postmortem", event="reviewed", no_action="the pool size is now set by config")
        result = await handle.result()
        assert result["phase"] == Phase.CLOSED.value and result["runs"] >= 3
