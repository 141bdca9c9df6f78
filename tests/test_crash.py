"""Crash survival: twenty seeded SEV1 lifecycles on a real dev server (SQLite
file), the worker and the gateway as processes of their own, the worker killed
with SIGKILL at seeded random moments and restarted, the Temporal server
restarted once mid-incident. Every incident must close, and the Slack,
Statuspage and Jira fakes must hold exactly one of everything."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError
from temporalio.worker import Replayer

from tests.fakes.jira import FakeJira
from tests.fakes.server import Served
from tests.fakes.slack import FakeSlack
from tests.fakes.statuspage import FakeStatuspage
from warroom import models as m
from warroom.responders import Receipt
from warroom.settings import Settings
from cli.devserver import dev_server
from client.incidents import start_incident
from client.temporal import connect
from store.archive import Archive
from store.db import Database
from store.migrate import upgrade
from worker.worker import SANDBOXED_RUNNER, WORKFLOWS

# `make test` runs 20 seeded lifecycles through 20 kills; CRASH_SEEDS=100
# CRASH_KILLS=80 make test runs a longer set.
SEEDS = range(int(os.environ.get("CRASH_SEEDS", "20")))
KILLS = int(os.environ.get("CRASH_KILLS", "20"))  # then the worker is left alone to finish
WARROOM = str(Path(sys.executable).parent / "warroom")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fakes():
    slack = FakeSlack(token="xoxb-crash")
    page = FakeStatuspage(api_key="sp-crash", page_id="page1")
    jira = FakeJira(user="bot@example.com", token="jira-crash", project="OPS")
    servers = [Served(fake.app).start() for fake in (slack, page, jira)]
    slack.url, page.url, jira.url = (s.url for s in servers)
    yield slack, page, jira
    for server in servers:
        server.stop()


class Processes:
    """`warroom worker` and `warroom gateway` as separate OS processes."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env = {**os.environ, **env}
        self.logs = logs
        self.worker: asyncio.subprocess.Process | None = None
        self.gateway: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self, part: str) -> asyncio.subprocess.Process:
        with (self.logs / f"{part}.log").open("ab") as log:  # kept for a failing run's post-mortem
            return await asyncio.create_subprocess_exec(WARROOM, part, env=self.env, stdout=log, stderr=log)

    async def kill_worker(self) -> None:
        assert self.worker is not None
        if self.worker.returncode is None:
            self.worker.send_signal(signal.SIGKILL)
            await self.worker.wait()
            self.kills += 1
        self.worker = await self.start("worker")

    async def supervise(self) -> None:
        """Restart what exited on its own (a worker started while the server was
        down gives up), as Kubernetes would."""
        if self.worker and self.worker.returncode is not None:
            self.worker = await self.start("worker")
        if self.gateway and self.gateway.returncode is not None:
            self.gateway = await self.start("gateway")

    async def stop(self) -> None:
        for proc in (self.worker, self.gateway):
            if proc and proc.returncode is None:
                proc.send_signal(signal.SIGKILL)
                await proc.wait()


async def persist(call, attempts: int = 240):
    """Retry through a server restart (and a workflow task retried after a
    starved worker missed its deadline); update ids make a retried update count once."""
    for _ in range(attempts):
        try:
            return await call()
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError, RuntimeError):
            await asyncio.sleep(0.5)
    return await call()


async def lifecycle(client: Client, settings: Settings, seed: int, chaos_over: asyncio.Event) -> str:
    rnd = random.Random(seed)
    incident_id = f"inc-crash{seed:03d}"
    inp = m.IncidentInput(title=f"Checkout down {seed}", service="checkout", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    await persist(lambda: start_incident(client, settings, incident_id, inp))
    handle = client.get_workflow_handle(incident_id)
    due = str(date.today() + timedelta(days=14))
    steps = [
        ("acknowledge", {"by": "bob"}),
        ("assign", {"by": "bob", "role": "ops_lead", "user": "carol"}),
        ("update", {"by": "bob", "status": "identified", "message": f"bad deploy {seed}"}),
        ("mitigate", {"by": "carol", "action": "feature_flag", "description": "new checkout off"}),
        ("action_item", {"by": "bob", "title": f"Canary deploys {seed}", "owner": "carol", "due": due}),
        ("resolve", {"by": "bob", "summary": "flag off"}),
    ]
    for n, (name, payload) in enumerate(steps):
        await asyncio.sleep(rnd.uniform(0, 0.6))
        await persist(lambda: handle.execute_update(name, payload, id=f"{incident_id}-{n}", result_type=Receipt))

    async def in_learn() -> bool:
        state = await handle.query("state")
        return state.get("phase") == "learn"

    while not await persist(in_learn):
        await asyncio.sleep(0.3)
    await chaos_over.wait()  # every incident stays open through every kill, however fast the rest went
    review = {"no_action": "a chaos drill"}
    for n, fields in enumerate(({"event": "submitted"}, {"event": "reviewed", **review}), start=len(steps)):
        await persist(lambda: handle.execute_update("postmortem", {"by": "bob", **fields}, id=f"{incident_id}-{n}", result_type=Receipt))
    result = await persist(lambda: handle.result())
    return result["phase"]


async def replay_failures(client: Client, task_queue: str) -> tuple[int, dict[str, str]]:
    """Replay every run the chaos produced on a fresh, cacheless replayer: the
    live workers (default cache, killed mid-task) must have made the same
    decisions a replay makes, or a later worker would fail these incidents. The
    workers ran as in production, outside the sandbox; the replay runs inside
    it, so a non-deterministic call on any path they took fails here too."""
    replayed = 0

    async def histories():
        nonlocal replayed
        async for history in client.list_workflows(f"TaskQueue = '{task_queue}'").map_histories():
            replayed += 1
            yield history

    replayer = Replayer(workflows=WORKFLOWS, workflow_runner=SANDBOXED_RUNNER, data_converter=client.data_converter)
    results = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    return replayed, {run_id: str(err) for run_id, err in results.replay_failures.items()}


@pytest.mark.timeout(300 + 4 * KILLS + 3 * len(SEEDS))  # up to 4 s between kills; replaying grows with the seeds
async def test_incidents_survive_worker_kills_and_a_server_restart(tmp_path, fakes):
    slack, page, jira = fakes
    config = tmp_path / "warroom.toml"
    config.write_text('[services.checkout]\ncomponents = ["Checkout"]\n')
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", temporal_ui_port=free_port(), data_dir=tmp_path / "data",
        config=config, task_queue="crash", monitoring_window="2s",
    )
    http_port = free_port()
    env = {
        "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
        "WARROOM_DATA_DIR": str(settings.data_dir), "WARROOM_CONFIG": str(config), "WARROOM_MONITORING_WINDOW": "2s",
        "WARROOM_HTTP_PORT": str(http_port),
        "WARROOM_SLACK_BOT_TOKEN": slack.token, "WARROOM_SLACK_API_URL": f"{slack.url}/api/", "WARROOM_SLACK_RATE_WINDOW": "1s",
        "WARROOM_STATUSPAGE_API_KEY": page.api_key, "WARROOM_STATUSPAGE_PAGE_ID": page.page_id,
        "WARROOM_STATUSPAGE_API_URL": f"{page.url}/v1/",
        "WARROOM_JIRA_URL": jira.url, "WARROOM_JIRA_USER": "bot@example.com", "WARROOM_JIRA_TOKEN": "jira-crash",
        "WARROOM_JIRA_PROJECT": "OPS",
    }
    procs = Processes(env, tmp_path)
    await upgrade(settings.database)
    server = dev_server(settings)
    await server.__aenter__()
    try:
        procs.worker, procs.gateway = await procs.start("worker"), await procs.start("gateway")
        client = await connect(settings)
        chaos_over = asyncio.Event()
        runs = asyncio.gather(*(lifecycle(client, settings, seed, chaos_over) for seed in SEEDS))
        chaos = random.Random(2026)
        restarted = False
        while not runs.done() and procs.kills < KILLS:
            # Seeded moments, each after the restarted worker had time to poll again.
            await asyncio.wait([runs], timeout=chaos.uniform(2.0, 4.0))
            if runs.done():
                break
            await procs.supervise()
            await procs.kill_worker()
            if procs.kills == 8 and not restarted:  # the Temporal server goes down mid-incident, and comes back
                await server.__aexit__(None, None, None)
                server = dev_server(settings)
                await server.__aenter__()
                restarted = True
        chaos_over.set()
        while not runs.done():
            await asyncio.wait([runs], timeout=2)
            await procs.supervise()
        phases = await runs
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as http:
            for _ in range(100):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            assert (await http.get("/healthz")).status_code == 200 and (await http.get("/status")).status_code == 200
        replayed, unreplayable = await replay_failures(client, settings.task_queue)
    finally:
        await procs.stop()
        await server.__aexit__(None, None, None)

    assert phases == ["closed"] * len(SEEDS)
    assert replayed >= len(SEEDS) and not unreplayable, f"histories the workflow code no longer replays: {unreplayable}"
    assert restarted and procs.kills >= KILLS
    archived = await Archive(Database(settings.database)).all()
    assert sorted(s.id for s in archived) == [f"inc-crash{seed:03d}" for seed in SEEDS], "one archive record per incident"
    assert all(s.phase is m.Phase.CLOSED for s in archived)

    channels = [c for c in slack.channels.values() if c.get("is_channel")]
    names = Counter(c["name"] for c in channels)
    assert len(names) == len(SEEDS) and max(names.values()) == 1, "one channel per incident"
    keys = Counter(msg["metadata"]["event_payload"]["key"] for c in slack.channels.values() for msg in c["messages"])
    assert max(keys.values()) == 1, "no message posted twice"
    on_page = Counter((i.get("metadata") or {}).get("warroom", {}).get("incident_id") for i in page.incidents.values())
    assert len(page.incidents) == len(SEEDS), f"one status-page incident per incident: {sorted(on_page.items(), key=str)}"
    for incident in page.incidents.values():
        statuses = [u["status"] for u in reversed(incident["incident_updates"])]
        assert statuses == ["investigating", "identified", "monitoring", "resolved"], statuses
    labels = Counter(tuple(i["fields"]["labels"]) for i in jira.issues.values())
    assert len(labels) == len(SEEDS) and max(labels.values()) == 1, "one Jira issue per action item"
