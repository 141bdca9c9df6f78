"""The responder verbs of `warroom`, one command per message of the registry
(`warroom.rules.messages.MESSAGES`) that has a `cli` name.

A command is built from the message's model: `INCIDENT`, then the fields the
entry lists in `cli_args` as arguments, the other fields as options (`--field`,
a checklist as one flag per item), then `--by`. It sends the message as an
update and prints the answer, so a refused action comes back as one readable
line and a non-zero exit. Only `postmortem` is written out: one command sends
two messages and can check a postmortem file first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from warroom import blameless
from warroom import models as m
from warroom.responders import Receipt
from warroom.rules.messages import MESSAGES, Refused, Verb, checklist, choices, word
from gateway.late_items import add_action_item_after_closure
from client.incidents import incident_id
from cli.render import err, render_receipt
from cli.runtime import By, Failure, IncidentId, connected, run, user

# Help beside an argument or option where the field's choices, type or description do not say enough,
# by field or by "command field".
HELP = {
    "user": "who takes the role",
    "message": "what responders are doing now",
    "escalate severity": "the new, higher severity",
    "downgrade severity": "the new, lower severity",
}
SHORT = {"description": "-d", "reason": "-r", "summary": "-s"}  # one-letter options
WRITTEN_OUT = {"postmortem", "draft_postmortem"}  # messages sent by the `postmortem` command below
KEYWORD = inspect.Parameter.KEYWORD_ONLY  # typer passes every parameter by name


def send(incident: str, name: str, payload: dict[str, Any]) -> None:
    """Send one responder message as an update and print the answer."""

    async def go() -> Receipt:
        client, settings = await connected()
        target = incident_id(incident)
        if name == "action_item":  # a closed incident's items go to its archived record
            try:
                if late := await add_action_item_after_closure(client, settings, target, payload):
                    return late
            except ValidationError as exc:
                raise Failure(f"action_item: {m.explain(exc)}") from None
            except Refused as exc:
                raise Failure(str(exc)) from None
        handle = client.get_workflow_handle(target)
        return await handle.execute_update(name, payload, result_type=Receipt)

    render_receipt(run(go()))


def add_verbs(app: typer.Typer) -> None:
    """Add a command for every message with a `cli` name, in the registry's order."""
    for name, verb in MESSAGES.items():
        if name == "postmortem":  # in the registry's place
            app.command()(postmortem)
        elif verb.cli and name not in WRITTEN_OUT:
            app.command(verb.cli, help=verb.help)(command(name, verb))


def command(name: str, verb: Verb) -> Callable[..., None]:
    """The typer command that sends message `name`: its parameters come from the model's fields."""
    fields = verb.fields()
    arguments = [p for f in verb.cli_args for p in parameters(verb, f, fields[f], argument=True)]
    options = [p for f, info in fields.items() if f not in verb.cli_args for p in parameters(verb, f, info)]

    def act(incident: str, by: str, **given: Any) -> None:
        send(incident, name, {"by": user(by), **payload(verb, given)})

    act.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter("incident", KEYWORD, annotation=IncidentId),
        *arguments, *options,
        inspect.Parameter("by", KEYWORD, annotation=By, default=""),
    ])
    return act


def parameters(verb: Verb, field: str, info: FieldInfo, argument: bool = False) -> list[inspect.Parameter]:
    """The argument or option that takes one field; for a checklist, a flag per item."""
    if items := checklist(info):
        flags = {item: Annotated[bool, typer.Option(f"--{word(item)}")] for item in items}
        return [inspect.Parameter(item, KEYWORD, annotation=flag, default=False) for item, flag in flags.items()]
    default = inspect.Parameter.empty if info.is_required() else info.default
    text = HELP.get(f"{verb.cli} {field}") or HELP.get(field) or help_for(info)
    kind = str | None if default is None else str
    if argument:
        declared: Any = typer.Argument(help=text)
    else:
        declared = typer.Option(f"--{word(field)}", *([SHORT[field]] if field in SHORT else []), help=text)
    return [inspect.Parameter(field, KEYWORD, annotation=Annotated[kind, declared], default=default)]


def help_for(info: FieldInfo) -> str | None:
    if values := choices(info):
        return f"{', '.join(values[:-1])} or {values[-1]}"
    return "YYYY-MM-DD" if info.annotation is date else info.description


def payload(verb: Verb, given: dict[str, Any]) -> dict[str, Any]:
    """The message's fields from the command line; the workflow validates them."""
    fields: dict[str, Any] = {}
    for field, info in verb.fields().items():
        if items := checklist(info):
            if any(given[item] for item in items):  # none confirmed: no checklist, and a rollback is refused
                fields[field] = {item: given[item] for item in items}
        elif info.annotation is date and given[field] is not None:
            name = field.upper() if field in verb.cli_args else f"--{word(field)}"
            try:
                fields[field] = date.fromisoformat(given[field]).isoformat()
            except ValueError:
                raise Failure(f"{name} must be a date like 2026-12-01, not {given[field]!r}") from None
        else:
            fields[field] = given[field]
    return fields


def postmortem(
    incident: IncidentId,
    event: Annotated[str, typer.Argument(help="submitted, reviewed, waived, or draft (write a draft from the timeline)")],
    link: Annotated[str | None, typer.Option()] = None,
    no_action: Annotated[str | None, typer.Option("--no-action", help="reviewed without action items: why none is needed")] = None,
    reason: Annotated[str | None, typer.Option("--reason", "-r", help="waived: why this downgraded incident needs no postmortem")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="check this postmortem for blameful wording; its path is the link")] = None,
    by: By = "",
) -> None:
    """Record the postmortem draft as submitted or the review as held (with its action
    items, or --no-action REASON), waive a downgraded incident's postmortem
    (commander, --reason), or ask for a draft.

    With --file the text is checked here first: sentences that put the cause on a
    person are printed with an analytical rewording. Warnings only; it is still sent."""
    if event == "draft":
        if file or link:
            raise Failure("a draft is written from the timeline; --file and --link go with `submitted`")
        send(incident, "draft_postmortem", {"by": user(by)})
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
    send(incident, "postmortem", {"by": user(by), "event": event, "link": link, "no_action": no_action, "reason": reason})
