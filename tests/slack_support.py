"""Slack in front of a warroom gateway, for tests: requests signed exactly as
Slack signs them, the interaction payloads in Slack's own shapes
(tests/fixtures/slack), and a fake Slack for the Web API and `response_url`."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from gateway.app import create_app
from tests.fakes.slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
FIXTURES = Path(__file__).parent / "fixtures" / "slack"


def signed(form: dict[str, str], secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """Exactly as Slack documents: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    body = urlencode(form).encode()
    timestamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": f"v0={digest}",
    }


# The on-call as a person Slack knows by id: pages to `primary` are direct messages to them.
ON_CALL = """
[people.pat]
slack = "UPAT"

[rotations.primary]
users = ["pat"]
start = 2026-01-05T09:00:00Z
"""
PAGE_DM = "D-UPAT"  # the fake's direct-message channel with pat

def fixture(kind: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{kind}.json").read_text()))


def as_user(payload: dict[str, Any], user: str) -> dict[str, Any]:
    payload["user"] = {**payload["user"], "username": user, "name": user}
    return payload


def click(message: dict[str, Any], channel: str, action: str, user: str = "bob", hooks: str = "") -> dict[str, Any]:
    """A `block_actions` payload: `user` clicked the button `warroom:<action>` of `message`."""
    payload = as_user(fixture("block_actions"), user)
    button = next(e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"] if e["action_id"] == f"warroom:{action}")
    payload["container"] = {**payload["container"], "message_ts": message["ts"], "channel_id": channel}
    payload["channel"] = {"id": channel, "name": channel}
    payload["message"] = {**payload["message"], **copy.deepcopy(message)}
    payload["actions"] = [{**payload["actions"][0], "action_id": button["action_id"], "value": button["value"], "text": button["text"], "block_id": "warroom-actions"}]
    payload["trigger_id"] = f"{time.monotonic_ns()}.trigger"
    payload["response_url"] = f"{hooks}/hooks/actions/T111/{message['ts']}"
    return payload


def submission(view: dict[str, Any], values: dict[str, Any], user: str = "bob") -> dict[str, Any]:
    """A `view_submission` of the modal `view` (as opened), with `values` as
    Slack gives them: `{block_id: {"value": <element state>}}`."""
    payload = as_user(fixture("view_submission"), user)
    payload["view"] = {**payload["view"], **copy.deepcopy(view), "state": {"values": values}}
    return payload


def typed(value: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def picked(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}}


def ticked(*values: str) -> dict[str, Any]:
    return {"value": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]}}


class SlackGateway:
    """The gateway app over ASGI, configured for a (served) fake Slack."""

    def __init__(self, warroom: Any, slack_url: str | None = None):
        warroom.settings.slack_signing_secret = SecretStr(SECRET)
        if slack_url:
            warroom.settings.slack_bot_token = SecretStr(TOKEN)
            warroom.settings.slack_api_url = f"{slack_url}/api/"
        self.app = create_app(warroom.settings, warroom.client)
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://gw")

    async def __aenter__(self) -> SlackGateway:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for task in list(self.app.state.slack.tasks):
            task.cancel()
        await self.http.aclose()

    async def settle(self) -> None:
        """Wait for the work the gateway left running after its answers."""
        await self.app.state.slack.drain()

    async def post(self, path: str, form: dict[str, str], **sign: Any) -> httpx.Response:
        body, headers = signed(form, **sign)
        return await self.http.post(path, content=body, headers=headers)

    async def interact(self, payload: dict[str, Any], **sign: Any) -> httpx.Response:
        return await self.post("/v1/slack/interactions", {"payload": json.dumps(payload)}, **sign)


def served_fake() -> tuple[FakeSlack, Any]:
    from tests.fakes.server import Served

    fake = FakeSlack(token=TOKEN)
    served = Served(fake.app).start()
    fake.url = served.url  # type: ignore[attr-defined]
    return fake, served
