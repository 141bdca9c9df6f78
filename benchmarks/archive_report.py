"""`warroom report` over 10,000 archived incidents (issue 18): the report must
take under a second.

The incidents are archived through the archive's own `put` (record and
facts), into a SQLite file as `warroom up` makes it and, where PostgreSQL's
server binaries are installed (`make test` installs them), into a throwaway
PostgreSQL cluster. Each has 20 timeline entries, three alerts, two pages,
postmortem deadlines and two action items with a follow-up status each; all
started within the last 80 days, so the default `--since 90d` reads every one.
Timed: reading the facts, building the report and rendering it as markdown,
in-process (the median of five); and the whole `warroom report` command as a
process, interpreter start-up and imports included, beside `warroom --help`
(medians of three).

    python -m benchmarks.archive_report [--incidents 10000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks.common import write_section
from store.archive import Archive
from store.db import Database, dispose_all
from store.followups import FollowUps, Observed
from store.migrate import upgrade
from warroom import report
from warroom.metrics import Metrics
from warroom.models import (
    ActionItem, AlertRecord, Deadline, Impact, IncidentState, PageRecord, Phase, Postmortem, Role, Severity, TimelineEntry,
)

LIMIT = 1.0  # seconds
SERVICES = [f"service-{n}" for n in range(12)]
PEOPLE = [f"person-{n}" for n in range(30)]
WARROOM = str(Path(sys.executable).parent / "warroom")


def incident(n: int, now: datetime) -> IncidentState:
    start = now - timedelta(days=80) + timedelta(minutes=11.5 * n)
    at = lambda minutes: start + timedelta(minutes=minutes)  # noqa: E731
    who = [PEOPLE[(n + k) % len(PEOPLE)] for k in range(4)]
    return IncidentState(
        id=f"inc-{n:08x}", title=f"Checkout errors {n}", service=SERVICES[n % len(SERVICES)], severity=list(Severity)[n % 4],
        phase=Phase.CLOSED, impact=Impact(user_share=0.2, description="some users see errors"), source="alertmanager",
        roles={Role.COMMANDER: who[0], Role.OPS_LEAD: who[1]},
        timeline=[TimelineEntry(at=at(k * 3), actor=who[k % 4], kind="note", text=f"step {k}: looked at dashboards and logs") for k in range(20)],
        alerts={f"fp-{k}": AlertRecord(fingerprint=f"fp-{k}", name=f"Alert{(n + k) % 25}", source="alertmanager", status="resolved",
                                       count=1 + k, first_seen=at(0), last_seen=at(50), resolved_at=at(55)) for k in range(3)},
        pages=[PageRecord(at=at(2 + k), target="primary", user=who[k]) for k in range(2)],
        action_items=[ActionItem(number=k + 1, title=f"Fix {k}", owner=who[k], due=date(2026, 1, 1), tracker_key=f"WR-{2 * n + k}") for k in range(2)],
        postmortem=Postmortem(required=n % 4 < 2, draft_link=f"https://warroom.example/postmortems/inc-{n:08x}"),
        deadlines={name: Deadline(name=name, due=at(60 * 24 * d), next_fire=at(60 * 24 * d), summary=name, met_at=at(60 * 20 * d))
                   for name, d in (("postmortem_draft", 1), ("postmortem_review", 5))},
        metrics=Metrics(started_at=start, declared_at=at(4), acknowledged_at=at(9), mitigated_at=at(40), resolved_at=at(60),
                        closed_at=at(60 * 24 * 4), updates_posted=6, pages_sent=2),
        non_actionable=n % 7 == 0,
    )


async def fill(url: str, count: int, now: datetime) -> tuple[float, int, int]:
    """Archive `count` incidents and one follow-up run's statuses; returns (seconds, record bytes, facts bytes)."""
    await upgrade(url)
    archive = Archive(Database(url))
    states = [incident(n, now) for n in range(count)]
    began = time.perf_counter()
    for batch in range(0, count, 50):
        await asyncio.gather(*(archive.put(s) for s in states[batch:batch + 50]))
    seconds = time.perf_counter() - began
    seen = [Observed(s.id, i.number, "done" if (int(s.id[4:], 16) + i.number) % 3 else "open", i.tracker_key) for s in states for i in s.action_items]
    await FollowUps(Database(url)).record("bench-run", now, {"items": len(seen)}, seen)
    sizes = [(len(s.model_dump_json()), len(report.Facts.of(s).model_dump_json())) for s in states[:100]]
    await dispose_all()
    return seconds, sum(r for r, _ in sizes) // len(sizes), sum(f for _, f in sizes) // len(sizes)


async def archived_facts(url: str, since: datetime) -> list[report.Facts]:
    """What `warroom report` reads (gateway.reading.build_report), in a loop of its own."""
    try:
        return await Archive(Database(url)).facts(since)
    finally:
        await dispose_all()


def in_process(url: str, count: int) -> list[float]:
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        now = datetime.now(UTC)
        facts = asyncio.run(archived_facts(url, now - timedelta(days=90)))
        text = report.to_markdown(report.build(facts, now, timedelta(days=90)))
        timings.append(time.perf_counter() - began)
        assert len(facts) == count and text.startswith("# Incident report")
    return timings


async def command(url: str, data_dir: str, *args: str) -> float:
    """The median wall time of `warroom <args>` as a process, of three."""
    timings = []
    env = {**os.environ, "WARROOM_DATABASE_URL": url, "WARROOM_DATA_DIR": data_dir}
    for _ in range(3):
        began = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(WARROOM, *args, env=env, stdout=asyncio.subprocess.DEVNULL)
        assert await proc.wait() == 0
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def measure(name: str, url: str, count: int, data_dir: str) -> dict[str, object]:
    now = datetime.now(UTC)
    archived, record_bytes, facts_bytes = asyncio.run(fill(url, count, now))
    timings = in_process(url, count)
    return {
        "name": name, "archived": archived, "record_bytes": record_bytes, "facts_bytes": facts_bytes,
        "report": statistics.median(timings), "rounds": timings,
        "command": asyncio.run(command(url, data_dir, "report", "--format", "markdown")),
        "start_up": asyncio.run(command(url, data_dir, "--help")),
    }


def run(count: int) -> list[dict[str, object]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(measure("SQLite (WAL file)", f"sqlite+aiosqlite:///{tmp}/warroom.db", count, tmp))
        try:
            from tests.postgres import Cluster, server_binaries

            server_binaries()
        except BaseException:  # noqa: BLE001 - no server binaries: pytest.fail raises its own
            return results
        cluster = Cluster().start()
        try:
            results.append(measure("PostgreSQL (local cluster)", asyncio.run(cluster.new_database()), count, tmp))
        finally:
            cluster.stop()
    return results


def text(count: int, results: list[dict[str, object]]) -> str:
    lines = [
        f"### `warroom report` over {count} archived incidents ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        "Each incident archived by `Archive.put` (20 timeline entries, 3 alerts, 2 pages, 2 action items with a",
        "follow-up status each), all within the default `--since 90d`. The report reads each incident's `facts`",
        "(what the report needs, taken from the record when it is archived), never the records.",
        "",
        "The command as a process also starts Python and imports the CLI (Temporal SDK, SQLAlchemy, Alembic);",
        "`warroom --help` measures that start-up alone.",
        "",
        f"| database | report: read + build + markdown (median of 5) | each round | target | `warroom report` as a process | `warroom --help` as a process | record / facts, bytes | archiving {count} (50 at a time) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rounds = ", ".join(f"{t:.2f}" for t in r["rounds"])  # type: ignore[union-attr]
        lines.append(
            f"| {r['name']} | {r['report']:.2f} s | {rounds} | < {LIMIT:g} s | {r['command']:.2f} s | {r['start_up']:.2f} s | "
            f"{r['record_bytes']} / {r['facts_bytes']} | {r['archived']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 incidents")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents = 500
    results = await asyncio.to_thread(run, args.incidents)
    report_text = text(args.incidents, results)
    assert all(r["report"] < LIMIT for r in results), report_text  # type: ignore[operator]
    if not args.no_write and not args.quick:
        write_section("archive-report", report_text)
    return report_text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])))
    sys.stdout.flush()
    os._exit(0)
