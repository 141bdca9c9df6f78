"""`warroom maintenance start|end|list` and `warroom route check`: the alert
side of the command line, on this machine's database and Temporal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from cli.render import out, print_json
from cli.runtime import AsJson, By, Failure, connected, run, user
from client.maintenance import end_early, hold_open_pages
from client.router import chain_id
from gateway.reading import since_time
from store.alerting import AlertRecords, MaintenanceWindows
from store.db import Database, dispose_all
from warroom.dryrun import DID, NO_RULE, WOULD, DryRun, replay
from warroom.durations import parse_duration
from warroom.maintenance import MaintenanceWindow, describe
from warroom.policy import load_policy
from warroom.settings import Settings

maintenance = typer.Typer(help="Maintenance windows: a service's alerts are recorded but open nothing and page no one.", no_args_is_help=True)
route = typer.Typer(help="Alert routing rules (the routing table of warroom.toml).", no_args_is_help=True)


def _database(work: Any) -> Any:
    async def go() -> Any:
        try:
            return await work(Database(Settings().database))
        finally:
            await dispose_all()

    return run(go())


@maintenance.command("start")
def start(
    service: Annotated[str, typer.Option(help='the service under maintenance, or "*" for all')],
    duration: Annotated[str, typer.Option("--for", help="how long: 2h, 90m, PT2H")],
    reason: Annotated[str, typer.Option(help="why, for the people who see alerts held")],
    silence_open: Annotated[bool, typer.Option("--silence-open", help="also hold pages of the service's open incidents")] = False,
    by: By = None,  # type: ignore[assignment]
    as_json: AsJson = False,
) -> None:
    try:
        length = parse_duration(duration)
    except ValueError as err:
        raise Failure(f"--for: {err}") from None
    now = datetime.now(UTC)
    window = MaintenanceWindow(
        id=f"mw-{uuid.uuid4().hex[:12]}", service=service, starts_at=now, ends_at=now + length, reason=reason,
        created_by=user(by), silence_open=silence_open,
    )

    async def go() -> None:
        client, settings = await connected() if silence_open else (None, Settings())
        try:
            await MaintenanceWindows(Database(settings.database)).add(window)
        finally:
            await dispose_all()
        if client is not None:
            await hold_open_pages(client, window, window.created_by)

    run(go())
    _show([describe(window)], as_json)


@maintenance.command("end")
def end(window_id: Annotated[str, typer.Argument(help="the window's id (mw-...)")], as_json: AsJson = False) -> None:
    """End a window now: what it held and is still firing opens its incidents."""

    async def go() -> MaintenanceWindow:
        client, settings = await connected()
        try:
            window = await MaintenanceWindows(Database(settings.database)).end(window_id, datetime.now(UTC))
        finally:
            await dispose_all()
        if window is None:
            raise Failure(f"no maintenance window {window_id!r}")
        await end_early(client, window)
        if window.silence_open:
            await hold_open_pages(client, window, window.created_by)
        return window

    _show([describe(run(go()))], as_json)


@maintenance.command("list")
def list_windows(as_json: AsJson = False) -> None:
    """Windows running or to come: started ones, and those scheduled in warroom.toml."""
    settings = Settings()
    now = datetime.now(UTC)
    started = _database(lambda db: MaintenanceWindows(db).current(now))
    scheduled = [w.window() for w in settings.policy.maintenance]
    _show([describe(w) for w in started + [w for w in scheduled if w.until > now]], as_json)


def _show(windows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        return print_json(windows)
    table = Table(Column("id", no_wrap=True), "service", "from", "until", "by", "reason")
    for w in windows:
        table.add_row(w["id"], w["service"], w["starts_at"][:16], w["until"][:16], w["created_by"], w["reason"])
    out.print(table)


@route.command("check")
def check(
    since: Annotated[str, typer.Option(help="replay the alerts received this long ago or later (7d, PT6H) or since a time")] = "7d",
    config: Annotated[Path | None, typer.Option(help="the warroom.toml to try (default: the one in use)")] = None,
    as_json: AsJson = False,
) -> None:
    """Replay received alerts through a routing config: per rule, what would
    have opened, merged or been dropped, against what warroom did."""
    settings = Settings()
    try:
        start = since_time(since, datetime.now(UTC)) or datetime.min.replace(tzinfo=UTC)
        routing = (load_policy(config) if config else settings.policy).routing
    except (ValueError, OSError) as err:
        raise Failure(str(err)) from None
    received = _database(lambda db: AlertRecords(db).since(start))
    result = replay(routing, ((r.received_at, r.alert, r.outcome, r.rule) for r in received))
    if as_json:
        return print_json(as_dict(result))
    render_dry_run(result)


def as_dict(result: DryRun) -> dict[str, Any]:
    return {"alerts": result.alerts, "rules": {
        rule: {"would": {k: o.would[k] for k in WOULD}, "did": {k: o.did[k] for k in DID},
               "would_open": sorted(chain_id(*key) for key in o.would_open)}
        for rule, o in result.rules.items()
    }}


def render_dry_run(result: DryRun) -> None:
    table = Table("rule", *(f"would {w}" for w in WOULD), *(f"did {d}" for d in DID))
    for rule, o in sorted(result.rules.items(), key=lambda item: item[0] == NO_RULE):
        table.add_row(rule, *(str(o.would[w]) for w in WOULD), *(str(o.did[d]) for d in DID))
    out.print(f"{result.alerts} alerts replayed")
    out.print(table)
