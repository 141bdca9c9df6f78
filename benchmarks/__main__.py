"""`python -m benchmarks [--quick]`: every benchmark in turn, each writing its
section of RESULTS.md (not with --quick)."""

from __future__ import annotations

import asyncio
import os
import sys

from benchmarks import archive_report, intake, long_incident, mobilize, page_slo, scale, slack_storm

BENCHMARKS = (mobilize, intake, page_slo, scale, long_incident, archive_report, slack_storm)


async def main(argv: list[str]) -> None:
    for bench in BENCHMARKS:
        print(await bench.main(argv), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
    sys.stdout.flush()
    os._exit(0)
