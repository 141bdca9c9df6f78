"""Alert -> page under an alert storm (issue 24): the SLO in the README, that
an alert's first page goes out within 30 s at p99 with one worker on 2 cores.

A storm of SEV1 alerts (many repeats over fewer dedup keys, so each key opens
one incident that pages) is posted over HTTP to the gateway process, with one
worker process, on a fresh dev server. Each incident's latency is read from
Temporal's own event times: workflow started (the alert's signal-with-start)
-> its `page_responder` activity completed, the same span the worker exports
as `warroom_page_latency_seconds`.

    python -m benchmarks.page_slo [--alerts 5000 --keys 500 --concurrency 64] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.common import free_port, fresh_dev_server, percentile, process, write_section
from benchmarks.intake import _drive, _each, _until_up
from benchmarks.mobilize import mobilized_after
from client.router import chain_id
from store.migrate import upgrade

SLO_P99_SECONDS = 30.0


def storm(total: int, keys: int, run: str) -> list[dict[str, Any]]:
    return [
        {"dedup_key": f"{run}-key-{i % keys}", "name": f"Down{i % keys}", "service": "bench", "severity": "critical",
         "summary": "benchmark storm"}
        for i in range(total)
    ]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    async with fresh_dev_server(17533) as (client, settings):
        run, port = uuid.uuid4().hex[:6], free_port()
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")])),
            "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
            "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_HTTP_PORT": str(port),
        }
        warroom = str(Path(sys.executable).parent / "warroom")
        await upgrade(settings.database)
        async with process(warroom, "worker", env=env), process(warroom, "gateway", env=env):
            connector = aiohttp.TCPConnector(limit=args.concurrency)
            async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", connector=connector) as http:
                await _until_up(http)

                async def send(item: dict[str, Any]) -> None:
                    async with http.post("/v1/alerts/generic", json=item) as response:
                        response.raise_for_status()

                timed = await _drive(storm(args.alerts, args.keys, run), args.concurrency, send)

            async def paged(k: int) -> float:
                handle = client.get_workflow_handle(chain_id("generic", f"{run}-key-{k}"))
                seconds, _ = await asyncio.wait_for(mobilized_after(handle, {"page_responder"}), timeout=600)
                return seconds

            latencies = await _each(range(args.keys), paged)
    return {"elapsed": timed["elapsed"], "latencies": latencies}


def report(args: argparse.Namespace, result: dict[str, Any]) -> str:
    lat = result["latencies"]
    p99 = percentile(lat, 0.99)
    rows = [(f"p{q * 100:.0f}", f"{percentile(lat, q):.2f}") for q in (0.5, 0.9, 0.99)] + [("max", f"{max(lat):.2f}")]
    return "\n".join([
        f"### Alert -> page under a storm ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"{args.alerts} SEV1 alerts over {args.keys} dedup keys ({args.keys} incidents, each paging), {args.concurrency} in",
        f"flight, posted in {result['elapsed']:.1f} s to one gateway process; one worker process; fresh dev server (SQLite).",
        "Latency: workflow started -> `page_responder` completed, from Temporal's event times.",
        "",
        "| alert -> page, s | value |",
        "|---|---|",
        *(f"| {a} | {b} |" for a, b in rows),
        "",
        f"SLO (p99 < {SLO_P99_SECONDS:.0f} s): {'met' if p99 < SLO_P99_SECONDS else 'NOT met'}.",
        "",
    ])


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=5_000)
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 alerts over 20 keys")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.alerts, args.keys = 200, 20
    text = report(args, await measure(args))
    if not args.no_write and not args.quick:
        write_section("page_slo", text)
    return text


if __name__ == "__main__":
    out = asyncio.run(main(sys.argv[1:]))
    print(out)
    sys.stdout.flush()
    os._exit(0)
