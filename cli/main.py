"""The `warroom` command: run the system, declare incidents, act on them.

Every responder verb sends a Temporal update, so a refused action comes back as
one readable line and a non-zero exit. Commands leave through `os._exit` after
flushing: the Temporal SDK can abort during interpreter shutdown (sdk-python
issue 300) after the work is done, which must not turn success into failure.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import secrets
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Column, Table
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.archive import read_archive
from warroom import blameless
from warroom import models as m
from warroom import report as reports
from warroom.durations import parse_duration
from warroom.settings import Settings
from client import incidents
from client.incidents import incident_id, list_query, start_incident
from client.temporal import connect

app = typer.Typer(help="warroom: incidents as durable Temporal workflows.", no_args_is_help=True, add_completion=False)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

By = Annotated[str, typer.Option("--by", envvar="WARROOM_USER", help="who acts (default: your login)")]
IncidentId = Annotated[str, typer.Argument(help="incident id, e.g. inc-1a2b3c4d or just 1a2b3c4d")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


class Failure(Exception):
    """An error for people: printed as one line, exit status 1."""


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


def print_json(data: Any) -> None:
    """Plain JSON for scripts: no colours, no wrapping."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _user(by: str | None) -> str:
    return by or getpass.getuser()


def _uvloop() -> Callable[[], asyncio.AbstractEventLoop]:
    import uvloop

    return uvloop.new_event_loop


def _run(coro: Coroutine[Any, Any, Any], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> Any:
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


async def _client() -> tuple[Client, Settings]:
    settings = Settings()
    return await connect(settings), settings


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
        _run(coro, loop_factory=_uvloop())
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
    by: By = "",
    as_json: AsJson = False,
) -> None:
    """Declare an incident by hand."""
    try:
        inp = m.IncidentInput(
            title=title,
            service=service,
            severity=severity,
            impact=m.Impact(
                user_share=users, data_loss=data_loss, security_breach=security,
                payments_or_auth_down=payments_or_auth_down, workaround=not no_workaround, description=impact,
            ),
            declared_by=_user(by),
            commander=commander,
        )
    except ValueError as exc:
        raise Failure(m.explain(exc) if hasattr(exc, "errors") else str(exc)) from None

    async def go() -> dict[str, Any]:
        client, settings = await _client()
        handle = await start_incident(client, settings, f"inc-{secrets.token_hex(4)}", inp)
        return await declared_state(handle)

    state = _run(go())
    if as_json:
        print_json(state)
        return
    out.print(f"[bold]{state['id']}[/bold] {state.get('severity', '')} declared: {title}")
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
    limit: Annotated[int, typer.Option(help="at most this many")] = 50,
    as_json: AsJson = False,
) -> None:
    """List incidents, newest first."""
    try:
        query = list_query(severity, phase, service, open_only)
    except ValueError as exc:
        raise Failure(str(exc)) from None

    async def go() -> list[dict[str, Any]]:
        client, _ = await _client()
        return await incidents.list_incidents(client, query, limit)

    rows = _run(go())
    if as_json:
        print_json(rows)
        return
    table = Table(Column("id", no_wrap=True), "sev", "phase", "service", "commander", "declared", "title")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["phase"], r["service"], r["commander"], r["declared_at"][:16], r["title"])
    out.print(table)


@app.command()
def show(incident: IncidentId, as_json: AsJson = False) -> None:
    """Show an incident: roles, deadlines, timeline, alerts, action items."""

    async def go() -> dict[str, Any]:
        client, _ = await _client()
        return await client.get_workflow_handle(incident_id(incident)).query("state")

    state = _run(go())
    if as_json:
        print_json(state)
        return
    render_incident(m.IncidentState.model_validate(state))


def render_incident(s: m.IncidentState) -> None:
    out.print(f"[bold]{s.id}[/bold]  {s.severity} · {s.phase.value} · {s.service}")
    out.print(f"[bold]{s.title}[/bold]")
    if s.links.get("Temporal UI"):
        out.print(f"Temporal UI: {s.links['Temporal UI']}")
    if s.channel:
        out.print(f"Channel: #{s.channel.name}")
    if s.bridge:
        out.print(f"Bridge: {s.bridge.url}")
    roles = ", ".join(f"{r.value}: {u}" for r, u in s.roles.items()) or "none assigned"
    out.print(f"Roles: {roles}")
    if s.deadlines:
        table = Table("deadline", "due", "met", title="Deadlines", title_justify="left")
        for d in s.deadlines.values():
            table.add_row(d.summary, f"{d.due:%Y-%m-%d %H:%M}", f"{d.met_at:%Y-%m-%d %H:%M}" if d.met_at else "")
        out.print(table)
    if s.suspects:
        undone = {r.change_id: f"{r.action.value} by {r.by}" for r in s.mitigations if r.change_id}
        table = Table(Column("change", no_wrap=True), "when (UTC)", "kind", "what", "who", "undone", title="Suspects: recent changes, newest first", title_justify="left")
        for c in s.suspects:
            table.add_row(c.id, f"{c.when:%Y-%m-%d %H:%M}", c.kind.value, c.summary, c.who, undone.get(c.id, ""))
        out.print(table)
    if s.alerts:
        table = Table("alert", "status", "count", "first seen", "last seen", title="Alerts", title_justify="left")
        for a in s.alerts.values():
            table.add_row(a.name, a.status, str(a.count), f"{a.first_seen:%H:%M:%S}", f"{a.last_seen:%H:%M:%S}")
        out.print(table)
    if s.action_items:
        table = Table("#", "title", "owner", "due", "tracker", title="Action items", title_justify="left")
        for i in s.action_items:
            table.add_row(str(i.number), i.title, i.owner, str(i.due), i.tracker_key or "")
        out.print(table)
    table = Table("time (UTC)", "who", "what", title="Timeline", title_justify="left")
    for e in s.timeline:
        table.add_row(f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor, e.text)
    out.print(table)


# --- responder actions ------------------------------------------------------------------


def send(incident: str, name: str, payload: dict[str, Any]) -> None:
    """Send one responder message as an update and print the answer."""

    async def go() -> m.Receipt:
        client, _ = await _client()
        handle = client.get_workflow_handle(incident_id(incident))
        return await handle.execute_update(name, payload, result_type=m.Receipt)

    receipt = _run(go())
    out.print(f"{receipt.incident_id} ({receipt.severity}, {receipt.phase.value}): {receipt.text}")


@app.command()
def ack(incident: IncidentId, by: By = "") -> None:
    """Acknowledge: stops paging; the first acknowledger becomes commander if none."""
    send(incident, "acknowledge", {"by": _user(by)})


@app.command()
def assign(
    incident: IncidentId,
    role: Annotated[str, typer.Argument(help="commander, ops_lead, comms_lead or scribe")],
    user: Annotated[str, typer.Argument(help="who takes the role")],
    by: By = "",
) -> None:
    """Assign a role or hand it off."""
    send(incident, "assign", {"by": _user(by), "role": role, "user": user})


@app.command()
def note(incident: IncidentId, text: Annotated[str, typer.Argument()], by: By = "") -> None:
    """Add a note to the timeline."""
    send(incident, "note", {"by": _user(by), "text": text})


@app.command()
def mitigate(
    incident: IncidentId,
    action: Annotated[str, typer.Argument(help="rollback, feature_flag, scale_up, load_shed, failover, other")],
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    no_irreversible_migrations: Annotated[bool, typer.Option("--no-irreversible-migrations")] = False,
    no_irreversible_side_effects: Annotated[bool, typer.Option("--no-irreversible-side-effects")] = False,
    known_good_target: Annotated[bool, typer.Option("--known-good-target")] = False,
    change: Annotated[str | None, typer.Option("--change", help="id of the change a rollback undoes")] = None,
    by: By = "",
) -> None:
    """Record a mitigation; a rollback needs its whole checklist confirmed."""
    payload: dict[str, Any] = {"by": _user(by), "action": action, "description": description, "change_id": change}
    if action == "rollback":
        payload["checklist"] = {
            "no_irreversible_migrations": no_irreversible_migrations,
            "no_irreversible_side_effects": no_irreversible_side_effects,
            "known_good_target": known_good_target,
        }
    send(incident, "mitigate", payload)


@app.command()
def update(
    incident: IncidentId,
    status: Annotated[str, typer.Argument(help="investigating, identified or monitoring")],
    message: Annotated[str, typer.Argument(help="what responders are doing now")],
    by: By = "",
) -> None:
    """Post a status update to the channel and status page; resets the cadence."""
    send(incident, "update", {"by": _user(by), "status": status, "message": message})


@app.command()
def escalate(
    incident: IncidentId,
    severity: Annotated[str, typer.Argument(help="the new, higher severity")],
    reason: Annotated[str, typer.Option("--reason", "-r")],
    by: By = "",
) -> None:
    """Raise the severity; cadence, paging, status page and postmortem follow."""
    send(incident, "escalate", {"by": _user(by), "severity": severity, "reason": reason})


@app.command()
def downgrade(
    incident: IncidentId,
    severity: Annotated[str, typer.Argument(help="the new, lower severity")],
    reason: Annotated[str, typer.Option("--reason", "-r")],
    by: By = "",
) -> None:
    """Lower the severity; the policy is re-applied."""
    send(incident, "downgrade", {"by": _user(by), "severity": severity, "reason": reason})


@app.command()
def resolve(incident: IncidentId, summary: Annotated[str, typer.Option("--summary", "-s")], by: By = "") -> None:
    """Resolve: status page to monitoring, the monitoring window starts."""
    send(incident, "resolve", {"by": _user(by), "summary": summary})


@app.command()
def reopen(incident: IncidentId, reason: Annotated[str, typer.Option("--reason", "-r")], by: By = "") -> None:
    """Reopen during the monitoring window: back to stabilize."""
    send(incident, "reopen", {"by": _user(by), "reason": reason})


@app.command("action-item")
def action_item(
    incident: IncidentId,
    title: Annotated[str, typer.Argument()],
    owner: Annotated[str, typer.Option()],
    due: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    by: By = "",
) -> None:
    """Record a follow-up; it is created in the tracker."""
    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        raise Failure(f"--due must be a date like 2026-12-01, not {due!r}") from None
    send(incident, "action_item", {"by": _user(by), "title": title, "owner": owner, "due": due_date.isoformat()})


@app.command()
def postmortem(
    incident: IncidentId,
    event: Annotated[str, typer.Argument(help="submitted, reviewed, or draft (write a draft from the timeline)")],
    link: Annotated[str | None, typer.Option()] = None,
    file: Annotated[Path | None, typer.Option("--file", help="check this postmortem for blameful wording; its path is the link")] = None,
    by: By = "",
) -> None:
    """Record the postmortem draft as submitted or the review as held, or ask for a draft.

    With --file the text is checked here first: sentences that put the cause on a
    person are printed with an analytical rewording. Warnings only; it is still sent."""
    if event == "draft":
        if file or link:
            raise Failure("a draft is written from the timeline; --file and --link go with `submitted`")
        send(incident, "draft_postmortem", {"by": _user(by)})
        return
    if file:
        try:
            findings = blameless.check(file.read_text())
        except OSError as exc:
            raise Failure(f"cannot read {file}: {exc.strerror}") from None
        for finding in findings:
            err.print(f"[yellow]blameless:[/yellow] {finding}")
        if not findings:
            err.print("blameless: no sentence puts the cause on a person")
        link = link or str(file.resolve())
    send(incident, "postmortem", {"by": _user(by), "event": event, "link": link})


@app.command()
def report(
    since: Annotated[str, typer.Option(help="incidents that started this long ago or later (90d, 12w, P90D); 'all' for every one")] = "90d",
    fmt: Annotated[Literal["table", "markdown", "json"], typer.Option("--format")] = "table",
    plot: Annotated[Path | None, typer.Option("--plot", help="also draw trend charts into this PNG")] = None,
    night: Annotated[str, typer.Option(help="night hours in UTC for on-call load, START-END")] = "22-7",
) -> None:
    """Report across archived incidents: MTTx, MTBF, on-call load, postmortems, action items, alert fatigue."""
    settings = Settings()
    try:
        window = None if since == "all" else parse_duration(since)
        start, end = (int(h) for h in night.split("-"))
    except ValueError as exc:
        raise Failure(str(exc) if "duration" in str(exc) else f"--night must look like 22-7, not {night!r}") from None
    teams = {name: svc.team for name, svc in settings.policy.services.items() if svc.team}
    result = reports.build(read_archive(settings.data_dir), datetime.now(UTC), window, teams, (start, end))
    if fmt == "json":
        out.print_json(result.model_dump_json())
    elif fmt == "markdown":
        out.print(reports.to_markdown(result), markup=False)
    else:
        for title, header, rows in reports.tables(result):
            table = Table(*header, title=title, title_justify="left")
            for row in rows:
                table.add_row(*row)
            out.print(table)
    if plot:
        from warroom.charts import plot as draw

        draw(result, plot)
        err.print(f"charts written to {plot}")


if __name__ == "__main__":
    main()
