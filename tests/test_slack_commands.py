"""`/incident` slash commands: signed as Slack signs them, sent over the gateway
app, changing the workflow only when the signature is good and fresh."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import date, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import SecretStr

from warroom import models as m
from gateway.app import create_app

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


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


def command(text: str, channel_id: str = "C0NOTINCIDENT", user: str = "bob") -> dict[str, str]:
    return {
        "token": "legacy-unused", "team_id": "T1", "channel_id": channel_id, "channel_name": "general",
        "user_id": "U1", "user_name": user, "command": "/incident", "text": text,
        "response_url": "https://hooks.slack.com/commands/T1/1/abc", "trigger_id": "1.2.3",
    }


def gateway_for(warroom) -> httpx.AsyncClient:
    warroom.settings.slack_signing_secret = SecretStr(SECRET)
    app = create_app(warroom.settings, warroom.client)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def slash(http: httpx.AsyncClient, text: str, **kw) -> httpx.Response:
    body, headers = signed(command(text, **{k: v for k, v in kw.items() if k in ("channel_id", "user")}),
                           **{k: v for k, v in kw.items() if k in ("secret", "at")})
    return await http.post("/v1/slack/commands", content=body, headers=headers)


async def test_signed_commands_drive_the_incident(warroom):
    async with gateway_for(warroom) as http:
        pushed = {"service": "checkout", "kind": "config", "what": "eu-west-1 pool size", "who": "ci"}
        change = (await http.post("/v1/changes", json=pushed)).json()["id"]
        handle = await warroom.declare("Checkout errors", severity="SEV2", service="checkout")
        await warroom.state(handle)  # mobilized: the pushed change is among its first suspects, as the channel shows
        short = handle.id.removeprefix("inc-")
        response = await slash(http, f"{handle.id} ack")
        assert response.status_code == 200
        assert response.json()["response_type"] == "in_channel" and "bob acknowledged" in response.json()["text"]
        await slash(http, f'{short} assign comms_lead @dave')
        await slash(http, f'{short} update identified "bad config in eu-west-1"')
        await slash(http, f"{short} mitigate rollback reverting v42 change={change} checked")
        await slash(http, f"{short} action-item carol {date.today() + timedelta(days=30)} Add a canary for config pushes")
        await slash(http, f"{short} resolve rolled back")
        again = await slash(http, f"{short} resolve twice")
        assert again.json()["response_type"] == "ephemeral" and "already resolved" in again.json()["text"]
        shown = await slash(http, f"{short} status")
        assert "verify" in shown.json()["text"] and "comms lead: dave" in shown.json()["text"]

    state = await warroom.state(handle)
    assert state.phase is m.Phase.VERIFY and state.metrics.acknowledged_at is not None
    assert any(e.actor == "bob" and e.kind == "acknowledge" for e in state.timeline)
    assert state.last_update == "bad config in eu-west-1" and state.action_items[0].owner == "carol"
    assert any(f"undoes {change}" in e.text for e in state.timeline)


async def test_declare_and_help_and_mistakes_answer_the_typist(warroom):
    async with gateway_for(warroom) as http:
        declared = await slash(http, "declare Search is slow sev=SEV3 service=search")
        assert declared.json()["response_type"] == "in_channel"
        incident_id = declared.json()["text"].split(" declared ")[1].split(":")[0]
        warroom.track(incident_id)
        state = await warroom.state(warroom.client.get_workflow_handle(incident_id))
        assert (state.title, state.severity, state.service, state.roles[m.Role.COMMANDER]) == (
            "Search is slow", m.Severity.SEV3, "search", "bob")

        usage = await slash(http, "help")
        assert usage.json()["response_type"] == "ephemeral" and "declare <title>" in usage.json()["text"]
        wrong = await slash(http, f"{incident_id} dance")
        assert "unknown command" in wrong.json()["text"]
        bad_role = await slash(http, f"{incident_id} assign janitor @x")
        assert "role" in bad_role.json()["text"] and bad_role.json()["response_type"] == "ephemeral"
        nowhere = await slash(http, "ack")
        assert "not an incident channel" in nowhere.json()["text"]
        missing = await slash(http, "inc-00000000 ack")
        assert "no running incident inc-00000000" in missing.json()["text"]


@pytest.mark.parametrize(
    "forge",
    [
        {"secret": "not-the-signing-secret"},  # badly signed
        {"at": time.time() - 6 * 60},  # stale: replayed after five minutes
    ],
    ids=["bad-signature", "stale"],
)
async def test_bad_or_stale_signatures_get_401_and_change_nothing(warroom, forge):
    handle = await warroom.declare("Checkout errors", severity="SEV2")
    async with gateway_for(warroom) as http:
        response = await slash(http, f"{handle.id} ack", **forge)
        assert response.status_code == 401
        body, headers = signed(command(f"{handle.id} ack"))
        tampered = await http.post("/v1/slack/commands", content=body.replace(b"ack", b"resolve"), headers=headers)
        assert tampered.status_code == 401
    state = await warroom.state(handle)
    assert state.metrics.acknowledged_at is None and state.phase is m.Phase.TRIAGE


async def test_without_a_signing_secret_commands_are_refused(warroom):
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        body, headers = signed(command("help"))
        response = await http.post("/v1/slack/commands", content=body, headers=headers)
    assert response.status_code == 403 and "WARROOM_SLACK_SIGNING_SECRET" in response.json()["detail"]


async def test_inside_an_incident_channel_the_incident_is_implied(live_warroom):
    handle = await live_warroom.declare("Payments failing", severity="SEV2", service="payments")
    state = await live_warroom.state(handle)
    channel = state.channel.id
    async with gateway_for(live_warroom) as http:
        for _ in range(100):  # the channel attribute reaches visibility eventually
            response = await slash(http, "ack", channel_id=channel, user="erin")
            if "not an incident channel" not in response.json()["text"]:
                break
            await asyncio.sleep(0.1)
    assert response.json()["response_type"] == "in_channel", response.json()
    assert response.json()["text"].startswith(handle.id) and "erin acknowledged" in response.json()["text"]
    assert (await live_warroom.state(handle)).metrics.acknowledged_at is not None
