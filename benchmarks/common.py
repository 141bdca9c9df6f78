"""What the benchmarks share: RESULTS.md (one section per benchmark, a run
replaces only its own), percentiles, and helper processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
