"""The Slack modals: declare an incident, post a status update, resolve.

Each input block's `block_id` is the name of the message field it fills, so a
submission is read into the same models the CLI and the API send
(`IncidentInput`, `StatusUpdate`, `Resolve`) and a refusal from the model
comes back to the right block (`response_action: errors`). The declare form
asks the impact questions of the triage policy and shows the severity the
policy gives them; the impact inputs dispatch their changes, and the gateway
redraws the preview (`views.update`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from warroom import models as m
from warroom.responders import Resolve, StatusUpdate
from warroom.policy import Policy

DECLARE, UPDATE, RESOLVE = "warroom:declare", "warroom:update", "warroom:resolve"
IMPACT_FLAGS = {  # checkbox value -> (Impact field, value when ticked)
    "data_loss": ("data_loss", True),
    "security_breach": ("security_breach", True),
    "payments_or_auth_down": ("payments_or_auth_down", True),
    "no_workaround": ("workaround", False),
}
IMPACT_QUESTIONS = {
    "data_loss": "Data is lost or corrupted", "security_breach": "Security breach",
    "payments_or_auth_down": "Payments or sign-in are down", "no_workaround": "Users have no workaround",
}
USER_SHARES = {"0": "none that we know of", "0.0001": "a few (under 5%)", "0.05": "5–25%", "0.25": "25–50%", "0.5": "half or more"}
STATUSES = ("investigating", "identified", "monitoring")
SEVERITY_FIELDS = ("user_share", "impact")  # the inputs that move the preview


def text(value: str) -> dict[str, str]:
    return {"type": "plain_text", "text": value}


def option(value: str, label: str) -> dict[str, Any]:
    return {"text": text(label), "value": value}


def field(block_id: str, label: str, element: dict[str, Any], optional: bool = False, dispatch: bool = False) -> dict[str, Any]:
    block = {"type": "input", "block_id": block_id, "label": text(label), "element": {"action_id": "value", **element}, "optional": optional}
    if dispatch:
        block["dispatch_action"] = True
    return block


def modal(callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]], metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": callback_id, "title": text(title), "submit": text(submit), "close": text("Cancel"),
        "blocks": blocks, "private_metadata": json.dumps(metadata or {}), "notify_on_close": True,
    }


def notice(title: str, line: str) -> dict[str, Any]:
    """A modal that only says something: the outcome of a submission."""
    return {"type": "modal", "title": text(title), "close": text("Close"), "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": line}}]}


# --- declare ---------------------------------------------------------------------------


def declare_view(policy: Policy, impact: m.Impact | None = None) -> dict[str, Any]:
    services = sorted(policy.services)
    service = (
        field("service", "Service", {"type": "static_select", "options": [option(s, s) for s in services[:100]]})
        if services else field("service", "Service", {"type": "plain_text_input"})
    )
    return modal(DECLARE, "Declare an incident", "Declare", [
        field("title", "What is happening?", {"type": "plain_text_input", "max_length": 300}),
        service,
        field("user_share", "Share of users affected", {
            "type": "static_select", "options": [option(v, label) for v, label in USER_SHARES.items()],
        }, optional=True, dispatch=True),
        field("impact", "Impact", {
            "type": "checkboxes", "options": [option(v, label) for v, label in IMPACT_QUESTIONS.items()],
        }, optional=True, dispatch=True),
        field("description", "Impact in a sentence", {"type": "plain_text_input", "multiline": True}, optional=True),
        field("severity", "Severity (empty: the policy decides)", {
            "type": "static_select", "options": [option(s.value, s.value) for s in m.Severity],
        }, optional=True),
        preview(policy, impact or m.Impact()),
    ])


def preview(policy: Policy, impact: m.Impact) -> dict[str, Any]:
    severity = policy.classify(impact)
    demands = policy.for_severity(severity)
    pages = "pages the on-call rotation" if demands.page else "no page"
    return {"type": "context", "block_id": "preview", "elements": [
        {"type": "mrkdwn", "text": f"The triage policy makes this *{severity}* ({pages})."},
    ]}


def impact_of(values: dict[str, Any]) -> m.Impact:
    ticked = {o["value"] for o in chosen(values, "impact") or []}
    flags = {name: value for box, (name, value) in IMPACT_FLAGS.items() if box in ticked}
    share = chosen(values, "user_share")
    description = chosen(values, "description") or ""
    return m.Impact(user_share=share if share in USER_SHARES else 0, description=description, **flags)


def declaration(view: dict[str, Any], user: str) -> m.IncidentInput | dict[str, str]:
    """The declaration the form asks for, or the errors per block."""
    values = view.get("state", {}).get("values", {})
    fields = {f: v for f in ("title", "service", "severity") if (v := chosen(values, f))}
    return validated(m.IncidentInput, {**fields, "impact": impact_of(values), "declared_by": user, "commander": user})


# --- update and resolve -----------------------------------------------------------------


def update_view(incident_id: str, origin: dict[str, str]) -> dict[str, Any]:
    return modal(UPDATE, "Post a status update", "Post", [
        field("status", "Status", {"type": "static_select", "options": [option(s, s.title()) for s in STATUSES]}),
        field("message", "Update for the channel", {"type": "plain_text_input", "multiline": True, "max_length": 2000}),
        # The public side (status page), for publishers only; empty keeps the page as it is.
        field("public", "For the status page (publishers only)", {"type": "plain_text_input", "multiline": True, "max_length": 2000}, optional=True),
        field("impact", "Impact, from now on", {"type": "plain_text_input", "max_length": 1000}, optional=True),
        field("help_needed", "Help needed", {"type": "plain_text_input", "max_length": 1000}, optional=True),
        field("eta", "ETA", {"type": "plain_text_input", "max_length": 200}, optional=True),
    ], {"incident": incident_id, **origin})


def resolve_view(incident_id: str, origin: dict[str, str]) -> dict[str, Any]:
    return modal(RESOLVE, "Resolve the incident", "Resolve", [
        field("summary", "What fixed it?", {"type": "plain_text_input", "multiline": True, "max_length": 4000}),
    ], {"incident": incident_id, **origin})


MESSAGE_OF = {UPDATE: ("update", StatusUpdate), RESOLVE: ("resolve", Resolve)}


def message(view: dict[str, Any], user: str) -> tuple[str, BaseModel | dict[str, str]]:
    """The responder message an update or resolve form sends (name, message),
    or (name, errors per block) when a field is missing or wrong."""
    name, model = MESSAGE_OF[view["callback_id"]]
    values = view.get("state", {}).get("values", {})
    fields = {f: v for f in model.model_fields if f != "by" and (v := chosen(values, f)) is not None}
    return name, validated(model, {"by": user, **fields})


# --- reading submissions ------------------------------------------------------------------


def unanswered(view: dict[str, Any]) -> dict[str, str]:
    """The form's required inputs left empty (Slack checks them in its client;
    warroom does not rely on that)."""
    values = view.get("state", {}).get("values", {})
    required = [b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input" and not b.get("optional")]
    return {block: "Please fill this in." for block in required if chosen(values, block) is None}


def chosen(values: dict[str, Any], block_id: str) -> Any:
    """What the user put in block `block_id`: text, the selected option's
    value, or the ticked options; None when empty."""
    element = values.get(block_id, {}).get("value") or {}
    if "selected_options" in element:
        return element["selected_options"] or None
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value")
    return element.get("value") or None


def validated(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """The model, or `{block_id: reason}` for each field it refuses."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        return {str(e["loc"][0]): readable(e) for e in err.errors() if e["loc"]}


def readable(error: Any) -> str:
    return "Please fill this in." if error["type"] == "missing" else str(error["msg"])[:150]


def origin(metadata: str) -> dict[str, str]:
    try:
        found = json.loads(metadata or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
