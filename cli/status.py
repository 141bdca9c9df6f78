"""`warroom status`: is warroom ready to run an incident? The same checks and
answer as the gateway's `/readyz` (`gateway.readiness`), run from this machine's
settings, or asked of a deployment's gateway with `--url`. Exit status 1 when not ready."""

from __future__ import annotations

import httpx

from cli.remote import TIMEOUT, Url
from cli.render import out, print_json
from cli.runtime import AsJson, Failure, run
from client.temporal import connect
from gateway.readiness import Readiness, readiness
from store.db import dispose_all
from warroom.settings import Settings


def status(url: Url = None, as_json: AsJson = False) -> int:
    """Readiness: Temporal answers, a worker polled the task queue recently, the database answers."""
    answer = _remote(url) if url else run(_local())
    if as_json:
        print_json(answer.model_dump(mode="json"))
    else:
        render_readiness(answer)
    return 0 if answer.ready else 1


async def _local() -> Readiness:
    settings = Settings()
    client = await connect(settings, lazy=True)  # Temporal unreachable is a failed check, not an error
    try:
        return await readiness(client, settings)
    finally:
        await dispose_all()


def _remote(url: str) -> Readiness:
    """`/readyz` is public: no token needed. A 503 is an answer, not a failure."""
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=TIMEOUT) as http:
            answer = http.get("/readyz")
    except httpx.HTTPError as err:
        raise Failure(f"cannot reach the gateway at {url}: {err}") from None
    if answer.status_code not in (200, 503):
        raise Failure(f"the gateway at {url} answered {answer.status_code} to /readyz")
    return Readiness.model_validate(answer.json())


def render_readiness(answer: Readiness) -> None:
    colour = "green" if answer.ready else "red"
    out.print(f"[bold {colour}]{answer.status}[/bold {colour}]")
    for name, check in answer.checks.items():
        mark = "[green]ok[/green]  " if check.ok else "[red]FAIL[/red]"
        out.print(f"  {mark} {name}: {check.detail}")
        for poller in getattr(check, "pollers", []):
            out.print(f"       {poller.queue_type} poller {poller.identity}, last poll {poller.last_access_time:%H:%M:%S} UTC")

