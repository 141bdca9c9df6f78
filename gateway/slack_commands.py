"""`/incident <verb> ...` in Slack, at `POST /v1/slack/commands`.

Every request is checked with slack_sdk's `SignatureVerifier` (HMAC over the
raw body, timestamps older than five minutes refused); a bad or stale
signature gets 401 and nothing happens. Each verb becomes the workflow update
the CLI sends, so the rules and refusals are the same; the verbs, their words
and the help come from the message registry (`warroom.rules.messages`). Slack
wants an answer within three seconds: updates normally answer in well under
one; a slower one is left to finish and the channel shows its result. Inside an
incident channel the incident is implied; elsewhere the first argument names it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shlex
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from slack_sdk.signature import SignatureVerifier
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
from client.incidents import INCIDENT_WORKFLOW, incident_id, start_incident
from client.search_attributes import CHANNEL

router = APIRouter(tags=["slack"])

SLACK_DEADLINE = 2.5  # seconds of Slack's three
ESCAPED_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")  # a mention, with "Escape channels, users, and links" on
class Refusal(Exception):
    """A reply for the person who typed the command (only they see it)."""


@router.post("/v1/slack/commands", summary="Slack slash command /incident")
async def slash_command(
    request: Request, settings: Settings = Depends(get_settings), client: Client = Depends(get_client)
) -> dict[str, Any]:
    body = await request.body()
    if settings.slack_signing_secret is None:
        raise HTTPException(403, "Slack commands are off: WARROOM_SLACK_SIGNING_SECRET is not set")
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    if not verifier.is_valid(body, request.headers.get("x-slack-request-timestamp"), request.headers.get("x-slack-signature")):
        raise HTTPException(401, "invalid or stale Slack signature")
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    try:
        return await run(form, settings, client)
    except Refusal as refusal:
        return {"response_type": "ephemeral", "text": str(refusal)}


async def run(form: dict[str, str], settings: Settings, client: Client) -> dict[str, Any]:
    try:
        words = shlex.split(form.get("text", ""))
    except ValueError as err:
        raise Refusal(f"could not read that: {err}") from None
    user = person(form, settings)
    if not words or words[0] in ("help", "?"):
        return {"response_type": "ephemeral", "text": USAGE}
    if words[0] == "declare":
        return await declare(words[1:], user, settings, client)
    if words[0].startswith("inc-") or (len(words) > 1 and words[1] in VERBS and words[0] not in VERBS):
        target, words = incident_id(words[0]), words[1:]
    else:
        target = await incident_of_channel(client, form.get("channel_id", ""))
    if not words or words[0] not in VERBS:
        raise Refusal(f"unknown command {' '.join(words) or '(none)'!r}.\n{USAGE}")
    verb, args = words[0], words[1:]
    if verb == "status":
        return await status(client, target)
    payload = {"by": user, **fields_of(VERBS[verb], args)}
    if VERBS[verb] == "action_item" and (late := await after_closure(client, settings, target, payload)):
        return late
    return await send(client, target, VERBS[verb], payload)


async def after_closure(client: Client, settings: Settings, target: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """An action item for a closed incident goes to its archived record."""
    try:
        receipt = await add_action_item_after_closure(client, settings, target, payload)
    except ValidationError as err:
        raise Refusal(f"action-item: {m.explain(err)}") from None
    except RuleRefused as err:
        raise Refusal(f"{target}: {err}") from None
    return receipt and {"response_type": "in_channel", "text": f"{target} (closed): {receipt.text}"}


def person(form: dict[str, str], settings: Settings) -> str:
    """Who typed the command: the person with that Slack user id in the directory, else their Slack name."""
    user_id = form.get("user_id") or ""
    handle = settings.policy.people.handle(user_id) if user_id else ""
    return handle if handle and handle != user_id else form.get("user_name") or user_id or "slack"


async def declare(args: list[str], user: str, settings: Settings, client: Client) -> dict[str, Any]:
    options = dict(a.split("=", 1) for a in args if "=" in a and a.split("=", 1)[0] in ("sev", "service"))
    title = " ".join(a for a in args if a.split("=", 1)[0] not in options)
    try:
        inp = m.IncidentInput(
            title=title, service=options.get("service", "unknown"), severity=options.get("sev"),
            declared_by=user, commander=user,
        )
    except ValidationError as err:
        raise Refusal(f"declare: {m.explain(err)}") from None
    handle = await start_incident(client, settings, f"inc-{secrets.token_hex(4)}", inp)
    return {
        "response_type": "in_channel",
        "text": f":rotating_light: {user} declared {handle.id}: {title} (<{settings.workflow_url(handle.id)}|Temporal UI>)",
    }


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


async def send(client: Client, target: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    update = asyncio.ensure_future(
        client.get_workflow_handle(target).execute_update(name, payload, result_type=Receipt)
    )
    try:
        receipt = await asyncio.wait_for(asyncio.shield(update), SLACK_DEADLINE)
    except TimeoutError:
        return {"response_type": "ephemeral", "text": f"sent to {target}; the channel will show the result"}
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise Refusal(f"{target}: {cause.message if isinstance(cause, ApplicationError) else cause}") from None
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Refusal(f"no running incident {target}") from None
        raise
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
    return {"response_type": "ephemeral", "text": "\n".join(lines)}


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
