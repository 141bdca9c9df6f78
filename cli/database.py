"""`warroom db`: bring the database to the schema this warroom needs."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from cli.render import out
from cli.runtime import Failure, run
from store.migrate import head, revision, upgrade
from warroom.settings import Settings

db = typer.Typer(help="warroom's database (WARROOM_DATABASE_URL, default a SQLite file in WARROOM_DATA_DIR).", no_args_is_help=True)


def shown(url: str) -> str:
    """The URL without its password, for people and logs."""
    return make_url(url).render_as_string(hide_password=True)


@db.command("upgrade")
def upgrade_command() -> None:
    """Run the migrations up to this version's schema (safe to run again)."""
    url = Settings().database
    out.print(f"{shown(url)}: at revision {run(upgrade(url))}")


@db.command()
def status() -> None:
    """Which schema revision the database is at, and which one this warroom needs."""
    url = Settings().database
    current = run(revision(url))
    needed = head()
    out.print(f"{shown(url)}: at revision {current or 'none (never migrated)'}; this warroom needs {needed}")
    if current != needed:
        raise Failure("run `warroom db upgrade`")


async def check_schema(url: str) -> str | None:
    """Why a worker or gateway cannot use this database, or None when it can."""
    try:
        current = await revision(url)
    except Exception as err:  # noqa: BLE001 - any driver's connection error, said in one line
        return f"cannot reach the database {shown(url)}: {err}"
    if current != head():
        return f"the database {shown(url)} is at revision {current or 'none'}, this warroom needs {head()}: run `warroom db upgrade`"
    return None
