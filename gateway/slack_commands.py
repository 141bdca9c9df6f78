"""`/incident <verb> ...` in Slack, at `POST /v1/slack/commands`.

Every request is checked with slack_sdk's `SignatureVerifier` (HMAC over the
raw body, timestamps older than five minutes refused); a bad or stale
signature gets 401 and nothing happens. Each verb becomes the workflow update
the CLI sends, so the rules and refusals are the same. Slack wants an answer
within three seconds: updates normally answer in well under one; a slower one
is left to finish and the channel shows its result. Inside an incident channel
the incident is implied; elsewhere the first argument names it.
"""

from __future__ import annotations

import asyncio
import secrets
import shlex
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import ValidationError
from slack_sdk.signature import SignatureVerifier
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from warroom import models as m
from warroom.settings import Settings
from gateway.http import get_client, get_settings
from client.incidents import INCIDENT_WORKFLOW, incident_id, start_incident
from client.search_attributes import CHANNEL

router = APIRouter(tags=["slack"])

SLACK_DEADLINE = 2.5  # seconds of Slack's three
USAGE = """*/incident* commands (in an incident channel the incident is implied):
• `declare <title> [sev=SEV2] [service=checkout]`
• `ack` · `status`
• `assign <commander|ops_lead|comms_lead|scribe> <@user>`
• `note <text>` · `update <investigating|identified|monitoring> <message>`
• `mitigate <rollback|feature_flag|scale_up|load_shed|failover|other> <description> [change=<id>] [checked]`
  (`checked` confirms a rollback's checklist: no irreversible migrations or side effects, known good target)
• `escalate <SEV> <reason>` · `downgrade <SEV> <reason>`
• `resolve <summary>` · `reopen <reason>`
• `action-item <owner> <YYYY-MM-DD> <title>`
Outside an incident channel, put the incident first: `/incident inc-1a2b3c4d ack`."""


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
    user = form.get("user_name") or form.get("user_id") or "slack"
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
    name, payload = VERBS[verb](args)
    return await send(client, target, name, {"by": user, **payload})


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
        client.get_workflow_handle(target).execute_update(name, payload, result_type=m.Receipt)
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


# --- verbs: words -> (update name, payload) -------------------------------------------


def _rest(args: list[str], what: str) -> str:
    if not args:
        raise Refusal(f"{what} is missing.\n{USAGE}")
    return " ".join(args)


def _assign(args: list[str]) -> tuple[str, dict[str, Any]]:
    if len(args) != 2:
        raise Refusal("usage: `assign <commander|ops_lead|comms_lead|scribe> <@user>`")
    return "assign", {"role": args[0], "user": args[1].lstrip("@")}


def _mitigate(args: list[str]) -> tuple[str, dict[str, Any]]:
    if not args:
        raise Refusal("usage: `mitigate <action> <description> [change=<id>] [checked]`")
    action, rest = args[0], args[1:]
    change = next((a.split("=", 1)[1] for a in rest if a.startswith("change=")), None)
    checked = "checked" in rest
    payload: dict[str, Any] = {
        "action": action, "change_id": change,
        "description": " ".join(a for a in rest if a != "checked" and not a.startswith("change=")),
    }
    if action == "rollback":
        payload["checklist"] = dict.fromkeys(m.RollbackChecklist.model_fields, checked)
    return "mitigate", payload


def _severity(name: str):
    def parse(args: list[str]) -> tuple[str, dict[str, Any]]:
        if len(args) < 2:
            raise Refusal(f"usage: `{name} <SEV1..SEV4> <reason>`")
        return name, {"severity": args[0], "reason": " ".join(args[1:])}

    return parse


def _action_item(args: list[str]) -> tuple[str, dict[str, Any]]:
    if len(args) < 3:
        raise Refusal("usage: `action-item <owner> <YYYY-MM-DD> <title>`")
    try:
        due = date.fromisoformat(args[1])
    except ValueError:
        raise Refusal(f"the due date must look like 2026-12-01, not {args[1]!r}") from None
    return "action_item", {"owner": args[0].lstrip("@"), "due": due.isoformat(), "title": " ".join(args[2:])}


def _update(args: list[str]) -> tuple[str, dict[str, Any]]:
    if len(args) < 2:
        raise Refusal("usage: `update <investigating|identified|monitoring> <message>`")
    return "update", {"status": args[0], "message": " ".join(args[1:])}


VERBS = {
    "ack": lambda args: ("acknowledge", {}),
    "status": lambda args: ("state", {}),
    "assign": _assign,
    "note": lambda args: ("note", {"text": _rest(args, "the note")}),
    "update": _update,
    "mitigate": _mitigate,
    "escalate": _severity("escalate"),
    "downgrade": _severity("downgrade"),
    "resolve": lambda args: ("resolve", {"summary": _rest(args, "a summary")}),
    "reopen": lambda args: ("reopen", {"reason": _rest(args, "a reason")}),
    "action-item": _action_item,
}
