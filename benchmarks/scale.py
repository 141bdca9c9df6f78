"""2,000 incidents open at once on one worker (issue 7): the worker's memory,
and how late reminders fire against their due time.

The worker runs as its own process (`warroom worker`), so its resident memory
is its own (peak, from /proc). Every incident is a SEV2 with a short update
cadence, so each fires status-update reminders while all are open; lateness is
read from Temporal's events: a reminder timer's fire time minus its start time
plus its duration.

    python -m benchmarks.scale [--incidents 2000 --cadence 3m --watch 240] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.api.enums.v1 import EventType

from store.migrate import upgrade
from benchmarks.common import percentile, process, write_section
from warroom import models as m
from warroom.settings import Settings
from cli.devserver import dev_server
from client.incidents import start_incident
from client.temporal import connect

STARTED = EventType.EVENT_TYPE_TIMER_STARTED
FIRED = EventType.EVENT_TYPE_TIMER_FIRED


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def lateness(client, workflow_id: str) -> list[float]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    started = {}
    late = []
    for e in history.events:
        if e.event_type == STARTED:
            a = e.timer_started_event_attributes
            started[a.timer_id] = e.event_time.ToDatetime() + a.start_to_fire_timeout.ToTimedelta()
        elif e.event_type == FIRED:
            due = started.get(e.timer_fired_event_attributes.timer_id)
            if due:
                late.append((e.event_time.ToDatetime() - due).total_seconds())
    return late


async def run(incidents: int, cadence: str, watch: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "warroom.toml"
        config.write_text(f'[severities.SEV2]\nupdate_cadence = "{cadence}"\npage = false\nroles_required_within = "{cadence}"\n')
        settings = Settings(
            data_dir=Path(tmp) / "data", config=config, temporal_address="127.0.0.1:17435", temporal_ui_port=18435,
            task_queue=f"bench-{uuid.uuid4().hex[:6]}",
        )
        env = {
            "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
            "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_CONFIG": str(config),
        }
        await upgrade(settings.database)
        async with dev_server(settings):
            client = await connect(settings)
            warroom = str(Path(sys.executable).parent / "warroom")
            async with process(warroom, "worker", env=env) as worker:
                run_id = uuid.uuid4().hex[:6]
                ids = [f"inc-scale-{run_id}-{i}" for i in range(incidents)]
                semaphore = asyncio.Semaphore(32)

                async def start(i: int) -> None:
                    async with semaphore:
                        inp = m.IncidentInput(title=f"Scale {i}", service="bench", severity="SEV2", commander="alice")
                        await start_incident(client, settings, ids[i], inp)

                began = time.perf_counter()
                await asyncio.gather(*(start(i) for i in range(incidents)))
                started_in = time.perf_counter() - began
                peak = 0.0
                deadline = time.monotonic() + watch
                while time.monotonic() < deadline:
                    peak = max(peak, rss_mb(worker.pid)[1])
                    await asyncio.sleep(2)
                current, peak = rss_mb(worker.pid)
                late = []
                for workflow_id in ids[:: max(1, incidents // 200)]:
                    late += await lateness(client, workflow_id)
                for workflow_id in ids:
                    await client.get_workflow_handle(workflow_id).terminate()
    return {
        "incidents": incidents, "started_in": started_in, "rss": current, "peak": peak, "timers": len(late),
        "late_p50": percentile(late, 0.5), "late_p99": percentile(late, 0.99), "late_max": max(late),
    }


def report(args: argparse.Namespace, r: dict[str, float]) -> str:
    return "\n".join([
        f"### {r['incidents']} incidents open on one worker ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"SEV2 incidents with a {args.cadence} update cadence and role reminders, watched for {args.watch:.0f} s",
        f"after all were started ({r['started_in']:.0f} s to start them, each mobilizing on the local integrations).",
        "",
        "| | value | target |",
        "|---|---|---|",
        f"| worker RSS, peak / at the end | {r['peak']:.0f} MB / {r['rss']:.0f} MB | <= 512 MB |",
        f"| reminder lateness p50 / p99 / max ({r['timers']} timers sampled) | {r['late_p50']:.2f} s / {r['late_p99']:.2f} s / {r['late_max']:.2f} s | p99 <= 1 s |",
        "",
    ])


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=2_000)
    parser.add_argument("--cadence", default="3m")
    parser.add_argument("--watch", type=float, default=240.0, help="seconds to keep them open")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 100 incidents, 30s cadence, 45 s")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents, args.cadence, args.watch = 100, "30s", 45.0
    text = report(args, await run(args.incidents, args.cadence, args.watch))
    if not args.no_write and not args.quick:
        write_section("scale", text)
    return text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
    sys.stdout.flush()
    os._exit(0)
