"""What the `warroom` command prints: rich tables for people, plain JSON for scripts."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Column, Table

from warroom import models as m
from warroom import report as reports
from warroom.responders import Receipt

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """Plain JSON for scripts: no colours, no wrapping."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def render_receipt(receipt: Receipt) -> None:
    out.print(f"{receipt.incident_id} ({receipt.severity}, {receipt.phase.value}): {receipt.text}")


def render_list(rows: list[dict[str, Any]]) -> None:
    table = Table(Column("id", no_wrap=True), "sev", "phase", "service", "commander", "declared", "title")
    for r in rows:
        table.add_row(r["id"], r["severity"], r["phase"], r["service"], r["commander"], r["declared_at"][:16], r["title"])
    out.print(table)


def render_incident(s: m.IncidentState) -> None:
    out.print(f"[bold]{s.id}[/bold]  {s.severity} · {s.phase.value} · {s.service}")
    out.print(f"[bold]{s.title}[/bold]")
    if s.drill is not None:
        out.print(f"[bold yellow]DRILL[/bold yellow] for {', '.join(s.drill.participants) or 'its role holders'}")
    for name in ("Temporal UI", "Runbook"):
        if s.links.get(name):
            out.print(f"{name}: {s.links[name]}")
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


def render_report(result: reports.Report, fmt: str) -> None:
    if fmt == "json":
        out.print_json(result.model_dump_json())
    elif fmt == "markdown":
        out.print(reports.to_markdown(result), markup=False)
    else:
        render_tables(reports.tables(result))


def render_tables(tables: list[tuple[str, list[str], list[list[str]]]], markdown: bool = False) -> None:
    """(title, header, rows) tables for the terminal, or as markdown."""
    for title, header, rows in tables:
        if markdown:
            out.print(reports.markdown_table(title, header, rows), markup=False)
            continue
        # Fold rather than cut: a link or an id is no use with an ellipsis in it.
        table = Table(*(Column(h, overflow="fold") for h in header), title=title, title_justify="left")
        for row in rows:
            table.add_row(*row)
        out.print(table)
