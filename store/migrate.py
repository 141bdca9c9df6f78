"""Bring a database to the newest schema: `warroom db upgrade`, `warroom up`,
and the Kubernetes migration Job. Safe to run again, and from several
processes at once on PostgreSQL (Alembic's version row is updated in the
migration's own transaction).

Alembic is imported where it is used: commands that only read the database
(`warroom report`, `list`, `show`) start without it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from store.db import engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def sqlite_file(url: str) -> Path | None:
    return Path(url.split("///", 1)[1]) if url.startswith("sqlite") else None


async def upgrade(url: str) -> str:
    """Upgrade to the newest revision; returns it."""
    if path := sqlite_file(url):
        path.parent.mkdir(parents=True, exist_ok=True)
    from alembic import command

    async with engine(url).begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(config(sync), "head"))
        return await connection.run_sync(current)


async def revision(url: str) -> str | None:
    """The database's revision; None when it was never migrated."""
    if (path := sqlite_file(url)) and not path.exists():
        return None
    async with engine(url).connect() as connection:
        return await connection.run_sync(current)


def current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head() or ""
