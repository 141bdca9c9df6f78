"""Two workers with different data directories sharing one PostgreSQL produce
one archive with no duplicates after a SIGKILL mid-archive (issue 18).

The test holds the `incidents` table locked until every incident's archive
activity is in flight, so each write is caught between its start and its
commit; then it kills the worker holding more of them. The killed worker's
transactions never commit, Temporal retries its activities after their timeout,
and the archive must end with one whole record per incident."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from temporalio.client import Client

from tests.test_crash import WARROOM, free_port, persist
from warroom import models as m
from warroom.responders import Receipt
from warroom.settings import Settings
from cli.devserver import dev_server
from client.incidents import start_incident
from client.temporal import connect
from store.archive import Archive
from store.db import Database
from store.migrate import upgrade
from store.tables import incidents

INCIDENTS = 6


async def archives_in_flight(client: Client, ids: list[str]) -> dict[str, str]:
    """Incident id -> identity of the worker running its archive activity, for those started."""
    running = {}
    for incident_id in ids:
        for pending in (await client.get_workflow_handle(incident_id).describe()).raw_description.pending_activities:
            if pending.activity_type.name == "archive_incident" and pending.last_worker_identity:
                running[incident_id] = pending.last_worker_identity
    return running


@pytest.mark.timeout(240)  # the killed worker's archives are retried after their 30 s timeout
async def test_two_workers_sharing_postgresql_archive_each_incident_once_through_a_sigkill_mid_archive(tmp_path, postgres):
    url = await postgres.new_database()
    await upgrade(url)
    config = tmp_path / "warroom.toml"
    config.write_text("")
    settings = Settings(
        temporal_address=f"127.0.0.1:{free_port()}", temporal_ui_port=free_port(), data_dir=tmp_path / "server",
        config=config, task_queue="shared", monitoring_window="1s",
    )
    common = {
        "WARROOM_TEMPORAL_ADDRESS": settings.temporal_address, "WARROOM_TASK_QUEUE": settings.task_queue,
        "WARROOM_CONFIG": str(config), "WARROOM_MONITORING_WINDOW": "1s", "WARROOM_DATABASE_URL": url,
    }
    workers: dict[str, asyncio.subprocess.Process] = {}

    async def start(name: str) -> None:
        with (tmp_path / f"worker-{name}.log").open("ab") as log:
            env = {**common, "WARROOM_DATA_DIR": str(tmp_path / f"data-{name}")}
            workers[name] = await asyncio.create_subprocess_exec(WARROOM, "worker", env={**os.environ, **env}, stdout=log, stderr=log)

    pg = make_url(url)
    lock = await asyncpg.connect(host=pg.host, port=pg.port, user=pg.username, database=pg.database)
    async with dev_server(settings):
        try:
            await asyncio.gather(start("a"), start("b"))
            client = await connect(settings)
            ids = [f"inc-shared{n}" for n in range(INCIDENTS)]
            for incident_id in ids:
                inp = m.IncidentInput(title=f"Search slow {incident_id}", service="search", severity="SEV3", declared_by="alice")
                await persist(lambda: start_incident(client, settings, incident_id, inp))

            transaction = lock.transaction()
            await transaction.start()
            await lock.execute("LOCK TABLE incidents IN EXCLUSIVE MODE")  # readers read on, writers wait
            for n, incident_id in enumerate(ids):
                resolve = {"by": "alice", "summary": "reindexed"}
                await persist(lambda: client.get_workflow_handle(incident_id).execute_update("resolve", resolve, id=f"resolve-{n}", result_type=Receipt))
            for _ in range(600):
                assert all(proc.returncode is None for proc in workers.values()), "a worker exited: see worker-*.log"
                running = await archives_in_flight(client, ids)
                if len(running) == INCIDENTS:
                    break
                await asyncio.sleep(0.1)
            assert len(running) == INCIDENTS, f"archives in flight: {running}"
            pids = {name: proc.pid for name, proc in workers.items()}
            held = Counter(identity.split("@")[0] for identity in running.values())
            victim = max(pids, key=lambda name: held[str(pids[name])])
            assert held[str(pids[victim])] > 0
            workers[victim].send_signal(signal.SIGKILL)  # its writes are waiting on the lock, inside their transactions
            await workers[victim].wait()
            await transaction.rollback()
            survivor = INCIDENTS - held[str(pids[victim])]
            for _ in range(100):
                if await lock.fetchval("SELECT count(*) FROM incidents") >= survivor:
                    break
                await asyncio.sleep(0.1)
            assert await lock.fetchval("SELECT count(*) FROM incidents") == survivor, "the killed worker's writes never committed"
            await start(victim)  # as Kubernetes would; the other worker may take the retries as well

            results = await asyncio.gather(*(persist(lambda h=client.get_workflow_handle(i): h.result()) for i in ids))
            assert [r["phase"] for r in results] == ["closed"] * INCIDENTS
        finally:
            await lock.close()
            for proc in workers.values():
                if proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()

    db = Database(url)
    async with db.reading() as session:
        rows = (await session.execute(select(incidents.c.id, incidents.c.record))).all()
    assert sorted(incident_id for incident_id, _ in rows) == ids, "one row per incident, no duplicates"
    for incident_id, record in rows:
        assert record["id"] == incident_id and record["phase"] == "closed" and record["timeline"][-1]["text"] == "incident closed"
    assert sorted(s.id for s in await Archive(db).all()) == ids
