"""The `warroom` command: run the system, declare incidents, act on them.

The responder verbs (`ack`, `resolve`, ...) come from the message registry,
through `cli/verbs.py`; what commands print is in `cli/render.py`. Commands leave through `os._exit` after
flushing: the Temporal SDK can abort during interpreter shutdown (sdk-python
issue 300) after the work is done, which must not turn success into failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from sqlalchemy.exc import SQLAlchemyError

from warroom import models as m
from warroom.drills import Drill
from warroom.learning import PastReport, recent_table
from warroom import report as reports
from warroom.settings import Settings
from client.incidents import incident_id, start_incident
from cli.render import err, out, print_json, render_incident, render_list, render_report, render_tables
from cli.runtime import AsJson, By, Failure, IncidentId, connected, run, user, uvloop_factory
from cli import remote
from cli.alerting import maintenance, route
from cli.database import check_schema, db
from cli.remote import Url
from cli.status import status
from cli.verbs import add_verbs
from gateway.reading import build_report, find_incident, find_incidents, since_time
from store.archive import Archive
from store.db import Database, dispose_all

app = typer.Typer(help="warroom: incidents as durable Temporal workflows.", no_args_is_help=True, add_completion=False)
app.add_typer(db, name="db")
app.add_typer(maintenance, name="maintenance")
app.add_typer(route, name="route")
__all__ = ["Failure", "app", "main", "out", "render_incident", "run_cli"]  # `out` and `render_incident` for tests


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the command, then leave without interpreter teardown."""
    code = run_cli(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_cli(argv: list[str] | None = None) -> int:
    try:
        result = app(args=argv, standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Abort:
        err.print("aborted")
        return 130
    except typer.TyperException as exc:  # usage errors: Typer prints usage and the reason
        exc.show()
        return exc.exit_code
    except Failure as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 1


# --- running the system ---------------------------------------------------------------


@app.command()
def up() -> None:
    """Start the embedded Temporal dev server, the worker and the gateway; Ctrl-C stops all."""
    from cli.processes import run_up

    _serve(run_up(Settings(), out))


@app.command()
def worker() -> None:
    """Run a worker against the configured Temporal cluster."""
    from cli.processes import serve

    _serve(serve(Settings(), out, parts=["worker"]))


@app.command()
def gateway() -> None:
    """Run the HTTP gateway (alerts, incidents, Slack commands, status page) against the configured cluster."""
    from cli.processes import serve

    _serve(serve(Settings(), out, parts=["gateway"]))


def _serve(coro: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived part on uvloop: measured here, the gateway then takes
    about a fifth more alerts per second, and the worker spends about a tenth less CPU
    on each (the SDK completes every workflow activation from a thread, through
    the loop's cross-thread wake-up, which uvloop makes cheaper)."""
    from cli.processes import StartupFailed

    try:
        run(coro, loop_factory=uvloop_factory())
    except StartupFailed as exc:
        raise Failure(str(exc)) from None


# --- declaring and reading --------------------------------------------------------------


@app.command()
def declare(
    title: Annotated[str, typer.Argument(help="what is wrong, in a few words")],
    service: Annotated[str, typer.Option(help="affected service")] = "unknown",
    severity: Annotated[str | None, typer.Option(help="SEV1..SEV4; omitted: classified from impact")] = None,
    users: Annotated[float, typer.Option("--users", help="share of users affected, 0..1")] = 0.0,
    data_loss: Annotated[bool, typer.Option("--data-loss")] = False,
    security: Annotated[bool, typer.Option("--security", help="security breach")] = False,
    payments_or_auth_down: Annotated[bool, typer.Option("--payments-or-auth-down")] = False,
    no_workaround: Annotated[bool, typer.Option("--no-workaround")] = False,
    impact: Annotated[str, typer.Option(help="user impact in words")] = "",
    commander: Annotated[str | None, typer.Option(help="incident commander (default: you)")] = None,
    started_at: Annotated[str | None, typer.Option(
        "--started-at", help="when impact began: an ISO 8601 time, or how long ago (45m, 2h); omitted: unknown, no time to detect",
    )] = None,
    by: By = "",
    as_json: AsJson = False,
) -> None:
    """Declare an incident by hand."""
    try:
        began = since_time(started_at, datetime.now(UTC))
    except ValueError:
        raise Failure(f"--started-at must be an ISO 8601 time or a duration ago (45m, 2h), not {started_at!r}") from None
    if began and began > datetime.now(UTC):
        raise Failure(f"--started-at {began:%Y-%m-%d %H:%M} UTC is in the future")
    try:
        inp = m.IncidentInput(
            title=title,
            service=service,
            severity=severity,
            impact=m.Impact(
                user_share=users, data_loss=data_loss, security_breach=security,
                payments_or_auth_down=payments_or_auth_down, workaround=not no_workaround, description=impact,
            ),
            declared_by=user(by),
            commander=commander,
            started_at=began,
        )
    except ValueError as exc:
        raise Failure(m.explain(exc) if hasattr(exc, "errors") else str(exc)) from None
    start(inp, as_json)


@app.command()
def drill(
    title: Annotated[str, typer.Argument(help="the incident to simulate, e.g. 'checkout database failover'")],
    service: Annotated[str, typer.Option(help="the service it simulates an incident of")] = "unknown",
    severity: Annotated[str, typer.Option(help="SEV1..SEV4: the response to practise")] = "SEV2",
    participants: Annotated[str, typer.Option(help="comma-separated handles taking part (default: you)")] = "",
    by: By = "",
    as_json: AsJson = False,
) -> None:
    """Run a drill: a simulated incident through the whole lifecycle, marked DRILL,
    paging and messaging only its participants; no status page, no tracker issue, in no metric."""
    people = [p.strip().lstrip("@") for p in participants.split(",") if p.strip()] or [user(by)]
    try:
        inp = m.IncidentInput(
            title=title, service=service, severity=severity, declared_by=user(by), commander=people[0],
            drill=Drill(participants=people),
        )
    except ValueError as exc:
        raise Failure(m.explain(exc) if hasattr(exc, "errors") else str(exc)) from None
    start(inp, as_json)


def start(inp: m.IncidentInput, as_json: bool) -> None:
    """Start the incident, wait for its first task, and say so."""

    async def go() -> dict[str, Any]:
        client, settings = await connected()
        handle = await start_incident(client, settings, f"inc-{secrets.token_hex(4)}", inp)
        return await declared_state(handle)

    state = run(go())
    if as_json:
        print_json(state)
        return
    out.print(f"[bold]{state['id']}[/bold] {state.get('severity', '')} declared: {inp.title}")
    link = state.get("links", {}).get("Temporal UI")
    if link:
        out.print(f"Temporal UI: {link}")


async def declared_state(handle: Any) -> dict[str, Any]:
    """The state once the workflow has applied its policy (its first task)."""
    for _ in range(100):
        state = await handle.query("state")
        if "severity" in state:
            return state
        await asyncio.sleep(0.05)
    raise Failure(f"{handle.id} was started but no worker has picked it up (is `warroom up` or `warroom worker` running?)")


@app.command("list")
def list_incidents(
    severity: Annotated[str | None, typer.Option(help="SEV1..SEV4")] = None,
    phase: Annotated[str | None, typer.Option(help="triage, stabilize, verify, learn, closed")] = None,
    service: Annotated[str | None, typer.Option()] = None,
    open_only: Annotated[bool | None, typer.Option("--open/--closed", help="only open, or only closed")] = None,
    since: Annotated[str | None, typer.Option(help="started this long ago or later (7d, PT6H) or since an ISO 8601 time")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    url: Url = None,
    as_json: AsJson = False,
) -> None:
    """List incidents, newest first: open ones from Temporal, closed ones from the archive."""
    if url:
        params = {"severity": severity, "phase": phase, "service": service, "open": open_only, "since": since, "limit": limit}
        rows = remote.get(url, "/v1/incidents", params)
    else:

        async def go(client: Any, db: Database) -> list[dict[str, Any]]:
            return await find_incidents(client, db, severity, phase, service, open_only, since_time(since, datetime.now(UTC)), limit)

        rows = with_database(go)
    if as_json:
        print_json(rows)
        return
    render_list(rows)


@app.command()
def show(incident: IncidentId, url: Url = None, as_json: AsJson = False) -> None:
    """Show an incident: roles, deadlines, timeline, alerts, action items."""
    if url:
        state = remote.get(url, f"/v1/incidents/{incident_id(incident)}")
    else:
        state = with_database(lambda client, db: find_incident(client, db, incident))
    if as_json:
        print_json(state)
        return
    render_incident(m.IncidentState.model_validate(state))


def with_database(read: Callable[[Any, Database], Coroutine[Any, Any, Any]]) -> Any:
    """Run a read from Temporal and, where it needs the archive, this machine's database."""

    async def go() -> Any:
        client, settings = await connected()
        try:
            return await read(client, Database(settings.database))
        except SQLAlchemyError as err:  # the archive was needed: say why it cannot be read
            raise Failure(await check_schema(settings.database) or f"cannot read the archive: {err}") from None
        finally:
            await dispose_all()

    try:
        return run(go())
    except ValueError as exc:
        raise Failure(str(exc)) from None


app.command()(status)
add_verbs(app)  # the responder verbs: ack, assign, note, ..., postmortem


@app.command()
def report(
    since: Annotated[str, typer.Option(help="incidents that started this long ago or later (90d, 12w, P90D); 'all' for every one")] = "90d",
    fmt: Annotated[Literal["table", "markdown", "json"], typer.Option("--format")] = "table",
    plot: Annotated[Path | None, typer.Option("--plot", help="also draw trend charts into this PNG")] = None,
    night: Annotated[str, typer.Option(help="night hours for on-call load, START-END, in each person's time zone")] = "22-7",
    recent: Annotated[int | None, typer.Option(
        "--recent", min=1, max=500, help="instead: the last N incident reports with their postmortem links (newcomers: read 20)",
    )] = None,
    url: Url = None,
) -> None:
    """Report across archived incidents: MTTx, MTBF, on-call load, postmortems, action items, alert fatigue."""
    if recent is not None:
        render_recent(recent, fmt, url)
        return
    if url:
        result = reports.Report.model_validate(remote.get(url, "/v1/reports", {"since": since, "night": night}))
    else:
        result = run(local_report(Settings(), since, night))
    render_report(result, fmt)
    if plot:
        from warroom.charts import plot as draw

        draw(result, plot)
        err.print(f"charts written to {plot}")


def render_recent(limit: int, fmt: str, url: str | None) -> None:
    """The last incident reports, from a deployment or this machine's database."""
    if url:
        past = [PastReport.model_validate(r) for r in remote.get(url, "/v1/reports", {"recent": str(limit)})["recent"]]
    else:
        past = run(recent_reports(Settings(), limit))
    if fmt == "json":
        print_json([r.model_dump(mode="json") for r in past])
    else:
        render_tables([recent_table(past)], markdown=fmt == "markdown")


async def recent_reports(settings: Settings, limit: int) -> list[PastReport]:
    try:
        return await Archive(Database(settings.database)).recent_reports(limit)
    except SQLAlchemyError as err:
        raise Failure(await check_schema(settings.database) or f"cannot read the archive: {err}") from None
    finally:
        await dispose_all()


async def local_report(settings: Settings, since: str, night: str) -> reports.Report:
    """The report from this machine's database (no Temporal needed)."""
    try:
        return await build_report(settings, since, night, datetime.now(UTC))
    except ValueError as exc:
        raise Failure(str(exc)) from None
    except SQLAlchemyError as err:  # the schema is checked only when the read failed: a report starts fast
        raise Failure(await check_schema(settings.database) or f"cannot read the archive: {err}") from None
    finally:
        await dispose_all()


if __name__ == "__main__":
    main()
