"""`/incident` slash commands: signed as Slack signs them, sent over the gateway
app, changing the workflow only when the signature is good and fresh."""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest

from warroom import models as m
import httpx

from gateway.app import create_app
from tests.slack_support import SlackGateway, served_fake, signed
from tests.support import Warroom


@pytest.fixture
def slack():
    fake, served = served_fake()
    yield fake
    served.stop()


def command(text: str, channel_id: str = "C0NOTINCIDENT", user: str = "bob", hooks: str = "") -> dict[str, str]:
    return {
        "token": "legacy-unused", "team_id": "T1", "channel_id": channel_id, "channel_name": "general",
        "user_id": "U1", "user_name": user, "command": "/incident", "text": text,
        "response_url": f"{hooks}/hooks/commands/T1/1/abc", "trigger_id": "1.2.3",
    }


class Commands(SlackGateway):
    """`/incident ...` as Slack sends it; the outcome is what reaches the response_url."""

    def __init__(self, warroom, slack):
        super().__init__(warroom, slack.url)
        self.slack = slack

    async def answer(self, text: str, **kw):
        form = command(text, hooks=self.slack.url, **{k: v for k, v in kw.items() if k in ("channel_id", "user")})
        return await self.post("/v1/slack/commands", form, **{k: v for k, v in kw.items() if k in ("secret", "at")})

    async def outcome(self, text: str, **kw) -> dict:
        """The immediate answer must be ephemeral; the outcome follows on the response_url."""
        before = len(self.slack.replies)
        answer = await self.answer(text, **kw)
        assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral", answer.text
        await self.settle()
        replies = self.slack.replies[before:]
        return replies[-1] if replies else answer.json()


async def test_signed_commands_drive_the_incident(warroom, slack):
    async with Commands(warroom, slack) as gw:
        pushed = {"service": "checkout", "kind": "config", "what": "eu-west-1 pool size", "who": "ci"}
        change = (await gw.http.post("/v1/changes", json=pushed)).json()["id"]
        handle = await warroom.declare("Checkout errors", severity="SEV2", service="checkout")
        await warroom.state(handle)  # mobilized: the pushed change is among its first suspects, as the channel shows
        short = handle.id.removeprefix("inc-")
        acked = await gw.outcome(f"{handle.id} ack")
        assert acked["response_type"] == "in_channel" and "bob acknowledged" in acked["text"]
        await gw.outcome(f'{short} assign comms_lead @dave')
        await gw.outcome(f'{short} update identified "bad config in eu-west-1"')
        await gw.outcome(f"{short} mitigate rollback reverting v42 change={change} checked")
        await gw.outcome(f"{short} action-item carol {date.today() + timedelta(days=30)} Add a canary for config pushes")
        await gw.outcome(f"{short} resolve rolled back")
        again = await gw.outcome(f"{short} resolve twice")
        assert again["response_type"] == "ephemeral" and "already resolved" in again["text"]
        shown = await gw.outcome(f"{short} status")
        assert "verify" in shown["text"] and "comms lead: dave" in shown["text"]

    state = await warroom.state(handle)
    assert state.phase is m.Phase.VERIFY and state.metrics.acknowledged_at is not None
    assert any(e.actor == "bob" and e.kind == "acknowledge" for e in state.timeline)
    assert state.last_update == "bad config in eu-west-1" and state.action_items[0].owner == "carol"
    assert any(f"undoes {change}" in e.text for e in state.timeline)


async def test_declare_and_help_and_mistakes_answer_the_typist(warroom, slack):
    async with Commands(warroom, slack) as gw:
        declared = await gw.outcome("declare Search is slow sev=SEV3 service=search")
        assert declared["response_type"] == "in_channel"
        incident_id = declared["text"].split(" declared ")[1].split(":")[0]
        warroom.track(incident_id)
        state = await warroom.state(warroom.client.get_workflow_handle(incident_id))
        assert (state.title, state.severity, state.service, state.roles[m.Role.COMMANDER]) == (
            "Search is slow", m.Severity.SEV3, "search", "bob")

        usage = await gw.outcome("help")
        assert usage["response_type"] == "ephemeral" and "declare <title>" in usage["text"]
        wrong = await gw.outcome(f"{incident_id} dance")
        assert "unknown command" in wrong["text"]
        bad_role = await gw.outcome(f"{incident_id} assign janitor @x")
        assert "role" in bad_role["text"] and bad_role["response_type"] == "ephemeral"
        nowhere = await gw.outcome("ack")
        assert "not an incident channel" in nowhere["text"]
        missing = await gw.outcome("inc-00000000 ack")
        assert "no running incident inc-00000000" in missing["text"]
        untitled = await gw.outcome("declare sev=SEV2")
        assert "title" in untitled["text"] and untitled["response_type"] == "ephemeral"


@pytest.mark.parametrize(
    "forge",
    [
        {"secret": "not-the-signing-secret"},  # badly signed
        {"at": time.time() - 6 * 60},  # stale: replayed after five minutes
    ],
    ids=["bad-signature", "stale"],
)
async def test_bad_or_stale_signatures_get_401_and_change_nothing(warroom, slack, forge):
    handle = await warroom.declare("Checkout errors", severity="SEV2")
    async with Commands(warroom, slack) as gw:
        response = await gw.answer(f"{handle.id} ack", **forge)
        assert response.status_code == 401
        body, headers = signed(command(f"{handle.id} ack"))
        tampered = await gw.http.post("/v1/slack/commands", content=body.replace(b"ack", b"resolve"), headers=headers)
        assert tampered.status_code == 401
        await gw.settle()
    state = await warroom.state(handle)
    assert state.metrics.acknowledged_at is None and state.phase is m.Phase.TRIAGE and slack.replies == []


async def test_without_a_signing_secret_commands_are_refused(warroom):
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        body, headers = signed(command("help"))
        response = await http.post("/v1/slack/commands", content=body, headers=headers)
    assert response.status_code == 403 and "WARROOM_SLACK_SIGNING_SECRET" in response.json()["detail"]


async def test_the_answer_comes_before_the_temporal_work(env, tmp_path, warroom, slack):
    """Proved by order, not by the clock: the incident's worker is not running
    when Slack gets its answer, so the update cannot have finished; the outcome
    reaches the response_url only once a worker picks the incident up."""
    idle = Warroom(env, tmp_path / "idle")  # its task queue has no worker until entered
    handle = await idle.declare("Checkout errors", severity="SEV2")
    async with Commands(warroom, slack) as gw:
        answer = await gw.answer(f"{handle.id} ack")
        assert answer.status_code == 200 and "sent to" in answer.json()["text"]
        assert slack.replies == []  # answered; the Temporal work has not finished, it cannot have
        async with idle:
            await gw.settle()
            state = await idle.state(handle)
    assert len(slack.replies) == 1 and "bob acknowledged" in slack.replies[0]["text"]
    assert state.metrics.acknowledged_at is not None


async def test_inside_an_incident_channel_the_incident_is_implied(live_warroom, slack):
    handle = await live_warroom.declare("Payments failing", severity="SEV2", service="payments")
    state = await live_warroom.state(handle)
    channel = state.channel.id
    async with Commands(live_warroom, slack) as gw:
        for _ in range(100):  # the channel attribute reaches visibility eventually
            outcome = await gw.outcome("ack", channel_id=channel, user="erin")
            if "not an incident channel" not in outcome["text"]:
                break
            await asyncio.sleep(0.1)
    assert outcome["response_type"] == "in_channel", outcome
    assert outcome["text"].startswith(handle.id) and "erin acknowledged" in outcome["text"]
    assert (await live_warroom.state(handle)).metrics.acknowledged_at is not None
