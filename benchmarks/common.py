"""What the benchmarks share: RESULTS.md (one section per benchmark, a run
replaces only its own), percentiles, and helper processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import Client

from warroom.settings import Settings
from cli.devserver import dev_server
from client.temporal import connect

RESULTS = Path(__file__).parent / "RESULTS.md"


def write_section(name: str, text: str) -> None:
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nWritten by `make bench`; each section by its own benchmark.\n"
    block = f"{start}\n{text.rstrip()}\n{end}\n"
    if start in old:
        head, _, rest = old.partition(start)
        _, _, tail = rest.partition(end + "\n")
        RESULTS.write_text(head + block + tail)
    else:
        RESULTS.write_text(old.rstrip("\n") + "\n\n" + block)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.asynccontextmanager
async def process(*argv: str, env: dict[str, str] | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(*argv, env={**os.environ, **(env or {})}, stdout=asyncio.subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        await proc.wait()


@contextlib.asynccontextmanager
async def fresh_dev_server(port: int) -> AsyncIterator[tuple[Client, Settings]]:
    """A dev server on a database of its own, gone afterwards: no run inherits another's."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), config=None, temporal_address=f"127.0.0.1:{port}", temporal_ui_port=port + 1000,
            task_queue=f"bench-{uuid.uuid4().hex[:6]}",
        )
        async with dev_server(settings):
            yield await connect(settings), settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of this process and everything it started,
    by role: the steadier measure on a shared machine, where throughput swings."""
    roles = {"start-dev": "server", "warroom worker": "worker", "warroom gateway": "gateway", "benchmarks.baseline": "worker"}
    parents: dict[int, int] = {}
    found: dict[int, tuple[str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat[1])
        role = next((r for k, r in roles.items() if k in cmdline), "load generator")
        found[pid] = (role, (int(stat[11]) + int(stat[12])) / tick)

    def ours(pid: int) -> bool:
        while pid > 1:
            if pid == os.getpid():
                return True
            pid = parents.get(pid, 1)
        return False

    totals: dict[str, float] = {}
    for pid, (role, seconds) in found.items():
        if ours(pid):
            totals[role] = totals.get(role, 0.0) + seconds
    return totals
