"""Buttons and modals in Slack, at `POST /v1/slack/interactions` (the app's
interactivity Request URL), signed like the slash commands.

Slack sends `payload=<JSON>` of one of three types:

- `block_actions`: a click on a warroom button (`activities.slack_blocks`).
  Acknowledge and Escalate send their update; Post update and Resolve open
  their modal. In the declare form, an impact answer redraws the severity
  preview.
- `view_submission`: a modal sent. A missing or refused field comes back as
  `response_action: errors` on its block and nothing happens; otherwise the
  modal says it is on it, and says how it ended once Temporal has answered.
- `view_closed`: a modal cancelled; nothing to do.

Every answer is immediate; the Temporal work continues on `SlackWork`. A
click acts once: the workflow update carries an id made of the message and
the button (a second click, or Slack's retry, gets the first answer and acts
not again; Escalate's id is the severity it raises from, so clicks on the page
and in the channel raise it one step), a message that already says the action
was done is not acted on, and a declaration from a modal takes its incident id
from the modal's id.
After an action the message is rewritten (`chat.update`) to say who did what.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from warroom import models as m
from warroom.settings import Settings
from activities.slack_blocks import acted, done, message_of
from client.incidents import start_incident
from gateway import slack_views as views
from gateway.http import get_client, get_settings
from gateway.slack_commands import Refusal, person, receipt_reply, send
from gateway.slack_http import SlackWork, signed_form, slack_work

router = APIRouter(tags=["slack"])
OK = Response(status_code=200)  # the acknowledgement Slack wants; nothing shown
MORE_SEVERE = {m.Severity.SEV4: m.Severity.SEV3, m.Severity.SEV3: m.Severity.SEV2, m.Severity.SEV2: m.Severity.SEV1}
DID = {"acknowledge": ":eyes:", "escalate": ":arrow_double_up:", "update": ":memo:", "resolve": ":white_check_mark:"}


@router.post("/v1/slack/interactions", summary="Slack interactivity: buttons and modals", response_model=None)
async def interaction(
    form: dict[str, str] = Depends(signed_form), settings: Settings = Depends(get_settings),
    client: Client = Depends(get_client), work: SlackWork = Depends(slack_work),
) -> dict[str, Any] | Response:
    try:
        payload = json.loads(form.get("payload", ""))
        kind = payload["type"]
    except (ValueError, KeyError, TypeError):
        raise HTTPException(400, "not a Slack interaction: Slack sends `payload=<JSON>` with a `type`") from None
    if kind not in ("block_actions", "view_submission", "view_closed"):
        raise HTTPException(400, f"warroom does not take {kind!r} interactions")
    try:
        who = payload.get("user") or {}
        user = person(who.get("id") or "", who.get("username") or who.get("name") or "", settings)
        if kind == "block_actions":
            return clicked(payload, user, settings, client, work)
        if kind == "view_submission":
            return submitted(payload, user, settings, client, work)
        return OK  # view_closed: nothing was sent, nothing to undo
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        raise HTTPException(400, f"malformed Slack {kind} payload: {type(err).__name__} {err}") from None


# --- block_actions ------------------------------------------------------------------------


def clicked(payload: dict[str, Any], user: str, settings: Settings, client: Client, work: SlackWork) -> Response:
    view = payload.get("view") or {}
    if view.get("callback_id") == views.DECLARE:  # an impact answer: the preview follows it
        impact = views.impact_of(view.get("state", {}).get("values", {}))
        work.start(work.call("views.update", view_id=view["id"], hash=view.get("hash"), view=views.declare_view(settings.policy, impact)))
        return OK
    action = (payload.get("actions") or [{}])[0]
    name = message_of(action.get("action_id", ""))
    incident = action.get("value", "")
    if name is None or not incident.startswith("inc-"):
        return OK  # not a warroom button
    message = payload.get("message") or {}
    if done(message.get("blocks", []), name):
        return OK  # the message already says it was done
    container = payload.get("container") or {}
    origin = {"channel": container.get("channel_id") or (payload.get("channel") or {}).get("id", ""), "ts": container.get("message_ts", "")}
    if name in ("update", "resolve"):
        form = (views.update_view if name == "update" else views.resolve_view)(incident, origin)
        work.start(work.call("views.open", trigger_id=payload.get("trigger_id", ""), view=form))
        return OK
    work.start(button(client, work, incident, name, user, origin, message, payload.get("response_url")))
    return OK


async def button(
    client: Client, work: SlackWork, incident: str, name: str, user: str, origin: dict[str, str],
    message: dict[str, Any], response_url: str | None,
) -> None:
    """Acknowledge (once per message) or escalate (once per severity, from
    whichever message); then the message says so."""
    try:
        if name == "escalate":
            fields, update_id = await escalation(client, incident, user)
        else:
            fields, update_id = {}, f"slack:{origin['channel']}:{origin['ts']}:{name}"
        receipt = await send(client, incident, name, {"by": user, **fields}, update_id=update_id)
    except (Refusal, RPCError) as err:
        reason = str(err) if isinstance(err, Refusal) else f"warroom could not reach Temporal: {err.message}"
        await work.respond(response_url, {"response_type": "ephemeral", "replace_original": False, "text": reason})
        return
    await rewrite(work, origin, message, name, f"{DID[name]} {receipt.text}")  # the text names who


async def escalation(client: Client, incident: str, user: str) -> tuple[dict[str, Any], str]:
    """One severity up from where the incident is, and the update's id: two
    clicks on Escalate at the same severity raise it once."""
    try:
        state = m.IncidentState.model_validate(await client.get_workflow_handle(incident).query("state"))
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            raise Refusal(f"no running incident {incident}") from None
        raise
    if state.severity not in MORE_SEVERE:
        raise Refusal(f"{incident} is already {state.severity}, the most severe")
    fields = {"severity": MORE_SEVERE[state.severity].value, "reason": f"escalated from Slack by {user}"}
    return fields, f"slack:{incident}:escalate-from-{state.severity}"


async def rewrite(work: SlackWork, origin: dict[str, str], message: dict[str, Any] | None, name: str, note: str) -> None:
    """`chat.update` the message the action came from: its button gone, `note` added."""
    if not (origin.get("channel") and origin.get("ts")):
        return
    if message is None:  # from a modal: read the message as it is now
        found = await work.call("conversations.history", channel=origin["channel"], latest=origin["ts"], inclusive=True, limit=1)
        message = next(iter((found or {}).get("messages", [])), None)
        if message is None or message.get("ts") != origin["ts"]:
            return
    blocks = acted(message.get("blocks", []), name, note)
    await work.call("chat.update", channel=origin["channel"], ts=origin["ts"], text=message.get("text") or note, blocks=blocks)


# --- view_submission ----------------------------------------------------------------------


def submitted(payload: dict[str, Any], user: str, settings: Settings, client: Client, work: SlackWork) -> dict[str, Any] | Response:
    view = payload.get("view") or {}
    callback = view.get("callback_id")
    if empty := views.unanswered(view):
        return refused(view, empty)
    if callback == views.DECLARE:
        result = views.declaration(view, user)
        if not isinstance(result, m.IncidentInput):
            return refused(view, result)
        work.start(declared(settings, client, work, view, result))
        return {"response_action": "update", "view": views.notice("Declaring", f"Declaring *{result.title}*…")}
    if callback in views.MESSAGE_OF:
        name, result = views.message(view, user)
        if isinstance(result, dict):
            return refused(view, result)
        metadata = views.origin(view.get("private_metadata", ""))
        work.start(sent(client, work, view["id"], name, result.model_dump(mode="json"), metadata))
        return {"response_action": "update", "view": views.notice("Sending", f"Sending your {name} to {metadata.get('incident', 'the incident')}…")}
    return OK


def refused(view: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Slack's per-block errors; a reason about a field without its own block goes to the first input."""
    inputs = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input" and b.get("block_id")]
    shown: dict[str, str] = {}
    for block, reason in errors.items():
        target = block if block in inputs else (inputs[0] if inputs else block)
        shown[target] = f"{shown[target]}; {reason}" if target in shown else reason
    return {"response_action": "errors", "errors": shown}


async def declared(settings: Settings, client: Client, work: SlackWork, view: dict[str, Any], inp: m.IncidentInput) -> None:
    """Start the incident; the modal's id names it, so a second submit of the same modal declares nothing new."""
    incident = "inc-" + hashlib.sha256(f"slack-view:{view.get('team_id', '')}:{view['id']}".encode()).hexdigest()[:8]
    try:
        await start_incident(client, settings, incident, inp)
    except WorkflowAlreadyStartedError:
        pass
    link = settings.workflow_url(incident)
    await work.call("views.update", view_id=view["id"], view=views.notice("Declared", f":rotating_light: *{incident}* declared: {inp.title} (<{link}|Temporal UI>)"))


async def sent(client: Client, work: SlackWork, view_id: str, name: str, payload: dict[str, Any], origin: dict[str, str]) -> None:
    """The update or resolution from a modal; the modal, then the message, say how it went."""
    incident = origin.get("incident", "")
    try:
        receipt = await send(client, incident, name, payload, update_id=f"slack-view:{view_id}")
    except (Refusal, RPCError) as err:
        reason = str(err) if isinstance(err, Refusal) else f"warroom could not reach Temporal: {err.message}"
        await work.call("views.update", view_id=view_id, view=views.notice("Not done", reason))
        return
    await work.call("views.update", view_id=view_id, view=views.notice("Done", receipt_reply(receipt)["text"]))
    await rewrite(work, origin, None, name, f"{DID[name]} {payload['by']}: {receipt.text}")
