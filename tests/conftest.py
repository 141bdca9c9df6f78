"""Temporal for tests: a time-skipping server per test, one real dev server per
session for tests that need one; a fresh worker and data directory per test."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.postgres import Cluster
from tests.support import Warroom
from cli.devserver import temporal_binary
from client.temporal import ensure_search_attributes

TEST_SERVER = Path(sys.executable).parent / "temporal-test-server"
# Rich reads COLUMNS once, when the CLI's console is made (by whichever test imports it
# first): wide enough for every table the tests read.
os.environ["COLUMNS"] = "250"


@pytest.fixture
async def env():
    """A time-skipping server of the test's own (it starts in ~0.1 s): days of
    incident timers in milliseconds, and no timer of another test in the way."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(TEST_SERVER), data_converter=pydantic_data_converter
    )
    await ensure_search_attributes(environment.client)
    yield environment
    await shut_down(environment)


@pytest.fixture(scope="session")
async def dev_env():
    """A real `temporal server start-dev`, for visibility, the CLI and other processes."""
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        dev_server_extra_args=["--log-level", "error"],
    )
    await ensure_search_attributes(environment.client)
    yield environment
    await shut_down(environment)


async def shut_down(environment: WorkflowEnvironment) -> None:
    """Stop a server, but never hang the run on it: once, at the end of a passing
    run, the dev server's shutdown never returned. The process exits right after."""
    try:
        await asyncio.wait_for(environment.shutdown(), timeout=30)
    except TimeoutError:
        print(f"warning: {type(environment).__name__} did not shut down within 30 s", file=sys.stderr)


@pytest.fixture(autouse=True)
async def close_databases():
    """Close the test's database connections when it ends (each engine holds a
    connection pool, an aiosqlite thread per SQLite connection)."""
    yield
    from store.db import dispose_all

    await dispose_all()


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL cluster for the session; each test takes a database of its own."""
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path):
    """A fresh, migrated database of each kind: every store test runs against both."""
    from store.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}"
    else:
        url = await request.getfixturevalue("postgres").new_database()
    await upgrade(url)
    return url


@pytest.fixture
async def warroom(env, tmp_path):
    async with Warroom(env, tmp_path) as w:
        yield w


@pytest.fixture
async def live_warroom(dev_env, tmp_path):
    async with Warroom(dev_env, tmp_path) as w:
        yield w


_exit_status = 0


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    """Leave before interpreter teardown, where the Temporal SDK can abort a
    passing run (sdk-python issue 300); the summary has been printed by now."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
