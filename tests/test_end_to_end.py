"""Against a real `temporal server start-dev`: the CLI as a user runs it, and
Temporal's own CLI sending a responder message as a plain signal."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from warroom.models import Phase
from cli.devserver import temporal_binary

WARROOM = str(Path(sys.executable).parent / "warroom")


async def run(*argv: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *argv, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


def cli_env(warroom) -> dict[str, str]:
    return {
        "WARROOM_TEMPORAL_ADDRESS": warroom.client.service_client.config.target_host,
        "WARROOM_TASK_QUEUE": warroom.settings.task_queue,
        "WARROOM_DATA_DIR": str(warroom.settings.data_dir),
        "WARROOM_USER": "alice",
    }


async def test_declare_with_the_cli_and_resolve_with_a_temporal_signal(live_warroom):
    env = cli_env(live_warroom)
    code, out, err = await run(WARROOM, "declare", "Checkout errors", "--service", "checkout", "--severity", "SEV2", "--json", env=env)
    assert code == 0, err
    declared = json.loads(out)
    live_warroom.track(declared["id"])
    assert (declared["severity"], declared["roles"]["commander"]) == ("SEV2", "alice")

    handle = live_warroom.client.get_workflow_handle(declared["id"])
    assert (await live_warroom.state(handle)).phase is Phase.TRIAGE

    code, _, err = await run(
        temporal_binary(), "workflow", "signal",
        "--address", env["WARROOM_TEMPORAL_ADDRESS"], "--workflow-id", declared["id"],
        "--name", "resolve", "--input", json.dumps({"by": "bob", "summary": "rolled back"}),
        env={},
    )
    assert code == 0, err
    for _ in range(100):
        state = await live_warroom.state(handle)
        if state.phase is Phase.VERIFY:
            break
        await asyncio.sleep(0.05)
    assert state.phase is Phase.VERIFY
    assert state.timeline[-1].actor == "bob" or any(e.actor == "bob" and e.kind == "resolve" for e in state.timeline)

    code, out, err = await run(WARROOM, "resolve", declared["id"], "--summary", "again", env=env)
    assert code == 1 and "already resolved" in err and "Traceback" not in err

    code, out, _ = await run(WARROOM, "show", declared["id"].removeprefix("inc-"), env=env)
    assert code == 0 and "Checkout errors" in out and "rolled back" in out


async def test_search_attributes_make_incidents_filterable(live_warroom):
    handle = await live_warroom.declare("Auth down", severity="SEV1", service="auth", commander="carol")
    await live_warroom.state(handle)
    env = cli_env(live_warroom)
    for _ in range(100):  # visibility is eventually consistent
        code, out, err = await run(WARROOM, "list", "--severity", "SEV1", "--service", "auth", "--json", env=env)
        rows = [r for r in json.loads(out) if r["id"] == handle.id]
        if rows:
            break
        await asyncio.sleep(0.1)
    assert rows[0]["phase"] == "triage" and rows[0]["commander"] == "carol" and rows[0]["title"] == "Auth down"
