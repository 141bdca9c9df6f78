"""The database under warroom: migrations on SQLite and on a real PostgreSQL,
and the processes that refuse a database whose schema they do not know."""

from __future__ import annotations

import pytest

from cli import main as cli
from cli.database import check_schema
from store.migrate import head, revision, upgrade
from warroom.settings import Settings


async def test_a_migrated_database_is_at_the_newest_revision_and_upgrading_again_changes_nothing(database_url):
    assert await revision(database_url) == head()
    assert await upgrade(database_url) == head()
    assert await check_schema(database_url) is None


async def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(tmp_path):
    url = Settings(data_dir=tmp_path, config=None).database
    assert await revision(url) is None
    assert not (tmp_path / "warroom.db").exists(), "asking does not create the database"
    problem = await check_schema(url)
    assert problem and "warroom db upgrade" in problem and "none" in problem


async def test_an_unreachable_database_is_said_without_its_password():
    problem = await check_schema("postgresql+asyncpg://warroom:s3cret@127.0.0.1:1/warroom")
    assert problem and problem.startswith("cannot reach the database") and "s3cret" not in problem


def test_db_upgrade_and_status_on_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    assert cli.run_cli(["db", "status"]) == 1
    assert "never migrated" in capsys.readouterr().out
    assert cli.run_cli(["db", "upgrade"]) == 0
    assert f"at revision {head()}" in capsys.readouterr().out
    assert cli.run_cli(["db", "status"]) == 0


@pytest.mark.parametrize("part", ["worker", "gateway"])
async def test_worker_and_gateway_refuse_an_unmigrated_database(tmp_path, part):
    from cli.processes import StartupFailed, serve
    from cli.render import out

    settings = Settings(data_dir=tmp_path, config=None, temporal_address="127.0.0.1:1")
    with pytest.raises(StartupFailed, match="warroom db upgrade"):
        await serve(settings, out, parts=[part])
