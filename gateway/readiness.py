"""Is warroom ready to run an incident right now? Three checks, each naming
what failed: Temporal answers, a worker has polled the task queue recently
(for workflow tasks and for activity tasks: without either, alerts are
accepted and nothing happens), and the database answers.

`/readyz` and `warroom status` are this one definition. A worker long-polls: an idle one asks again at least once per
Temporal's long-poll interval (`matching.longPollExpirationInterval`, one
minute by default), so `WARROOM_READY_POLLER_WINDOW` must be longer than that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, DescribeTaskQueueResponse, GetSystemInfoRequest
from temporalio.client import Client

from store.db import Database
from warroom.durations import humanize
from warroom.settings import Settings

CHECK_TIMEOUT = timedelta(seconds=3)
TEMPORAL, POLLERS, DATABASE = "temporal", "pollers", "database"
CHECKS = (TEMPORAL, POLLERS, DATABASE)
QUEUE_TYPES = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}


class Poller(BaseModel):
    identity: str
    queue_type: str
    last_access_time: datetime


class Check(BaseModel):
    ok: bool
    detail: str


class PollerCheck(Check):
    missing: list[str] = []
    pollers: list[Poller] = []


class Readiness(BaseModel):
    """What `/readyz` answers: `failed` names the checks that did not pass."""

    status: str
    failed: list[str]
    checks: dict[str, Check | PollerCheck]

    @property
    def ready(self) -> bool:
        return not self.failed


async def describe_queue(client: Client, settings: Settings, queue_type: str, stats: bool = False) -> DescribeTaskQueueResponse:
    request = DescribeTaskQueueRequest(
        namespace=settings.temporal_namespace, task_queue=TaskQueue(name=settings.task_queue),
        task_queue_type=QUEUE_TYPES[queue_type], report_stats=stats,
    )
    return await client.workflow_service.describe_task_queue(request, timeout=CHECK_TIMEOUT)


async def check_temporal(client: Client, settings: Settings) -> Check:
    await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=CHECK_TIMEOUT)
    return Check(ok=True, detail=f"Temporal answers at {settings.temporal_address}")


async def check_pollers(client: Client, settings: Settings, now: datetime) -> PollerCheck:
    """A poller counts when it asked for tasks within the window."""
    window = settings.ready_poller_window
    recent: list[Poller] = []
    missing = []
    for queue_type in QUEUE_TYPES:
        described = await describe_queue(client, settings, queue_type)
        seen = [
            Poller(identity=p.identity, queue_type=queue_type, last_access_time=p.last_access_time.ToDatetime(UTC))
            for p in described.pollers
        ]
        fresh = [p for p in seen if now - p.last_access_time <= window]
        recent += fresh
        if not fresh:
            missing.append(queue_type)
    if missing:
        detail = (
            f"no worker polled task queue {settings.task_queue!r} for {' and '.join(missing)} tasks "
            f"in the last {humanize(window)}: alerts are accepted, but no channel opens and nobody is paged"
        )
        return PollerCheck(ok=False, detail=detail, missing=missing, pollers=recent)
    workers = sorted({p.identity for p in recent})
    return PollerCheck(ok=True, detail=f"{len(workers)} worker(s) polling {settings.task_queue!r}", pollers=recent)


async def check_database(settings: Settings) -> Check:
    async with Database(settings.database).reading() as session:
        await session.execute(text("SELECT 1"))
    return Check(ok=True, detail=f"the {Database(settings.database).dialect} database answers")


async def _run(name: str, check: Awaitable[Check]) -> Check:
    """One check's answer; any failure (including a hang) becomes its reason."""
    try:
        return await asyncio.wait_for(check, timeout=CHECK_TIMEOUT.total_seconds() * 2)
    except TimeoutError:
        return Check(ok=False, detail=f"{name} did not answer within {CHECK_TIMEOUT.total_seconds() * 2:.0f} s")
    except Exception as err:  # noqa: BLE001 - gRPC, driver and OS errors alike: the reason is the answer
        return Check(ok=False, detail=f"{name} failed: {type(err).__name__}: {str(err)[:300]}")


async def readiness(client: Client, settings: Settings, skip: Iterable[str] = ()) -> Readiness:
    """Run the checks (all of them, at once) except those in `skip`."""
    now = datetime.now(UTC)
    checks = {
        TEMPORAL: lambda: check_temporal(client, settings),
        POLLERS: lambda: check_pollers(client, settings, now),
        DATABASE: lambda: check_database(settings),
    }
    chosen = [name for name in CHECKS if name not in set(skip)]
    answers = await asyncio.gather(*(_run(name, checks[name]()) for name in chosen))
    results = dict(zip(chosen, answers, strict=True))
    failed = [name for name, check in results.items() if not check.ok]
    return Readiness(status="unready" if failed else "ready", failed=failed, checks=results)
