"""`warroom route check`: the dry run's counts agree with what the live router
did for the same alerts (on a real dev server, which says whether a
signal-with-start opened the incident), and a new config shows its changes."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from cli import main as cli
from cli.alerting import as_dict
from gateway.app import create_app
from store.alerting import AlertRecords, Received
from store.db import Database, dispose_all
from store.migrate import upgrade
from tests.support import Warroom
from warroom.alerts import AlertEvent
from warroom.dryrun import replay
from warroom.policy import load_policy

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
CORPUS = FIXTURES / "corpus"
LIVE = """
[[routing.rules]]
name = "watchdog"
matchers = ['alertname = "Watchdog"']
drop = true

[[routing.rules]]
name = "checkout"
matchers = ['service = "checkout"']
severity = "SEV2"
"""
NEW = LIVE + """
[[routing.rules]]
name = "no-datadog"
matchers = ['source = "datadog"']
drop = true
"""


def am(group: str, status: str = "firing", alertname: str = "HighErrorRate") -> dict[str, Any]:
    body = json.loads((FIXTURES / "alertmanager.json").read_text())
    body["groupKey"], body["status"] = group, status
    for alert in body["alerts"]:
        alert["status"], alert["labels"]["alertname"] = status, alertname
    return body


def traffic(run: str) -> list[tuple[str, Any]]:
    datadog = json.loads((CORPUS / "datadog-default-payload.json").read_text())
    datadog["title"] = f"[Triggered on {{host:web-1}}] {run} CPU high"
    recovered = {**copy.deepcopy(datadog), "title": f"[Recovered on {{host:web-1}}] {run} CPU high"}
    return [
        ("alertmanager", am(f"{run}-a")), ("alertmanager", am(f"{run}-a")), ("alertmanager", am(f"{run}-b")),
        ("alertmanager", am(f"{run}-w", alertname="Watchdog")), ("alertmanager", am(f"{run}-w", alertname="Watchdog")),
        ("alertmanager", am(f"{run}-a", "resolved")), ("alertmanager", am(f"{run}-never", "resolved")),
        ("datadog", datadog), ("datadog", datadog), ("datadog", recovered),
        ("generic", {"title": f"{run} backup failed", "service": "billing"}),
    ]


async def test_the_dry_run_agrees_with_the_live_router_and_shows_a_new_configs_changes(dev_env, tmp_path):
    (tmp_path / "live.toml").write_text(LIVE)
    (tmp_path / "new.toml").write_text(NEW)
    async with Warroom(dev_env, tmp_path, settings={"config": tmp_path / "live.toml"}) as warroom:
        app = create_app(warroom.settings, warroom.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            for source, body in traffic(warroom.settings.task_queue):
                answer = await http.post(f"/v1/alerts/{source}", json=body)
                assert answer.status_code == 202, answer.text
                for incident_id in answer.json()["incidents"]:
                    warroom.track(incident_id)
        await app.state.alert_log.flush()
        received = await AlertRecords(warroom.database).since(datetime.now(UTC) - timedelta(hours=1))

    assert len(received) == 18  # two alerts in each of 7 Alertmanager notifications, one per other body
    same = replay(load_policy(tmp_path / "live.toml").routing, ((r.received_at, r.alert, r.outcome, r.rule) for r in received))
    for rule, outcome in same.rules.items():
        assert (outcome.would["opened"], outcome.would["merged"], outcome.would["dropped"]) == (
            outcome.did["opened"], outcome.did["joined"], outcome.did["dropped"]), rule
    would, did = same.totals()
    assert (did["opened"], did["dropped"], did["ignored"]) == (6, 4, 2)  # in alerts: two per Alertmanager group
    assert {rule for rule in same.rules} == {"watchdog", "checkout", "(no rule)"}

    changed = as_dict(replay(load_policy(tmp_path / "new.toml").routing, ((r.received_at, r.alert, r.outcome, r.rule) for r in received)))
    assert changed["rules"]["no-datadog"]["would"] == {"opened": 0, "merged": 0, "dropped": 3}
    assert changed["rules"]["(no rule)"]["would"]["opened"] == 1, "only the generic alert still opens without a rule"


def test_route_check_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "new.toml").write_text(NEW)
    now = datetime.now(UTC)
    alert = AlertEvent(source="datadog", dedup_key="org-1|CPU", fingerprint="f", name="CPU", labels={})

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}")
        await upgrade(db.url)
        await AlertRecords(db).add([Received(now, alert, "opened", "inc-1", None), Received(now, alert, "joined", "inc-1", None)])
        await dispose_all()

    asyncio.run(seed())
    assert cli.run_cli(["route", "check", "--since", "1d", "--config", str(tmp_path / "new.toml"), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["alerts"] == 2 and answer["rules"]["no-datadog"]["would"]["dropped"] == 2
    assert answer["rules"]["(no rule)"]["did"]["opened"] == 1
    assert cli.run_cli(["route", "check", "--since", "soon"]) == 1
    assert "since must be a duration" in capsys.readouterr().err


def test_maintenance_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    asyncio.run(_migrate(tmp_path))
    assert cli.run_cli(["maintenance", "start", "--service", "checkout", "--for", "2h", "--reason", "db upgrade", "--by", "alice", "--json"]) == 0
    (window,) = json.loads(capsys.readouterr().out)
    assert (window["service"], window["created_by"], window["reason"]) == ("checkout", "alice", "db upgrade")
    assert cli.run_cli(["maintenance", "list"]) == 0
    assert window["id"] in capsys.readouterr().out
    assert cli.run_cli(["maintenance", "start", "--service", "checkout", "--for", "a while", "--reason", "x"]) == 1


async def _migrate(path: Path) -> None:
    await upgrade(f"sqlite+aiosqlite:///{path / 'warroom.db'}")
    await dispose_all()
