"""Buttons and modals (issue 23): Slack's own interaction payloads, signed as
Slack signs them, against the gateway app; the worker posts to a fake Slack,
so the buttons clicked are the ones warroom posted."""

from __future__ import annotations

import copy
import time
from datetime import timedelta

import pytest
from pydantic import SecretStr

from warroom import models as m
from warroom.rules.requests import RESPONSE_BUTTONS
from activities.slack_blocks import message_blocks
from gateway.slack_views import resolve_view
from tests.slack_support import ON_CALL, PAGE_DM, TOKEN, SlackGateway, click, fixture, picked, served_fake, submission, ticked, typed
from tests.support import Warroom
from tests.test_alertmanager import until


@pytest.fixture
def slack():
    fake, served = served_fake()
    yield fake
    served.stop()


@pytest.fixture
async def room(env, tmp_path, slack):
    """warroom whose chat is the fake Slack."""
    policy = tmp_path / "warroom.toml"
    policy.write_text(ON_CALL)
    settings = {
        "slack_bot_token": SecretStr(TOKEN), "slack_api_url": f"{slack.url}/api/", "slack_rate_window": "1s", "config": policy,
    }
    async with Warroom(env, tmp_path, settings) as w:
        yield w


def buttons(message: dict) -> list[str]:
    return [e["action_id"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def first_post(slack, state: m.IncidentState) -> dict:
    return copy.deepcopy(next(msg for msg in slack.messages(state.channel.id) if buttons(msg)))  # as it was then


def acts(state: m.IncidentState, kind: str) -> list[m.TimelineEntry]:
    return [e for e in state.timeline if e.kind == kind]


async def test_page_and_first_post_carry_buttons_and_each_click_acts_once(room, slack):
    handle = await room.declare("Checkout errors", severity="SEV2")
    state = await room.state(handle)
    post = first_post(slack, state)
    assert buttons(post) == ["warroom:acknowledge", "warroom:escalate", "warroom:resolve"]
    page = copy.deepcopy(next(msg for msg in slack.messages(PAGE_DM) if buttons(msg)))  # SEV2 pages the on-call
    assert buttons(page) == ["warroom:acknowledge", "warroom:escalate", "warroom:resolve"]
    async with SlackGateway(room, slack.url) as gw:
        answer = await gw.interact(click(post, state.channel.id, "acknowledge", hooks=slack.url))
        assert answer.status_code == 200 and answer.content == b""
        await gw.settle()
        again = await gw.interact(click(post, state.channel.id, "acknowledge", user="carol", hooks=slack.url))  # a stale second click
        await gw.settle()
        assert again.status_code == 200
        state = await room.state(handle)
        assert len(acts(state, "acknowledge")) == 1 and state.roles[m.Role.COMMANDER] == "alice"
        rewritten = first_post(slack, state)
        assert buttons(rewritten) == ["warroom:escalate", "warroom:resolve"] and "edited" in rewritten
        assert any("bob" in e["text"] and "acknowledged" in e["text"] for b in rewritten["blocks"] if b["type"] == "context" for e in b["elements"])

        await gw.interact(click(rewritten, state.channel.id, "escalate", hooks=slack.url))
        await gw.interact(click(page, PAGE_DM, "escalate", user="carol", hooks=slack.url))  # meanwhile, on the page
        await gw.settle()
    state = await room.state(handle)
    assert state.severity is m.Severity.SEV1 and len(acts(state, "severity")) == 1


async def test_post_update_from_the_reminder_and_resolve_open_modals_that_act_once(room, slack, env):
    handle = await room.declare("Checkout errors", severity="SEV2")
    state = await room.state(handle)
    await env.sleep(timedelta(minutes=61))  # the hourly SEV2 update is overdue: the reminder
    state = await room.state(handle)
    reminder = next(msg for msg in slack.messages(state.channel.id) if buttons(msg) == ["warroom:update"])
    async with SlackGateway(room, slack.url) as gw:
        await gw.interact(click(reminder, state.channel.id, "update", hooks=slack.url))
        await gw.settle()
        [form] = [v for v in slack.views.values() if v.get("callback_id") == "warroom:update"]

        incomplete = await gw.interact(submission(form, {"status": picked("identified")}))
        assert incomplete.json() == {"response_action": "errors", "errors": {"message": "Please fill this in."}}
        await gw.settle()
        assert (await room.state(handle)).last_update != "pool exhausted in eu-west-1"

        assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"] == [
            "status", "message", "public", "impact", "help_needed", "eta"]
        filled = {"status": picked("identified"), "message": typed("pool exhausted in eu-west-1")}
        sent = await gw.interact(submission(form, filled))
        assert sent.json()["response_action"] == "update"
        await gw.settle()
        await gw.interact(submission(form, filled))  # submitted twice
        await gw.settle()
        state = await room.state(handle)
        assert state.last_update == "pool exhausted in eu-west-1" and len(acts(state, "update")) == 1
        assert "Done" in slack.views[form["id"]]["title"]["text"]
        assert buttons(next(msg for msg in slack.messages(state.channel.id) if msg["ts"] == reminder["ts"])) == []

        post = first_post(slack, state)
        await gw.interact(click(post, state.channel.id, "resolve", hooks=slack.url))
        await gw.settle()
        [resolving] = [v for v in slack.views.values() if v.get("callback_id") == "warroom:resolve"]
        missing = await gw.interact(submission(resolving, {}))
        assert missing.json()["errors"] == {"summary": "Please fill this in."}
        await gw.interact(submission(resolving, {"summary": typed("rolled back v42")}))
        await gw.settle()
    state = await room.state(handle)
    assert state.phase is m.Phase.VERIFY and state.resolution == "rolled back v42"
    assert buttons(next(msg for msg in slack.messages(state.channel.id) if msg["ts"] == post["ts"])) == [
        "warroom:acknowledge", "warroom:escalate"]


async def test_the_update_form_carries_the_public_side_for_publishers_only(room, slack, env):
    handle = await room.declare("Checkout errors", severity="SEV2")  # declared by alice, its commander
    await room.send(handle, "acknowledge", by="alice")  # a person acknowledged: the SEV2 is public
    await env.sleep(timedelta(minutes=61))
    state = await room.state(handle)
    reminder = copy.deepcopy(next(msg for msg in slack.messages(state.channel.id) if buttons(msg) == ["warroom:update"]))
    public = typed("Some customers cannot pay; we are on it.")
    async with SlackGateway(room, slack.url) as gw:
        for user in ("mallory", "alice"):  # each opens the form from the reminder and fills the public side
            await gw.interact(click(reminder, state.channel.id, "update", user=user, hooks=slack.url))
            await gw.settle()
            form = [v for v in slack.views.values() if v.get("callback_id") == "warroom:update"][-1]
            values = {"status": picked("identified"), "message": typed(f"{user}: pool exhausted"), "public": public}
            await gw.interact(submission(form, values, user=user))
            await gw.settle()
            done = slack.views[form["id"]]["blocks"][0]["text"]["text"]
            public_texts = [u.body for i in (await room.status_page()).values() for u in i.updates]
            if user == "mallory":
                assert "update posted (identified); public part refused: mallory is not a publisher" in done
                assert "Some customers cannot pay; we are on it." not in public_texts
    state = await room.state(handle)
    assert [e.text for e in acts(state, "refused")] == [
        "public part refused: mallory is not a publisher (publishers: comms_lead, commander)"]
    assert state.last_update == "alice: pool exhausted"
    assert done.endswith("update posted (identified); published")

    async def published() -> bool:
        return any("Some customers cannot pay" in u.body for i in (await room.status_page()).values() for u in i.updates)

    await until(published, "alice's public text on the status page")


async def test_declare_modal_previews_severity_and_declares_once(room, slack):
    async with SlackGateway(room, slack.url) as gw:
        opened = await gw.post("/v1/slack/commands", {
            "command": "/incident", "text": "declare", "user_name": "bob", "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "response_url": f"{slack.url}/hooks/commands/1", "channel_id": "C1",
        })
        assert opened.status_code == 200 and opened.content == b""
        await gw.settle()
        [form] = [v for v in slack.views.values() if v.get("callback_id") == "warroom:declare"]
        assert "SEV4" in str(form["blocks"][-1])  # no impact yet: the policy's lowest

        ticking = fixture("block_actions")
        ticking["container"] = {"type": "view", "view_id": form["id"]}
        ticking["view"] = {**form, "state": {"values": {"impact": ticked("data_loss")}}}
        ticking["actions"] = [{"type": "checkboxes", "block_id": "impact", "action_id": "value", "selected_options": []}]
        await gw.interact(ticking)
        await gw.settle()
        assert "*SEV1*" in str(slack.views[form["id"]]["blocks"][-1])

        untitled = await gw.interact(submission(form, {"service": typed("checkout")}))
        assert untitled.json() == {"response_action": "errors", "errors": {"title": "Please fill this in."}}
        values = {"title": typed("Checkout down"), "service": typed("checkout"), "impact": ticked("payments_or_auth_down")}
        await gw.interact(submission(form, values))
        await gw.settle()
        await gw.interact(submission(form, values))  # submitted twice
        await gw.settle()
    said = slack.views[form["id"]]["blocks"][0]["text"]["text"]
    incident = said.split("*")[1]
    room.track(incident)
    state = await room.state(room.client.get_workflow_handle(incident))
    assert (state.title, state.service, state.severity, state.roles[m.Role.COMMANDER]) == (
        "Checkout down", "checkout", m.Severity.SEV1, "bob")


@pytest.mark.parametrize("forge", [{"secret": "not-the-signing-secret"}, {"at": time.time() - 6 * 60}], ids=["bad-signature", "stale"])
async def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(room, slack, forge):
    handle = await room.declare("Checkout errors", severity="SEV3")
    state = await room.state(handle)
    async with SlackGateway(room, slack.url) as gw:
        forged = await gw.interact(click(first_post(slack, state), state.channel.id, "acknowledge", hooks=slack.url), **forge)
        await gw.settle()
    assert forged.status_code == 401
    state = await room.state(handle)
    assert state.metrics.acknowledged_at is None and "edited" not in first_post(slack, state)


async def test_a_closed_modal_and_a_foreign_button_change_nothing(room, slack):
    handle = await room.declare("Checkout errors", severity="SEV3")
    async with SlackGateway(room, slack.url) as gw:
        closed = await gw.interact(fixture("view_closed"))
        foreign = await gw.interact(fixture("block_actions"))  # Slack's sample button: not one of warroom's
        nonsense = await gw.post("/v1/slack/interactions", {"payload": "{not json"})
        misshapen = await gw.interact({"type": "block_actions", "actions": "acknowledge"})
        await gw.settle()
    assert (closed.status_code, closed.content, foreign.status_code) == (200, b"", 200)
    assert nonsense.status_code == 400 and misshapen.status_code == 400 and "malformed" in misshapen.json()["detail"]
    state = await room.state(handle)
    assert state.metrics.acknowledged_at is None and slack.replies == []


async def test_clicks_and_forms_are_answered_before_the_temporal_work(env, tmp_path, slack):
    """Proved by order: the incident's worker is not running when Slack gets
    its answers, so neither the acknowledgement nor the resolution can have
    happened; both land once a worker picks the incident up."""
    idle = Warroom(env, tmp_path / "idle")  # its task queue has no worker until entered
    handle = await idle.declare("Checkout errors", severity="SEV3")
    message = {"type": "message", "ts": "1.000100", "text": "Investigating", "user": "UBOT",
               "blocks": message_blocks("Investigating", handle.id, list(RESPONSE_BUTTONS))}
    async with SlackGateway(idle, slack.url) as gw:
        clicked = await gw.interact(click(message, "C1", "acknowledge", hooks=slack.url))
        assert (clicked.status_code, clicked.content) == (200, b"")
        form = resolve_view(handle.id, {"channel": "C1", "ts": "1.000100"}) | {"id": "V0RESOLVE"}
        slack.views[form["id"]] = form
        submitted = await gw.interact(submission(form, {"summary": typed("rolled back")}))
        assert submitted.json()["response_action"] == "update"
        assert "Done" not in slack.views[form["id"]]["title"]["text"]  # answered; the work cannot have finished
        async with idle:
            await gw.settle()
            state = await idle.state(handle)
    assert state.metrics.acknowledged_at is not None and state.resolution == "rolled back"
    assert slack.views[form["id"]]["title"]["text"] == "Done"
