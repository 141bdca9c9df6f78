"""Alert -> mobilized (issue 7): how long from an incident's start until its
channel is open and its on-call paged, against the
built-in local integrations (no added latency), compared in the same run with
a bare workflow running the same number of no-op activities.

Both are timed from Temporal's own event times (workflow started -> the last
mobilization activity completed), so client polling adds nothing.

    python -m benchmarks.mobilize [--incidents 100 --concurrency 1,8] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from benchmarks.baseline import BaselineMobilizeWorkflow, noop
from benchmarks.common import fresh_dev_server, percentile, write_section
from warroom import models as m
from warroom.settings import Settings
from client.incidents import start_incident
from store.migrate import upgrade
from worker.worker import build_worker

# What "mobilized" waits for: the channel and the first page. (An alert-opened
# incident goes public once a person acknowledges it, issue 21: not part of this.)
MOBILIZATION = {"open_channel", "page_responder"}
COMPLETED = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED


async def mobilized_after(handle: WorkflowHandle, wanted: set[str]) -> tuple[float, int]:
    """Seconds from start until every wanted activity type has completed, and
    how many activities ran up to then."""
    while True:
        history = await handle.fetch_history()
        started = history.events[0].event_time.ToDatetime()
        types = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
                 for e in history.events if e.event_type == SCHEDULED}
        done: dict[str, float] = {}
        for e in history.events:
            if e.event_type == COMPLETED:
                name = types[e.activity_task_completed_event_attributes.scheduled_event_id]
                done.setdefault(name, (e.event_time.ToDatetime() - started).total_seconds())
        if wanted <= done.keys():
            finished = max(done[n] for n in wanted)
            return finished, sum(1 for t in done.values() if t <= finished)
        await asyncio.sleep(0.2)


async def run_many(count: int, concurrency: int, one) -> list[float]:
    queue = list(range(count))
    results: list[float] = []

    async def lane() -> None:
        while queue:
            results.append(await one(queue.pop()))

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return results


async def measure(client: Client, settings: Settings, incidents: int, concurrency: int) -> dict[str, list[float]]:
    run = uuid.uuid4().hex[:6]
    steps: list[int] = []

    async def incident(i: int) -> float:
        inp = m.IncidentInput(title=f"Bench {i}", service="bench", severity="SEV1", declared_by="alertmanager", source="alertmanager")
        handle = await start_incident(client, settings, f"inc-mob-{run}-{i}", inp)
        took, ran = await mobilized_after(handle, MOBILIZATION)
        steps.append(ran)
        await handle.terminate()
        return took

    await upgrade(settings.database)  # the built-in channel log and status page are in it
    async with build_worker(client, settings):
        warroom = await run_many(incidents, concurrency, incident)
    activities = max(set(steps), key=steps.count)

    async def bare(i: int) -> float:
        handle = await client.start_workflow(
            BaselineMobilizeWorkflow.run, activities, id=f"bare-{run}-{i}", task_queue=f"{settings.task_queue}-bare"
        )
        await handle.result()
        history = await handle.fetch_history()
        completed = [e for e in history.events if e.event_type == COMPLETED]
        return (completed[-1].event_time.ToDatetime() - history.events[0].event_time.ToDatetime()).total_seconds()

    async with Worker(client, task_queue=f"{settings.task_queue}-bare", workflows=[BaselineMobilizeWorkflow], activities=[noop]):
        baseline = await run_many(incidents, concurrency, bare)
    return {"warroom": warroom, "baseline": baseline, "activities": [activities]}


def report(args: argparse.Namespace, runs: dict[int, dict[str, list[float]]]) -> str:
    rows = []
    for concurrency, r in runs.items():
        for q, label in ((0.5, "p50"), (0.99, "p99")):
            base, war = percentile(r["baseline"], q) * 1000, percentile(r["warroom"], q) * 1000
            rows.append(f"| {concurrency} at a time, {label} ms | {base:.0f} | {war:.0f} | {war / base:.2f}x |")
    activities = next(iter(runs.values()))["activities"][0]
    return "\n".join([
        f"### Alert -> mobilized ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"{args.incidents} SEV1 incidents per row, built-in local integrations, dev server with SQLite WAL, worker in-process.",
        "Timed from Temporal's event times: start -> channel opened and primary paged (public after acknowledgement).",
        f"Baseline: a bare workflow running the same {activities} no-op activities in sequence. Target ratio <= 1.3.",
        "warroom runs each integration in its own lane, so the page does not wait for the channel.",
        "",
        "| | baseline | warroom | ratio |",
        "|---|---|---|---|",
        *rows,
        "",
    ])


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--concurrency", default="1,8", help="comma-separated: one row each")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 incidents")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents = 20
    async with fresh_dev_server(17434) as (client, settings):
        runs = {c: await measure(client, settings, args.incidents, c) for c in map(int, args.concurrency.split(","))}
    text = report(args, runs)
    if not args.no_write and not args.quick:
        write_section("mobilize", text)
    return text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
    sys.stdout.flush()
    os._exit(0)
