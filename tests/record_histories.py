"""Record workflow histories from real runs for the replay test (`make histories`).

One file per scenario. Until warroom 1.0.0 is released, a change to the
workflow re-records them all (README, "Changing the workflow"); from then on
they stand for incidents already running, and a change that would break their
replay needs a `workflow.patched` guard and a new history beside the old.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support import Warroom
from client.temporal import ensure_search_attributes

HISTORIES = Path(__file__).parent / "histories"


async def sev1_full_lifecycle(w: Warroom):
    h = await w.declare("Checkout down", severity="SEV1", impact={"user_share": 0.7, "description": "checkout fails"})
    await w.send(h, "acknowledge", by="bob")
    await w.send(h, "assign", role="ops_lead", user="carol")
    await w.send(h, "assign", role="comms_lead", user="dave")
    await w.env.sleep(timedelta(minutes=35))
    await w.send(h, "mitigate", action="rollback", description="v41", checklist={
        "no_irreversible_migrations": True, "no_irreversible_side_effects": True, "known_good_target": True})
    await w.send(h, "update", status="identified", message="bad deploy")
    await w.send(h, "resolve", summary="rolled back")
    await w.env.sleep(timedelta(minutes=31))
    await w.send(h, "action_item", title="Canary deploys", owner="carol", due=str(date.today() + timedelta(days=30)))
    await w.env.sleep(timedelta(hours=30))
    await w.send(h, "postmortem", event="submitted", link="https://wiki/pm")
    await w.send(h, "postmortem", event="reviewed")
    await h.result()
    return h


async def sev3_alerts_recur_and_escalate(w: Warroom):
    h = await w.declare("Disk filling", severity="SEV3", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "g", "fingerprint": "f", "name": "DiskFull"}
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await h.execute_update("alerts", {"alerts": [alert, {**alert, "fingerprint": "f2"}]}, result_type=dict)
    await h.signal("resolve", {"by": "bob"})
    await w.send(h, "resolve", summary="cleaned up")
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await w.send(h, "escalate", severity="SEV2", reason="spreading")
    await w.send(h, "downgrade", severity="SEV3", reason="contained")
    await w.send(h, "resolve", summary="bigger disk")
    await h.result()
    return h


async def auto_resolved_alert(w: Warroom):
    h = await w.declare("Flappy probe", severity="SEV4", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "p", "fingerprint": "p", "name": "ProbeFailed"}
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await h.execute_update("alerts", {"alerts": [{**alert, "status": "resolved"}]}, result_type=dict)
    await h.result()
    return h


SCENARIOS = [sev1_full_lifecycle, sev3_alerts_recur_and_escalate, auto_resolved_alert]


async def main() -> None:
    HISTORIES.mkdir(exist_ok=True)
    for scenario in SCENARIOS:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
            data_converter=pydantic_data_converter,
        )
        async with env:
            await ensure_search_attributes(env.client)
            async with Warroom(env, Path(tempfile.mkdtemp())) as w:
                handle = await scenario(w)
                history = await handle.fetch_history()
        path = HISTORIES / f"{scenario.__name__}.json"
        path.write_text(history.to_json())
        print(f"recorded {path.relative_to(Path.cwd())} ({len(history.events)} events)")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)
