"""Block Kit for warroom's Slack messages: the text, then a button per
responder message the post offers (Acknowledge, Escalate, Resolve on a page
and the first channel post; "Post update" on the update reminder).

A button's `action_id` is `warroom:<message name>` and its `value` the
incident id, so the gateway (`gateway.slack_interactions`) knows what a click
asks without looking anything up. After a click the gateway rewrites the
message with `acted`: the clicked button gone, a line saying who did what.
"""

from __future__ import annotations

from typing import Any

ACTION_PREFIX = "warroom:"
LABELS = {"acknowledge": "Acknowledge", "escalate": "Escalate", "resolve": "Resolve", "update": "Post update"}
STYLES = {"acknowledge": "primary", "resolve": "primary", "escalate": "danger"}
ACTIONS_BLOCK = "warroom-actions"
DONE_BLOCK = "warroom-done-"  # + message name: one line per action, replaced rather than repeated


def message_blocks(text: str, incident_id: str, buttons: list[str]) -> list[dict[str, Any]]:
    """The post as Block Kit: its text in a section, its buttons below; none
    for a post without buttons (Slack shows its text as it is)."""
    if not buttons:
        return []
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [button(name, incident_id) for name in buttons]},
    ]


def button(name: str, incident_id: str) -> dict[str, Any]:
    element = {
        "type": "button", "action_id": ACTION_PREFIX + name, "value": incident_id,
        "text": {"type": "plain_text", "text": LABELS[name]},
    }
    if style := STYLES.get(name):
        element["style"] = style
    return element


def message_of(action_id: str) -> str | None:
    """The responder message a button asks for; None for an element not warroom's."""
    name = action_id.removeprefix(ACTION_PREFIX)
    return name if action_id.startswith(ACTION_PREFIX) and name in LABELS else None


def acted(blocks: list[dict[str, Any]], name: str, note: str) -> list[dict[str, Any]]:
    """`blocks` after message `name` was acted on: its button removed (an empty
    actions block dropped) and `note` as the line for that action, replacing an
    earlier one, so rewriting twice gives the same message."""
    out = []
    for block in blocks:
        if block.get("block_id") == DONE_BLOCK + name:
            continue
        if block.get("type") == "actions" and block.get("block_id") == ACTIONS_BLOCK:
            elements = [e for e in block.get("elements", []) if e.get("action_id") != ACTION_PREFIX + name]
            if not elements:
                continue
            block = {**block, "elements": elements}
        out.append(block)
    out.append({"type": "context", "block_id": DONE_BLOCK + name, "elements": [{"type": "mrkdwn", "text": note[:3000]}]})
    return out


def done(blocks: list[dict[str, Any]], name: str) -> bool:
    """Whether the message already says `name` was acted on."""
    return any(block.get("block_id") == DONE_BLOCK + name for block in blocks)
