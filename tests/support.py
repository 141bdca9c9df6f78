"""Test helpers: a running warroom (worker + data directory) on a test environment,
and readers for what the built-in integrations wrote."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from store.chat import Channel, ChannelLog, Message
from store.db import Database
from store.migrate import upgrade
from store.statuspage import PageIncident, StatusPageStore
from store.tracker import Issue, Tracker
from warroom import models as m
from warroom.responders import Receipt
from warroom.settings import Settings
from worker.worker import build_worker
from workflows.incident import IncidentWorkflow


class Warroom:
    """A worker on its own task queue and data directory, plus shortcuts."""

    def __init__(self, env: WorkflowEnvironment, data_dir: Path, settings: dict[str, Any] | None = None, **worker_options: Any):
        self.env = env
        self.client = env.client
        self.settings = Settings(
            **{"data_dir": data_dir, "task_queue": f"warroom-test-{uuid.uuid4().hex[:8]}", "config": None, **(settings or {})}
        )
        self.worker = build_worker(self.client, self.settings, **worker_options)
        self.started: list[str] = []

    async def __aenter__(self) -> Warroom:
        await upgrade(self.settings.database)  # the database in the data directory, as `warroom up` migrates it
        await self.worker.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Terminate what this test left running, so a shared dev server does not
        accumulate incidents whose worker is gone."""
        for workflow_id in self.started:
            with contextlib.suppress(RPCError):
                await self.client.get_workflow_handle(workflow_id).terminate("test finished")
        await self.worker.__aexit__(*exc)

    def track(self, workflow_id: str) -> None:
        self.started.append(workflow_id)

    async def declare(self, title: str = "Checkout failing", **fields: Any) -> WorkflowHandle:
        fields.setdefault("service", "checkout")
        fields.setdefault("declared_by", "alice")
        handle = await self.client.start_workflow(
            IncidentWorkflow.run,
            m.IncidentInput(title=title, **fields),
            id=f"inc-{uuid.uuid4().hex[:8]}",
            task_queue=self.settings.task_queue,
        )
        self.track(handle.id)
        return handle

    @staticmethod
    async def send(handle: WorkflowHandle, name: str, **payload: Any) -> Receipt:
        payload.setdefault("by", "alice")
        return await handle.execute_update(name, payload, result_type=Receipt)

    @staticmethod
    async def state(handle: WorkflowHandle, timeout: float = 10.0) -> m.IncidentState:
        """The incident once its queued side effects have run (they run as activities)."""
        for _ in range(int(timeout / 0.025)):
            raw = await handle.query(IncidentWorkflow.state)
            if raw.get("pending_effects", 0) == 0 and "severity" in raw:
                return m.IncidentState.model_validate(raw)
            await asyncio.sleep(0.025)
        raise AssertionError(f"side effects still pending: {raw.get('pending_effects')}")

    @property
    def database(self) -> Database:
        return Database(self.settings.database)

    async def channel_log(self, name: str) -> list[Message]:
        return await ChannelLog(self.database).messages(name)

    async def channel(self, state: m.IncidentState) -> Channel:
        assert state.channel is not None
        found = await ChannelLog(self.database).channel(state.channel.name)
        assert found is not None
        return found

    async def messages(self, state: m.IncidentState) -> list[str]:
        assert state.channel is not None
        return [message.text for message in await self.channel_log(state.channel.name)]

    async def direct_messages(self, user: str) -> list[str]:
        return [message.text for message in await self.channel_log(f"dm-{user}")]

    async def status_page(self) -> dict[str, PageIncident]:
        """The built-in status page's incidents by id."""
        return {incident.id: incident for incident in (await StatusPageStore(self.database).page()).incidents}

    async def tracker_issue(self, key: str) -> Issue:
        found = await Tracker(self.database).issue(int(key.removeprefix("WR-")))
        assert found is not None, f"no issue {key}"
        return found


@contextlib.asynccontextmanager
async def serve_gateway(settings: Settings, client: Any):
    """The real gateway app on a free port, in this event loop (its Temporal
    client belongs to it). Yields the base URL."""
    import socket

    import uvicorn

    from gateway.app import create_app
    from cli.processes import GatewayServer

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = GatewayServer(uvicorn.Config(create_app(settings, client), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()
