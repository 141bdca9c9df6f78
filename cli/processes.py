"""Long-running processes: `warroom up` (dev server, worker and gateway),
`warroom worker` and `warroom gateway`.

All stop cleanly on Ctrl-C or SIGTERM: the gateway stops taking requests, the
worker finishes its in-flight tasks, then the dev server shuts down, leaving its
database for the next `warroom up`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Collection, Iterator
from datetime import timedelta
from typing import Literal

import uvicorn
from rich.console import Console
from temporalio.client import Client
from temporalio.service import RPCError

from warroom.settings import Settings
from cli.database import check_schema
from cli.devserver import dev_server
from gateway.app import create_app
from gateway.tokens import TokenError, Tokens
from worker.schedules import ensure_canary_schedule, ensure_follow_up_schedule, ensure_heartbeat_schedule
from client.temporal import connect, ensure_search_attributes
from worker import query_eviction
from store.migrate import upgrade
from worker.worker import build_worker

Part = Literal["worker", "gateway"]

# Lets in-flight activities finish on shutdown; Temporal retries anything cut off.
GRACEFUL_SHUTDOWN = timedelta(seconds=10)


class GatewayServer(uvicorn.Server):
    """uvicorn inside our own event loop: the process's stop signal stops it,
    not uvicorn's own handlers (which would leave the worker running)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class StartupFailed(Exception):
    """A part could not start (for example, the gateway's port is taken)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _prepare_namespace(client: Client, settings: Settings, console: Console) -> None:
    try:
        await ensure_search_attributes(client)
    except RPCError as err:  # e.g. Temporal Cloud without admin rights: registered by hand
        console.print(f"[yellow]could not check search attributes ({err.message}); register them once by hand[/yellow]")
    await ensure_follow_up_schedule(client, settings)
    await ensure_heartbeat_schedule(client, settings)
    await ensure_canary_schedule(client, settings)


def _listen(host: str, port: int) -> socket.socket:
    """The gateway's socket, bound here rather than by uvicorn: uvicorn answers a
    taken port with `sys.exit`, which escapes the event loop and leaves the
    worker's tasks uncancellable (the process hung instead of saying why)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise StartupFailed(f"the gateway could not listen on {host}:{port}: {err.strerror}") from None
    return sock


async def _start_gateway(client: Client, settings: Settings, stack: contextlib.AsyncExitStack) -> None:
    sock = _listen(settings.http_host, settings.http_port)
    stack.callback(sock.close)
    config = uvicorn.Config(
        create_app(settings, client), log_level="warning", timeout_graceful_shutdown=int(GRACEFUL_SHUTDOWN.total_seconds()),
    )
    server = GatewayServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def stop() -> None:
        server.should_exit = True
        with contextlib.suppress(SystemExit):
            await task

    stack.push_async_callback(stop)
    while not server.started:
        if task.done():
            with contextlib.suppress(SystemExit):
                task.result()
            raise StartupFailed(f"the gateway could not start on {settings.http_host}:{settings.http_port}")
        await asyncio.sleep(0.05)


async def serve(settings: Settings, console: Console, parts: Collection[Part] = ("worker", "gateway")) -> None:
    """Run the chosen parts until a stop signal; then shut them down gracefully."""
    stop = _stop_event()
    if "gateway" in parts and not settings.sdk_metrics_address:  # for the gateway's /metrics only
        settings.sdk_metrics_address = f"127.0.0.1:{_free_port()}"
    if "gateway" in parts:
        try:
            Tokens.from_settings(settings)  # a codec without its token, a malformed token: say so before anything starts
        except TokenError as err:
            raise StartupFailed(str(err)) from None
    if problem := await check_schema(settings.database):
        raise StartupFailed(problem)
    client = await connect(settings)
    async with contextlib.AsyncExitStack() as stack:
        if "worker" in parts:
            await _prepare_namespace(client, settings, console)
            query_eviction.install()
            await stack.enter_async_context(build_worker(client, settings, graceful_shutdown_timeout=GRACEFUL_SHUTDOWN))
            console.print(f"worker polling task queue [bold]{settings.task_queue}[/bold] on {settings.temporal_address}")
        if "gateway" in parts:
            await _start_gateway(client, settings, stack)
            console.print(f"gateway on [bold]{settings.gateway_url}[/bold] (status page {settings.gateway_url}/status)")
        await stop.wait()
        console.print("stopping…")


async def run_up(settings: Settings, console: Console) -> None:
    console.print(f"starting Temporal dev server (data in {settings.data_dir}/)…")
    await upgrade(settings.database)
    async with dev_server(settings):
        console.print(f"Temporal UI: [bold]{settings.ui_base}/namespaces/{settings.temporal_namespace}/workflows[/bold]")
        console.print('declare an incident: [bold]warroom declare "Checkout errors" --service checkout --severity SEV2[/bold]')
        with contextlib.suppress(asyncio.CancelledError):
            await serve(settings, console)
    console.print("stopped")
