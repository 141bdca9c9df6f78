"""A 72-hour SEV1 (issue 7): a status update every 15 minutes, 5,000 repeated
alerts, each sent as its own signal (no gateway folding, the worst case).
Continue-as-new must keep every run's history under 10,000 events (Temporal
warns at 10,240) with nothing lost across runs.

It runs on the real dev server with time compressed: one second stands for
the 15-minute cadence, so the incident has the history of 72 hours (288
updates and their reminders' timers, 5,000 alerts) in about five minutes.
Temporal's time-skipping test server cannot run it: it rejects a
continue-as-new completed while new signals arrive ("invalid history builder
state"), which a real server resolves by retrying the task.

    python -m benchmarks.long_incident [--hours 72 --alerts 5000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

from benchmarks.common import write_section
from warroom.alerts import AlertBatch, AlertEvent
from warroom import models as m
from warroom.settings import Settings
from cli.devserver import dev_server
from client.incidents import start_incident
from client.temporal import connect
from store.migrate import upgrade
from worker.worker import build_worker

LIMIT = 10_000
CADENCE = timedelta(minutes=15)
TICK = timedelta(seconds=1)  # stands for CADENCE


async def run(hours: int, alerts: int) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "warroom.toml"
        config.write_text(f'[severities.SEV1]\nupdate_cadence = "{int(TICK.total_seconds())}s"\n')
        settings = Settings(
            data_dir=Path(tmp) / "data", config=config, temporal_address="127.0.0.1:17436", temporal_ui_port=18436,
            task_queue=f"bench-{uuid.uuid4().hex[:6]}",
        )
        async with dev_server(settings):
            client = await connect(settings)
            await upgrade(settings.database)  # the built-in channel log and status page are in it
            async with build_worker(client, settings):
                inp = m.IncidentInput(title="Slow burn in payments", service="payments", severity="SEV1", commander="alice")
                handle = await start_incident(client, settings, f"inc-long-{uuid.uuid4().hex[:6]}", inp)
                steps = int(timedelta(hours=hours) / CADENCE)
                per_step, extra = divmod(alerts, steps)
                sent = 0
                for step in range(steps):
                    for _ in range(per_step + (1 if step < extra else 0)):
                        sent += 1
                        alert = AlertEvent(source="alertmanager", dedup_key="payments", fingerprint="p99", name="PaymentsLatency")
                        await handle.signal("alerts", AlertBatch(alerts=[alert]))
                    await handle.signal("update", {"by": "alice", "status": "identified", "message": f"update {step + 1}"})
                    await asyncio.sleep(TICK.total_seconds())
                state = await _settled(handle, sent, steps)
                runs = await _run_lengths(client, handle.id)
                await handle.terminate()
    return {
        "alerts_sent": sent, "alerts_counted": state.alerts["p99"].count, "updates": state.metrics.updates_posted,
        "runs": len(runs), "max_events": max(runs), "phase_ok": int(state.phase is m.Phase.STABILIZE),
    }


async def _settled(handle, alerts: int, updates: int) -> m.IncidentState:
    """The incident once every signal sent has been handled (or as far as it got)."""
    for _ in range(600):
        state = m.IncidentState.model_validate(await handle.query("state"))
        if state.alerts.get("p99") and state.alerts["p99"].count >= alerts and state.metrics.updates_posted >= updates:
            return state
        await asyncio.sleep(0.1)
    return state


async def _run_lengths(client: Client, workflow_id: str) -> list[int]:
    """Events per run, following the continue-as-new chain from the first run."""
    first = await client.get_workflow_handle(workflow_id).describe()
    run_id = first.raw_description.workflow_execution_info.first_run_id or first.run_id
    lengths = []
    while run_id:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        history = await handle.fetch_history()
        lengths.append(len(history.events))
        described = await handle.describe()
        if described.status is not WorkflowExecutionStatus.CONTINUED_AS_NEW:
            break
        last = history.events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = last.new_execution_run_id
    return lengths


def report(args: argparse.Namespace, r: dict[str, int]) -> str:
    return "\n".join([
        f"### A {args.hours}-hour SEV1 ({time.strftime('%Y-%m-%d')})",
        "",
        f"Dev server, time compressed (1 s for the 15-minute cadence); a status update every cadence, {args.alerts} alerts,",
        "each its own signal; the SEV1's reminders and pages as policy sets them.",
        "",
        "| | value |",
        "|---|---|",
        f"| runs (continue-as-new) | {r['runs']} |",
        f"| most events in one run | {r['max_events']} (limit {LIMIT}) |",
        f"| alerts sent / counted | {r['alerts_sent']} / {r['alerts_counted']} |",
        f"| status updates posted | {r['updates']} |",
        "",
    ])


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=int, default=72)
    parser.add_argument("--alerts", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 6 hours, 300 alerts")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.hours, args.alerts = 6, 300
    r = await run(args.hours, args.alerts)
    text = report(args, r)
    assert r["max_events"] < LIMIT, "a run outgrew its history"
    assert r["alerts_counted"] == r["alerts_sent"] and r["phase_ok"], "something was lost across continue-as-new"
    assert r["updates"] == int(timedelta(hours=args.hours) / CADENCE)
    if not args.no_write and not args.quick:
        write_section("long-incident", text)
    return text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
    sys.stdout.flush()
    os._exit(0)
