"""Alert intake benchmark (issue 3), against the local dev server.

Baseline: raw signal-with-start (`start_workflow` with a start signal, id
conflict policy USE_EXISTING) of a trivial workflow, one call per alert.
warroom: the same alerts posted over HTTP to the real gateway, which routes
them into IncidentWorkflows (signal-with-start, plain signals for repeats).

As in production, workers and the gateway are processes of their own (the
load generator is this one), on the same dev server, in the same run, at the
same client concurrency. Reported: throughput (alerts/s) and the
latency of an alert's first delivery until its workflow is running (for the
gateway, until its 202: the incident has taken the alert).

    python -m benchmarks.intake [--alerts 10000 --keys 1000 --concurrency 64] [--quick]
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
from typing import Any

import aiohttp
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from benchmarks.baseline import BaselineAlertWorkflow
from benchmarks.common import free_port, percentile, process, write_section
from warroom import models as m
from warroom.settings import Settings
from worker.devserver import dev_server
from activities.routing import chain_id
from worker.temporal import connect



def alerts(total: int, keys: int, run: str) -> list[dict[str, Any]]:
    """Round-robin over the keys, so every key's repeats arrive spread out."""
    return [
        {"dedup_key": f"{run}-key-{i % keys}", "name": f"Alert{i % keys}", "service": "bench", "severity": "warning",
         "summary": "benchmark alert"}
        for i in range(total)
    ]


async def _drive(items: list[Any], concurrency: int, send) -> tuple[float, list[float]]:
    """Send every item with `concurrency` in flight; returns elapsed and first-of-key latencies."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    firsts: list[float] = []
    seen: set[str] = set()

    async def lane() -> None:
        while not queue.empty():
            item = queue.get_nowait()
            first = item["dedup_key"] not in seen
            seen.add(item["dedup_key"])
            started = time.perf_counter()
            await send(item)
            if first:
                firsts.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started, firsts


async def baseline(client: Client, settings: Settings, total: int, keys: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    queue = f"bench-baseline-{run}"
    async with process(sys.executable, "-m", "benchmarks.baseline", settings.temporal_address, queue):
        async def send(item: dict[str, Any]) -> None:
            await client.start_workflow(
                BaselineAlertWorkflow.run, id=f"base-{item['dedup_key']}", task_queue=queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, start_signal="alert", start_signal_args=[item],
            )

        elapsed, firsts = await _drive(alerts(total, keys, run), concurrency, send)
        counted = 0
        for k in range(keys):
            handle = client.get_workflow_handle(f"base-{run}-key-{k}")
            counted += await handle.query(BaselineAlertWorkflow.count)
            await handle.terminate()
    return {"elapsed": elapsed, "firsts": firsts, "workflows": keys, "counted": counted}


async def gateway(client: Client, settings: Settings, total: int, keys: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    port = free_port()
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])),
        "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
        "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_HTTP_PORT": str(port),
    }
    warroom = str(Path(sys.executable).parent / "warroom")
    async with process(warroom, "worker", env=env), process(warroom, "gateway", env=env):
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector) as http:
            await _until_up(http)

            async def send(item: dict[str, Any]) -> None:
                async with http.post("/v1/alerts/generic", json=item) as response:
                    response.raise_for_status()

            elapsed, firsts = await _drive(alerts(total, keys, run), concurrency, send)
        incidents, counted = 0, 0
        for k in range(keys):
            handle = client.get_workflow_handle(chain_id("generic", f"{run}-key-{k}"))
            state = m.IncidentState.model_validate(await _query_state(handle))
            incidents += 1
            counted += sum(a.count for a in state.alerts.values())
            await handle.terminate()
    return {"elapsed": elapsed, "firsts": firsts, "workflows": incidents, "counted": counted}


async def _query_state(handle: WorkflowHandle, attempts: int = 30) -> Any:
    """After the timed part: a worker still working off the storm may let a query time out."""
    for attempt in range(attempts):
        try:
            return await handle.query("state")
        except RPCError as err:
            if err.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


async def _until_up(http: aiohttp.ClientSession) -> None:
    for _ in range(300):
        try:
            async with http.get("/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the gateway did not come up")


def pct(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def report(args: argparse.Namespace, base: dict[str, Any], war: dict[str, Any]) -> str:
    base_rate, war_rate = args.alerts / base["elapsed"], args.alerts / war["elapsed"]
    rows = [
        ("throughput, alerts/s", f"{base_rate:.0f}", f"{war_rate:.0f}", f"{war_rate / base_rate:.2f}x"),
        ("first alert -> running, p50 ms", f"{pct(base['firsts'], .5):.1f}", f"{pct(war['firsts'], .5):.1f}",
         f"{pct(war['firsts'], .5) / pct(base['firsts'], .5):.2f}x"),
        ("first alert -> running, p99 ms", f"{pct(base['firsts'], .99):.1f}", f"{pct(war['firsts'], .99):.1f}",
         f"{pct(war['firsts'], .99) / pct(base['firsts'], .99):.2f}x"),
        ("workflows", str(base["workflows"]), str(war["workflows"]), ""),
        ("alerts accounted for", str(base["counted"]), str(war["counted"]), ""),
    ]
    lines = [
        f"### Alert intake ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"{args.alerts} alerts over {args.keys} dedup keys, {args.concurrency} in flight, dev server with SQLite WAL.",
        "Baseline: signal-with-start of a trivial workflow per alert, from this process. warroom: HTTP to the",
        "gateway process, signal-with-start (plain signals for repeats) into IncidentWorkflow on the worker process,",
        "which also mobilizes each incident (channel, topic, posts) on the same two cores.",
        "",
        "| | baseline | warroom | ratio |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows),
        "",
    ]
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 alerts over 50 keys")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.alerts, args.keys = 500, 50
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), config=None, temporal_address="127.0.0.1:17433", temporal_ui_port=18433,
            task_queue=f"bench-{uuid.uuid4().hex[:6]}",
        )
        async with dev_server(settings):
            client = await connect(settings)
            base = await baseline(client, settings, args.alerts, args.keys, args.concurrency)
            war = await gateway(client, settings, args.alerts, args.keys, args.concurrency)
    text = report(args, base, war)
    assert war["workflows"] == args.keys and war["counted"] == args.alerts, "intake lost or split alerts"
    if not args.no_write and not args.quick:
        write_section("intake", text)
    return text


if __name__ == "__main__":
    out = asyncio.run(main(sys.argv[1:]))
    print(out)
    sys.stdout.flush()
    os._exit(0)
