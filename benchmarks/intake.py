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

    python -m benchmarks.intake [--alerts 10000 --keys 1000 --concurrency 64 --rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from statistics import median
from pathlib import Path
from typing import Any

import aiohttp
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from benchmarks.baseline import BaselineAlertWorkflow
from store.migrate import upgrade
from benchmarks.common import cpu_seconds, free_port, fresh_dev_server, percentile, process, write_section
from warroom import models as m
from warroom.settings import Settings
from client.router import chain_id



def alerts(total: int, keys: int, run: str) -> list[dict[str, Any]]:
    """Round-robin over the keys, so every key's repeats arrive spread out."""
    return [
        {"dedup_key": f"{run}-key-{i % keys}", "name": f"Alert{i % keys}", "service": "bench", "severity": "warning",
         "summary": "benchmark alert"}
        for i in range(total)
    ]


async def _drive(items: list[Any], concurrency: int, send) -> dict[str, Any]:
    """Send every item with `concurrency` in flight: elapsed seconds, first-of-key
    latencies, and the CPU seconds each role spent meanwhile."""
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

    cpu_before, started = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    elapsed, cpu_after = time.perf_counter() - started, cpu_seconds()
    return {"elapsed": elapsed, "firsts": firsts, "cpu": {k: v - cpu_before.get(k, 0.0) for k, v in cpu_after.items()}}


async def baseline(client: Client, settings: Settings, total: int, keys: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    queue = f"bench-baseline-{run}"
    async with process(sys.executable, "-m", "benchmarks.baseline", settings.temporal_address, queue):
        async def send(item: dict[str, Any]) -> None:
            await client.start_workflow(
                BaselineAlertWorkflow.run, id=f"base-{item['dedup_key']}", task_queue=queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, start_signal="alert", start_signal_args=[item],
            )

        timed = await _drive(alerts(total, keys, run), concurrency, send)

        async def count(k: int) -> int:
            handle = client.get_workflow_handle(f"base-{run}-key-{k}")
            return await handle.query(BaselineAlertWorkflow.count)

        counted = sum(await _each(range(keys), count))
        workflows = (await client.count_workflows("WorkflowType = 'BaselineAlertWorkflow'")).count
    return {**timed, "workflows": workflows, "counted": counted}


async def gateway(client: Client, settings: Settings, total: int, keys: int, concurrency: int) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    port = free_port()
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])),
        "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
        "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_HTTP_PORT": str(port),
    }
    warroom = str(Path(sys.executable).parent / "warroom")
    await upgrade(settings.database)
    async with process(warroom, "worker", env=env), process(warroom, "gateway", env=env):
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector) as http:
            await _until_up(http)

            async def send(item: dict[str, Any]) -> None:
                async with http.post("/v1/alerts/generic", json=item) as response:
                    response.raise_for_status()

            timed = await _drive(alerts(total, keys, run), concurrency, send)

        async def count(k: int) -> int:
            state = m.IncidentState.model_validate(await _query_state(client.get_workflow_handle(chain_id("generic", f"{run}-key-{k}"))))
            return sum(a.count for a in state.alerts.values())

        counted = sum(await _each(range(keys), count))
        incidents = (await client.count_workflows("WorkflowType = 'IncidentWorkflow'")).count
    return {**timed, "workflows": incidents, "counted": counted}


async def _each(items, check, concurrency: int = 16) -> list[Any]:
    """The check after the timed part, a few at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> Any:
        async with gate:
            return await check(item)

    return await asyncio.gather(*(one(i) for i in items))


async def _query_state(handle: WorkflowHandle, attempts: int = 60) -> Any:
    """After the timed part the worker may still be working off the storm: a
    query can time out, or find the incident still loading its policy."""
    for _ in range(attempts):
        try:
            state = await handle.query("state")
        except RPCError as err:
            if err.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
                raise
            continue
        if "service" in state:
            return state
        await asyncio.sleep(0.5)
    raise AssertionError(f"{handle.id} did not answer with its state")


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


async def on_fresh_server(phase, args: argparse.Namespace) -> dict[str, Any]:
    """Each phase gets a dev server of its own: neither inherits the other's database."""
    async with fresh_dev_server(17433) as (client, settings):
        return await phase(client, settings, args.alerts, args.keys, args.concurrency)


def pct(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def report(args: argparse.Namespace, rounds: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    rates = [(args.alerts / b["elapsed"], args.alerts / w["elapsed"]) for b, w in rounds]
    ratios = [w / b for b, w in rates]
    base_rate, war_rate = median(b for b, _ in rates), median(w for _, w in rates)
    firsts = {side: [f for r in rounds for f in r[i]["firsts"]] for i, side in enumerate(("base", "war"))}
    rows = [
        (f"throughput, alerts/s (median of {len(rounds)})", f"{base_rate:.0f}", f"{war_rate:.0f}", f"{median(ratios):.2f}x"),
        ("each round", ", ".join(f"{b:.0f}" for b, _ in rates), ", ".join(f"{w:.0f}" for _, w in rates),
         ", ".join(f"{r:.2f}x" for r in ratios)),
        *(
            (f"first alert -> running, p{q * 100:.0f} ms", f"{pct(firsts['base'], q):.1f}", f"{pct(firsts['war'], q):.1f}",
             f"{pct(firsts['war'], q) / pct(firsts['base'], q):.2f}x")
            for q in (0.5, 0.99)
        ),
    ]
    cpu = [{k: v * 1000 / args.alerts for k, v in side["cpu"].items()} for side in (r for pair in rounds for r in pair)]
    base_cpu, war_cpu = cpu[0::2], cpu[1::2]
    for role in ("server", "worker", "gateway", "load generator"):
        b, w = median(c.get(role, 0.0) for c in base_cpu), median(c.get(role, 0.0) for c in war_cpu)
        rows.append((f"CPU s per 1,000 alerts: {role}", f"{b:.2f}", f"{w:.2f}", f"{w / b:.2f}x" if b else ""))
    b, w = median(sum(c.values()) for c in base_cpu), median(sum(c.values()) for c in war_cpu)
    rows += [
        ("CPU s per 1,000 alerts: all", f"{b:.2f}", f"{w:.2f}", f"{w / b:.2f}x"),
        ("workflows (last round)", str(rounds[-1][0]["workflows"]), str(rounds[-1][1]["workflows"]), ""),
        ("alerts accounted for (last round)", str(rounds[-1][0]["counted"]), str(rounds[-1][1]["counted"]), ""),
    ]
    lines = [
        f"### Alert intake ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"{args.alerts} alerts over {args.keys} dedup keys, {args.concurrency} in flight, dev server with SQLite WAL.",
        "Baseline: signal-with-start of a trivial workflow per alert, from this process. warroom: HTTP to the",
        "gateway process, signal-with-start (plain signals for repeats) into IncidentWorkflow on the worker process,",
        "which also mobilizes each incident (channel, topic, posts) on the same two cores. The phases alternate,",
        "each on a fresh dev server; CPU is each role's user + system time during the timed part.",
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
    parser.add_argument("--rounds", type=int, default=3, help="baseline and warroom phases, alternating")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 alerts over 50 keys, one round")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.alerts, args.keys, args.rounds = 500, 50, 1
    rounds = []
    for _ in range(args.rounds):
        base = await on_fresh_server(baseline, args)
        war = await on_fresh_server(gateway, args)
        assert war["workflows"] == args.keys and war["counted"] == args.alerts, f"intake lost or split alerts: {war}"
        rounds.append((base, war))
    text = report(args, rounds)
    if not args.no_write and not args.quick:
        write_section("intake", text)
    return text


if __name__ == "__main__":
    out = asyncio.run(main(sys.argv[1:]))
    print(out)
    sys.stdout.flush()
    os._exit(0)
