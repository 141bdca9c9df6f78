"""The read API and the remote CLI: `warroom list|show|report --url` against a
running gateway print what they print locally, open incidents come from
Temporal and closed ones from the archive, one list."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx

from tests.support import serve_gateway
from tests.test_report import ARCHIVE, archived  # noqa: F401 - the archive fixture, on each kind of database
from warroom.settings import Settings

WARROOM = str(Path(sys.executable).parent / "warroom")
TOKEN = "r" * 32


async def warroom(*args: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        WARROOM, *args, env={**os.environ, "COLUMNS": "200", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


def without_clock(report: dict) -> dict:
    """`since`/`until` are the moment each report was made."""
    return {k: v for k, v in report.items() if k not in ("since", "until")}


async def test_remote_report_list_and_show_match_the_local_ones(archived, env, tmp_path):  # noqa: F811
    local = {
        "WARROOM_DATABASE_URL": archived, "WARROOM_DATA_DIR": str(tmp_path / "local"),
        "WARROOM_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
    }
    settings = Settings(data_dir=tmp_path / "gateway", config=None, database_url=archived, tokens=f"reader:read:{TOKEN}")
    async with serve_gateway(settings, env.client) as url:
        remote = {"WARROOM_URL": url, "WARROOM_TOKEN": TOKEN, "WARROOM_DATA_DIR": str(tmp_path / "laptop")}
        for fmt in ("json", "markdown", "table"):
            here, there = await warroom("report", "--since", "all", "--format", fmt, **local), await warroom(
                "report", "--since", "all", "--format", fmt, **remote
            )
            assert here[0] == there[0] == 0, (here, there)
            if fmt == "json":
                assert without_clock(json.loads(here[1])) == without_clock(json.loads(there[1]))
            else:
                assert here[1] == there[1]

        here, there = await warroom("list", "--closed", "--json", **local), await warroom("list", "--closed", "--json", **remote)
        assert here[0] == there[0] == 0, (here, there)
        local_rows, remote_rows = json.loads(here[1]), json.loads(there[1])
        assert local_rows == remote_rows
        assert {row["id"] for row in remote_rows} == {s.id for s in ARCHIVE}
        assert [row["declared_at"] for row in remote_rows] == sorted((row["declared_at"] for row in remote_rows), reverse=True)
        assert {row["phase"] for row in remote_rows} == {"closed"}
        assert all(row["declared_at"][10] == " " for row in remote_rows), "written as Temporal's rows are: one list sorts alike"

        code, out, _ = await warroom("show", "a", "--json", **remote)
        assert code == 0 and json.loads(out)["id"] == "inc-a" and json.loads(out)["phase"] == "closed"

        code, _, err = await warroom("report", **{**remote, "WARROOM_TOKEN": ""})
        assert code == 1 and "WARROOM_TOKEN" in err, "a missing token is said, not a traceback"


async def test_the_read_api_filters_and_refuses_bad_filters(archived, env, tmp_path):  # noqa: F811
    settings = Settings(data_dir=tmp_path, config=None, database_url=archived)
    async with serve_gateway(settings, env.client) as url, httpx.AsyncClient(base_url=url) as http:
        closed = (await http.get("/v1/incidents", params={"phase": "closed", "service": "checkout"})).json()
        assert closed and {row["service"] for row in closed} == {"checkout"}
        assert (await http.get("/v1/incidents", params={"open": "false", "since": "2026-03-05T00:00:00"})).json()
        assert (await http.get("/v1/incidents", params={"open": "false", "since": "2099-01-01T00:00:00"})).json() == []
        bad = await http.get("/v1/incidents", params={"since": "yesterday-ish"})
        assert bad.status_code == 422 and "since" in bad.json()["detail"]
        markdown = await http.get("/v1/reports", params={"since": "all", "format": "markdown"})
        assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
        assert (await http.get("/v1/reports", params={"since": "forever"})).status_code == 422
        assert (await http.get("/v1/incidents/inc-a")).json()["id"] == "inc-a"
        assert (await http.get("/v1/incidents/inc-nope")).status_code == 404
