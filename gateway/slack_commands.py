"""`/incident <verb> ...` in Slack, at `POST /v1/slack/commands`.

Every request is signed (`gateway.slack_http.signed_form`); a bad or stale
signature gets 401 and nothing happens. Each verb becomes the workflow update
the CLI sends, so the rules and refusals are the same; the verbs, their words
and the help come from the message registry (`warroom.rules.messages`). Slack
wants an answer within three seconds: words are checked and answered at once,
and whatever waits on Temporal (finding the incident, the update, a
declaration) continues after the answer, its outcome posted to the command's
`response_url`. Inside an incident channel the incident is implied; elsewhere
the first argument names it. `/incident declare` alone opens the declare form.
"""

from __future__ import annotations

import logging
import re
import secrets
import shlex
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from warroom import models as m
from warroom.responders import Receipt
from warroom.rules.messages import MESSAGES, PEOPLE, Verb, checklist, choices, word
from warroom.rules.messages import Refused as RuleRefused
from warroom.settings import Settings
from gateway.http import get_client, get_settings
from gateway.late_items import add_action_item_after_closure
from gateway.slack_http import SlackWork, signed_form, slack_work
from gateway import slack_views
from client.incidents import INCIDENT_WORKFLOW, incident_id, start_incident
from client.search_attributes import CHANNEL

router = APIRouter(tags=["slack"])
log = logging.getLogger("warroom.gateway.slack")


ESCAPED_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")  # a mention, with "Escape channels, users, and links" on


class Refusal(Exception):
    """A reply for the person who typed the command (only they see it)."""


@router.post("/v1/slack/commands", summary="Slack slash command /incident", response_model=None)
async def slash_command(
    form: dict[str, str] = Depends(signed_form), settings: Settings = Depends(get_settings),
    client: Client = Depends(get_client), work: SlackWork = Depends(slack_work),
) -> dict[str, Any] | Response:
    try:
        return run(form, settings, client, work)
    except Refusal as refusal:
        return ephemeral(str(refusal))


def ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


def run(form: dict[str, str], settings: Settings, client: Client, work: SlackWork) -> dict[str, Any] | Response:
    """The answer to the command, now; its Temporal work started on `work`."""
    try:
        words = shlex.split(form.get("text", ""))
    except ValueError as err:
        raise Refusal(f"could not read that: {err}") from None
    user = person(form.get("user_id") or "", form.get("user_name") or "", settings)
    reply = form.get("response_url")
    if not words or words[0] in ("help", "?"):
        return ephemeral(USAGE)
    if words == ["declare"]:
        if work.slack is None:
            raise Refusal("the declare form needs WARROOM_SLACK_BOT_TOKEN; meanwhile: `/incident declare <title> [sev=SEV2] [service=...]`")
        work.start(work.call("views.open", trigger_id=form.get("trigger_id", ""), view=slack_views.declare_view(settings.policy)))
        return Response(status_code=200)  # Slack shows nothing; the form opens
    if words[0] == "declare":
        title, inp = declaration(words[1:], user)
        work.start(answered(work, reply, declare(inp, settings, client)))
        return ephemeral(f"declaring {title!r}…")
    if words[0].startswith("inc-") or (len(words) > 1 and words[1] in VERBS and words[0] not in VERBS):
        target: str | None = incident_id(words[0])
        words = words[1:]
    else:
        target = None
    if not words or words[0] not in VERBS:
        raise Refusal(f"unknown command {' '.join(words) or '(none)'!r}.\n{USAGE}")
    verb, args = words[0], words[1:]
    payload = None if verb == "status" else {"by": user, **fields_of(VERBS[verb], args)}
    work.start(answered(work, reply, act(client, settings, target, form.get("channel_id", ""), verb, payload)))
    return ephemeral(f"`{verb}` sent to {target or 'this channel’s incident'}…")


async def after_closure(client: Client, settings: Settings, target: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """An action item for a closed incident goes to its archived record."""
    try:
        receipt = await add_action_item_after_closure(client, settings, target, payload)
    except ValidationError as err:
        raise Refusal(f"action-item: {m.explain(err)}") from None
    except RuleRefused as err:
        raise Refusal(f"{target}: {err}") from None
    return receipt and {"response_type": "in_channel", "text": f"{target} (closed): {receipt.text}"}


def person(user_id: str, name: str, settings: Settings) -> str:
    """Who acts in Slack: the person with that Slack user id in the directory, else their Slack name."""
    handle = settings.policy.people.handle(user_id) if user_id else ""
    return handle if handle and handle != user_id else name or user_id or "slack"


async def answered(work: SlackWork, response_url: str | None, outcome: Any) -> None:
    """Await the Temporal work and post its answer (or why it was refused) to `response_url`."""
    try:
        body = await outcome
    except Refusal as refusal:
        body = ephemeral(str(refusal))
    except RPCError as err:
        body = ephemeral(f"warroom could not reach Temporal: {err.message}")
    except Exception:
        log.exception("Slack command failed after its answer")
        body = ephemeral("warroom failed to carry that out; the gateway log says why")
    await work.respond(response_url, body)


def declaration(args: list[str], user: str) -> tuple[str, m.IncidentInput]:
    options = dict(a.split("=", 1) for a in args if "=" in a and a.split("=", 1)[0] in ("sev", "service"))
    title = " ".join(a for a in args if a.split("=", 1)[0] not in options)
    try:
        return title, m.IncidentInput(
            title=title, service=options.get("service", "unknown"), severity=options.get("sev"),
            declared_by=user, commander=user,
        )
    except ValidationError as err:
        raise Refusal(f"declare: {m.explain(err)}") from None


async def declare(inp: m.IncidentInput, settings: Settings, client: Client) -> dict[str, Any]:
    handle = await start_incident(client, settings, f"inc-{secrets.token_hex(4)}", inp)
    return {
        "response_type": "in_channel",
        "text": f":rotating_light: {inp.declared_by} declared {handle.id}: {inp.title} (<{settings.workflow_url(handle.id)}|Temporal UI>)",
    }


async def act(
    client: Client, settings: Settings, target: str | None, channel_id: str, verb: str, payload: dict[str, Any] | None,
) -> dict[str, Any]:
    target = target or await incident_of_channel(client, channel_id)
    if payload is None:
        return await status(client, target)
    if VERBS[verb] == "action_item" and (late := await after_closure(client, settings, target, payload)):
        return late
    return receipt_reply(await send(client, target, VERBS[verb], payload))


async def incident_of_channel(client: Client, channel_id: str) -> str:
    if channel_id:
        query = f"WorkflowType = '{INCIDENT_WORKFLOW}' AND {CHANNEL.name} = '{channel_id.replace(chr(39), '')}'"
        try:
            async for found in client.list_workflows(query, limit=1):
                return found.id
        except RPCError as err:  # a server without visibility (Temporal's test server)
            if err.status is not RPCStatusCode.UNIMPLEMENTED:
                raise
    raise Refusal("this is not an incident channel: name the incident, e.g. `/incident inc-1a2b3c4d ack`")


async def send(client: Client, target: str, name: str, payload: dict[str, Any], update_id: str | None = None) -> Receipt:
    """The update, to its end; `update_id` makes a repeat of the same request
    (a second click, Slack's retry) get the first one's answer instead of acting again."""
    try:
        return await client.get_workflow_handle(target).execute_update(name, payload, id=update_id, result_type=Receipt)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise Refusal(f"{target}: {cause.message if isinstance(cause, ApplicationError) else cause}") from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Refusal(f"no running incident {target}") from None
        raise


def receipt_reply(receipt: Receipt) -> dict[str, Any]:
    return {"response_type": "in_channel", "text": f"{receipt.incident_id} ({receipt.severity}, {receipt.phase.value}): {receipt.text}"}


async def status(client: Client, target: str) -> dict[str, Any]:
    try:
        state = m.IncidentState.model_validate(await client.get_workflow_handle(target).query("state"))
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Refusal(f"no incident {target}") from None
        raise
    roles = ", ".join(f"{r.value.replace('_', ' ')}: {u}" for r, u in state.roles.items()) or "none assigned"
    lines = [
        f"*{state.id}* {state.severity} · {state.phase.value} · {state.service}: {state.title}",
        f"Roles: {roles}",
        f"Last update: {state.last_update or 'none yet'}",
    ]
    if link := state.links.get("Temporal UI"):
        lines.append(f"<{link}|Temporal UI>")
    return ephemeral("\n".join(lines))


# --- verbs: words -> message, all from the registry -------------------------------------

# verb -> message name; `status` is the query
VERBS = {"status": "state", **{verb.slack: name for name, verb in MESSAGES.items() if verb.slack}}


def fields_of(name: str, args: list[str]) -> dict[str, Any]:
    """Message `name`'s fields from the words after its verb: its `slack_args` in order,
    the last taking the rest of the line (a person: one word, `@` dropped); its other
    fields as `name=value`, a checklist confirmed as a whole by `checked`."""
    message = MESSAGES[name]
    fields = message.fields()
    checklists = {f: items for f, info in fields.items() if (items := checklist(info))}
    named = {word(f): f for f in fields if f not in message.slack_args and f not in checklists}
    found: dict[str, Any] = {}
    words = []
    for arg in args:
        key, equals, value = arg.partition("=")
        if equals and key in named:
            found[named[key]] = value
        elif arg == "checked" and checklists:
            found |= {f: dict.fromkeys(items, True) for f, items in checklists.items()}
        else:
            words.append(arg)
    positional = message.slack_args
    too_many = bool(positional) and positional[-1] in PEOPLE and len(words) > len(positional)
    if too_many or sum(fields[f].is_required() for f in positional) > len(words):
        raise Refusal(f"usage: `{usage(message)}`")
    for i, f in enumerate(positional[: len(words)]):
        found[f] = " ".join(words[i:]) if i == len(positional) - 1 else words[i]
        if f in PEOPLE:
            found[f] = slack_user(found[f])
        elif fields[f].annotation is date:
            try:
                found[f] = date.fromisoformat(found[f]).isoformat()
            except ValueError:
                raise Refusal(f"the {f} date must look like 2026-12-01, not {found[f]!r}") from None
    return found


def slack_user(word: str) -> str:
    """`@alice` -> `alice`; an escaped mention `<@U024BE7LH|alice>` -> its user id (the rules map it to the person)."""
    escaped = ESCAPED_USER.fullmatch(word)
    return escaped.group(1) if escaped else word.lstrip("@")


def usage(message: Verb) -> str:
    """`<verb> <field> ... [name=<field>] [checked]`, from the message's fields."""
    fields = message.fields()
    parts = [message.slack or ""]
    for f in message.slack_args:
        parts.append(placeholder(f, fields[f]) if fields[f].is_required() else f"[{placeholder(f, fields[f])}]")
    for f, info in fields.items():
        if f not in message.slack_args:
            parts.append("[checked]" if checklist(info) else f"[{word(f)}={placeholder(f, info)}]")
    return " ".join(parts)


def placeholder(field: str, info: FieldInfo) -> str:
    if field in PEOPLE:
        return f"<@{field}>"
    if values := choices(info):
        return f"<{'|'.join(values)}>"
    return "<YYYY-MM-DD>" if info.annotation is date else f"<{field}>"


def checked_means(message: Verb) -> list[str]:
    """What `checked` confirms, for a message with a checklist."""
    return [
        f"  (`checked` confirms the {f}: {', '.join(item.replace('_', ' ') for item in checklist(info))})"
        for f, info in message.fields().items() if checklist(info)
    ]


USAGE = "\n".join([
    "*/incident* commands (in an incident channel the incident is implied):",
    "• `declare <title> [sev=SEV2] [service=checkout]` · `status`",
    *(line for verb in MESSAGES.values() if verb.slack for line in [f"• `{usage(verb)}`", *checked_means(verb)]),
    "Outside an incident channel, put the incident first: `/incident inc-1a2b3c4d ack`.",
])
