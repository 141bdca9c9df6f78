"""Readiness that tells the truth and a heartbeat that stops: on a real Temporal
dev server whose long poll is a few seconds (a production server's is a minute,
which `WARROOM_READY_POLLER_WINDOW` must exceed), with warroom's real worker
started and stopped, and a fake dead-man's switch."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.heartbeat import HeartbeatActivities
from cli.devserver import temporal_binary
from client.temporal import ensure_search_attributes
from gateway.app import create_app
from gateway.readiness import readiness
from store.db import Database
from tests.conftest import shut_down
from tests.fakes.server import Served
from warroom.settings import Settings
from worker.schedules import ensure_heartbeat_schedule, heartbeat_schedule_id
from worker.worker import build_worker

LONG_POLL = timedelta(seconds=2)
WINDOW = timedelta(seconds=4)
BEAT = timedelta(seconds=1)
WARROOM = str(Path(sys.executable).parent / "warroom")


@pytest.fixture(scope="module")
async def short_poll_server():
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=[
            "--log-level", "error",
            "--dynamic-config-value", f'matching.longPollExpirationInterval="{int(LONG_POLL.total_seconds())}s"',
        ],
    )
    await ensure_search_attributes(environment.client)
    yield environment
    await shut_down(environment)


@pytest.fixture
def settings(short_poll_server, tmp_path) -> Settings:
    return Settings(
        temporal_address=short_poll_server.client.service_client.config.target_host, data_dir=tmp_path, config=None,
        task_queue=f"warroom-ready-{uuid.uuid4().hex[:8]}", ready_poller_window=WINDOW, heartbeat_every=BEAT,
    )


class DeadMansSwitch:
    """A healthchecks.io-style check: every GET or POST to /ping/<uuid> is a ping."""

    def __init__(self) -> None:
        self.check = str(uuid.uuid4())
        self.pings: list[str] = []
        self.lock = threading.Lock()
        self.app = FastAPI()
        self.app.add_api_route("/ping/{check}", self.ping, methods=["GET", "POST", "HEAD"])

    async def ping(self, check: str, request: Request) -> str:
        if check != self.check:
            return "not found"  # healthchecks.io answers an unknown check 200 "not found" too
        with self.lock:
            self.pings.append((await request.body()).decode())
        return "OK"

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.pings)


async def eventually(predicate, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.2)):
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not reached")


async def test_readyz_turns_503_naming_the_missing_pollers_once_every_worker_stopped(short_poll_server, settings):
    client = short_poll_server.client
    app = create_app(settings, client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        async with build_worker(client, settings):
            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await eventually(ready)
            body = (await http.get("/readyz")).json()
            assert body["failed"] == [] and {p["queue_type"] for p in body["checks"]["pollers"]["pollers"]} == {"workflow", "activity"}
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        # The last poll happened before the worker stopped: one window later no poller is recent.
        await asyncio.sleep(WINDOW.total_seconds() + 0.5)
        answer = await http.get("/readyz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unready" and body["failed"] == ["pollers"]
        pollers = body["checks"]["pollers"]
        assert pollers["missing"] == ["workflow", "activity"] and pollers["pollers"] == []
        assert settings.task_queue in pollers["detail"] and "4s" in pollers["detail"]
        assert body["checks"]["temporal"]["ok"] and body["checks"]["database"]["ok"]
        assert (await http.get("/healthz")).status_code == 200, "alive: nothing for a liveness probe to restart"
        assert (await http.get("/readyz", params={"skip": "pollers"})).status_code == 200

        # `warroom status` prints the same, and fails.
        env = {
            **os.environ, "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
            "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_READY_POLLER_WINDOW": "4s",
        }
        done = await asyncio.to_thread(
            subprocess.run, [WARROOM, "status", "--json"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1, done.stderr
        assert json.loads(done.stdout)["checks"]["pollers"]["missing"] == ["workflow", "activity"]
        printed = await asyncio.to_thread(subprocess.run, [WARROOM, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert printed.returncode == 1 and printed.stdout.startswith("unready")
        assert "FAIL pollers: no worker polled task queue" in printed.stdout and "ok   database" in printed.stdout


async def test_readyz_names_temporal_and_the_database_when_they_fail(settings, tmp_path):
    down = await Client.connect("127.0.0.1:1", lazy=True)
    broken = settings.model_copy(update={"database_url": "sqlite+aiosqlite:////nonexistent/dir/warroom.db"})
    answer = await readiness(down, broken)
    assert answer.failed == ["temporal", "pollers", "database"]
    assert "failed" in answer.checks["temporal"].detail and "database failed" in answer.checks["database"].detail


async def test_the_heartbeat_stops_with_the_workers_and_starts_again_when_one_returns(short_poll_server, settings):
    client = short_poll_server.client
    switch = DeadMansSwitch()
    served = Served(switch.app).start()
    settings = settings.model_copy(update={"heartbeat_url": f"{served.url}/ping/{switch.check}"})
    try:
        await ensure_heartbeat_schedule(client, settings)
        async with build_worker(client, settings):
            await eventually(lambda: asyncio.sleep(0, switch.count >= 2))
        assert all("the database answer" in body for body in switch.pings)
        await asyncio.sleep(BEAT.total_seconds() * 2)  # a beat in flight at the stop may still land
        stopped_at = switch.count
        await asyncio.sleep(BEAT.total_seconds() * 5)
        assert switch.count == stopped_at, "no worker: the switch hears nothing, and alerts"
        async with build_worker(client, settings):
            await eventually(lambda: asyncio.sleep(0, switch.count >= stopped_at + 2))
        # Without the setting, the next worker's start removes the schedule.
        await ensure_heartbeat_schedule(client, settings.model_copy(update={"heartbeat_url": None}))
        assert heartbeat_schedule_id(settings) not in [s.id async for s in await client.list_schedules()]
    finally:
        served.stop()
        await ensure_heartbeat_schedule(client, settings.model_copy(update={"heartbeat_url": None}))


async def test_no_heartbeat_when_the_database_does_not_answer(tmp_path):
    switch = DeadMansSwitch()
    served = Served(switch.app).start()
    try:
        broken = HeartbeatActivities(f"{served.url}/ping/{switch.check}", Database("sqlite+aiosqlite:////nonexistent/dir/warroom.db"))
        with pytest.raises(Exception, match="unable to open database"):
            await ActivityEnvironment().run(broken.send_heartbeat)
        assert switch.count == 0
        working = HeartbeatActivities(f"{served.url}/ping/{switch.check}", Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"))
        assert await ActivityEnvironment().run(working.send_heartbeat) == "switch answered 200"
        assert switch.count == 1
    finally:
        served.stop()
