"""RESULTS.md keeps one section per benchmark; a run replaces only its own."""

from __future__ import annotations

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
