"""Test helpers: a running warroom (worker + data directory) on a test environment,
and readers for what the built-in integrations wrote."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from warroom import models as m
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
    async def send(handle: WorkflowHandle, name: str, **payload: Any) -> m.Receipt:
        payload.setdefault("by", "alice")
        return await handle.execute_update(name, payload, result_type=m.Receipt)

    @staticmethod
    async def state(handle: WorkflowHandle, timeout: float = 10.0) -> m.IncidentState:
        """The incident once its queued side effects have run (they run as activities)."""
        for _ in range(int(timeout / 0.025)):
            raw = await handle.query(IncidentWorkflow.state)
            if raw.get("pending_effects", 0) == 0 and "severity" in raw:
                return m.IncidentState.model_validate(raw)
            await asyncio.sleep(0.025)
        raise AssertionError(f"side effects still pending: {raw.get('pending_effects')}")

    def channel_log(self, name: str) -> list[dict[str, Any]]:
        path = self.settings.data_dir / "channels" / f"{name}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def messages(self, state: m.IncidentState) -> list[str]:
        assert state.channel is not None
        return [line["text"] for line in self.channel_log(state.channel.name)]

    def direct_messages(self, user: str) -> list[str]:
        return [line["text"] for line in self.channel_log(f"dm-{user}")]

    def status_page(self) -> dict[str, Any]:
        path = self.settings.data_dir / "statuspage.json"
        return json.loads(path.read_text()) if path.exists() else {"incidents": {}, "components": {}}


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
