"""`warroom report --recent N` (and `GET /v1/reports?recent=N`): the last
incident reports with their postmortem links, for newcomers (seed 000: "Read at
least the last 20 incident reports"); drills and incidents without one left out."""

from __future__ import annotations

import asyncio
import json

import httpx

from cli.main import run_cli
from gateway.app import create_app
from store.archive import Archive
from store.db import Database
from warroom.drills import Drill
from warroom.models import Postmortem, Severity
from warroom.settings import Settings
from tests.test_report import incident


def closed(iid: str, day: int, **fields):
    start = f"2026-03-{day:02d} 10:00"
    end = f"2026-03-{day:02d} 11:00"
    drill = fields.pop("drill", None)
    s = incident(iid, "checkout", "SEV3", start, start, start, end, end, **fields)
    return s.model_copy(update={"drill": drill, "peak_severity": Severity.SEV1 if iid == "inc-a" else None})


ARCHIVE = [
    closed("inc-a", 1, postmortem=Postmortem(required=True, submitted_link="https://wiki/pm/a", reviewed_at="2026-03-05T10:00:00Z")),
    closed("inc-b", 2, postmortem=Postmortem(draft_link="http://gw/postmortems/inc-b")),
    closed("inc-drill", 3, postmortem=Postmortem(draft_link="http://gw/postmortems/inc-drill"), drill=Drill(participants=["sam"])),
    closed("inc-c", 4),
]


async def test_the_last_reports_newest_first_with_their_links(database_url, env, monkeypatch, capsys, tmp_path):
    archive = Archive(Database(database_url))
    for s in ARCHIVE:
        await archive.put(s)
    recent = await archive.recent_reports(20)
    assert [(r.incident, r.severity, r.link, r.reviewed) for r in recent] == [
        ("inc-b", "SEV3", "http://gw/postmortems/inc-b", False), ("inc-a", "SEV1", "https://wiki/pm/a", True)]
    assert [r.incident for r in await archive.recent_reports(1)] == ["inc-b"]

    monkeypatch.setenv("WARROOM_DATABASE_URL", database_url)
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    assert await asyncio.to_thread(run_cli, ["report", "--recent", "20", "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert [r["incident"] for r in local] == ["inc-b", "inc-a"]
    monkeypatch.setenv("COLUMNS", "250")
    assert await asyncio.to_thread(run_cli, ["report", "--recent", "20"]) == 0
    table = capsys.readouterr().out
    assert "The last 2 incident reports" in table and "https://wiki/pm/a" in table

    app = create_app(Settings(data_dir=tmp_path, config=None, database_url=database_url), env.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        answer = await http.get("/v1/reports", params={"recent": 20})
        assert answer.status_code == 200 and answer.json()["recent"] == local
        markdown = await http.get("/v1/reports", params={"recent": 20, "format": "markdown"})
        assert "| inc-a | 2026-03-01 | SEV1 | checkout | inc-a | https://wiki/pm/a | yes |" in markdown.text
        assert (await http.get("/v1/reports", params={"recent": 0})).status_code == 422
