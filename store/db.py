"""One engine per process and database, and the sessions writes go through."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.sql.dml import Insert

# Per event loop: a connection belongs to the loop that opened it (the CLI runs
# each command in a loop of its own, tests in theirs).
_engines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncEngine]] = weakref.WeakKeyDictionary()
# SQLite takes one writer at a time and makes the others sleep and retry (its
# busy handler backs off up to 100 ms a try): a process's own writers queue here
# instead, in order, and only other processes' writes wait in SQLite.
_sqlite_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


class Database:
    """A database by URL: `async with db.transaction() as session` commits the
    block as one transaction or none of it. Cheap to make; it connects on use,
    through the running loop's engine."""

    def __init__(self, url: str):
        self.url = url

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._writer(), AsyncSession(engine(self.url), expire_on_commit=False) as session, session.begin():
            yield session

    def _writer(self) -> asyncio.Lock | contextlib.nullcontext[None]:
        if self.dialect != "sqlite":
            return contextlib.nullcontext()
        return _sqlite_writers.setdefault(asyncio.get_running_loop(), {}).setdefault(self.url, asyncio.Lock())

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(engine(self.url), expire_on_commit=False) as session:
            yield session

    def insert(self, table: Any) -> Insert:
        """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL alike)."""
        return (postgresql_insert if self.dialect == "postgresql" else sqlite_insert)(table)


def engine(url: str) -> AsyncEngine:
    """This loop's engine for `url`: created once, shared by every store."""
    engines = _engines.setdefault(asyncio.get_running_loop(), {})
    if url not in engines:
        engines[url] = _create(url)
    return engines[url]


def _create(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        return create_async_engine(url, pool_pre_ping=True)
    created = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(created.sync_engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        """WAL lets readers and one writer work at once; several processes
        (worker, gateway, CLI) share the file, so a writer waits its turn."""
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return created


async def dispose_all() -> None:
    """Close this loop's engines (before the loop ends)."""
    for created in _engines.pop(asyncio.get_running_loop(), {}).values():
        await created.dispose()


def utc(when: datetime) -> datetime:
    """A stored time as read back: SQLite keeps no time zone, so what it gives
    back is the UTC that went in (every writer stores UTC)."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
