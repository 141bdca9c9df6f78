"""Long-running processes: `warroom up` (dev server + worker) and `warroom worker`.

Both stop cleanly on Ctrl-C or SIGTERM: the worker finishes its in-flight tasks,
then the dev server shuts down, leaving its database for the next `warroom up`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta

from rich.console import Console
from temporalio.service import RPCError

from warroom.settings import Settings
from worker.devserver import dev_server
from worker.schedules import ensure_follow_up_schedule
from worker.temporal import connect, ensure_search_attributes
from worker.worker import build_worker

# Lets in-flight activities finish on shutdown; Temporal retries anything cut off.
GRACEFUL_SHUTDOWN = timedelta(seconds=10)


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve(settings: Settings, console: Console) -> None:
    """Run the worker until a stop signal; then shut it down gracefully."""
    client = await connect(settings)
    try:
        await ensure_search_attributes(client)
    except RPCError as err:  # e.g. Temporal Cloud without admin rights: registered by hand
        console.print(f"[yellow]could not check search attributes ({err.message}); register them once by hand[/yellow]")
    await ensure_follow_up_schedule(client, settings)
    worker = build_worker(client, settings, graceful_shutdown_timeout=GRACEFUL_SHUTDOWN)
    async with worker:
        console.print(f"worker polling task queue [bold]{settings.task_queue}[/bold] on {settings.temporal_address}")
        await _until_stopped()
        console.print("stopping…")


async def run_worker(settings: Settings, console: Console) -> None:
    await serve(settings, console)


async def run_up(settings: Settings, console: Console) -> None:
    console.print(f"starting Temporal dev server (data in {settings.data_dir}/)…")
    async with dev_server(settings):
        console.print(f"Temporal UI: [bold]{settings.ui_base}/namespaces/{settings.temporal_namespace}/workflows[/bold]")
        console.print('declare an incident: [bold]warroom declare "Checkout errors" --service checkout --severity SEV2[/bold]')
        with contextlib.suppress(asyncio.CancelledError):
            await serve(settings, console)
    console.print("stopped")
