"""What every `warroom` command that talks to Temporal shares: the one-line
failure, the event loop it runs on, the client, and the common arguments."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import typer
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from warroom.settings import Settings
from client.temporal import connect

By = Annotated[str, typer.Option("--by", envvar="WARROOM_USER", help="who acts: a handle, e-mail or Slack id from [people] (default: your login)")]
IncidentId = Annotated[str, typer.Argument(help="incident id, e.g. inc-1a2b3c4d or just 1a2b3c4d")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


class Failure(Exception):
    """An error for people: printed as one line, exit status 1."""


def user(by: str | None) -> str:
    """`--by` (or WARROOM_USER), else the login; through the people directory to a handle."""
    people = Settings().policy.people
    return people.handle(by) if by else people.of_login(getpass.getuser())


def uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    import uvloop

    return uvloop.new_event_loop


def run(coro: Coroutine[Any, Any, Any], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> Any:
    """Run `coro` to its end; Temporal's refusals and absences become a `Failure`."""
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coro)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        raise Failure(cause.message if isinstance(cause, ApplicationError) else str(cause or exc)) from None
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise Failure(f"not found: {exc.message}") from None
        raise Failure(f"Temporal refused: {exc.message}") from None
    except RuntimeError as exc:
        if "connect" in str(exc).lower():
            s = Settings()
            raise Failure(f"cannot reach Temporal at {s.temporal_address} (is `warroom up` running?)") from None
        raise


async def connected() -> tuple[Client, Settings]:
    settings = Settings()
    return await connect(settings), settings
