"""People through Slack (issue 19): incidents on the time-skipping server with
the real Slack adapter against the fake, which refuses a name where Slack wants
a user id. Mentions notify, pages and reminders reach Slack user ids (found by
e-mail once and remembered), whoever is paged is invited, and someone without
a Slack identity is named in the channel and the timeline instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from activities.paging import PagingActivities
from activities.slack import SlackChat
from store.tables import identities
from tests.fakes.server import Served
from tests.fakes.slack import FakeSlack
from tests.support import Warroom
from warroom.models import ChannelRef, Severity
from warroom.policy import load_policy
from warroom.rules.requests import PageRequest

SETTLE = 60.0
CONFIG = """
[people.alice]
email = "alice@example.com"
slack = "UALICE"

[people.carol]
email = "carol@example.com"   # no Slack id: looked up by e-mail, then remembered

[people.dave]                 # neither: no Slack identity at all
timezone = "America/New_York"

[people.erin]
slack = "UERIN"

[rotations.primary]
users = ["dave"]
start = "2026-01-05T09:00:00"

[rotations.secondary]
users = ["carol@example.com"]
start = "2026-01-05T09:00:00"

[services.checkout]
responders = ["alice"]
"""


@pytest.fixture
def slack():
    fake = FakeSlack(token="xoxb-people")
    fake.users["carol@example.com"] = "UCAROL"
    served = Served(fake.app).start()
    fake.url = served.url
    yield fake
    served.stop()


@pytest.fixture
async def warroom(env, tmp_path, slack):
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG)
    settings = {"config": config, "slack_bot_token": slack.token, "slack_api_url": f"{slack.url}/api/"}
    async with Warroom(env, tmp_path / "data", settings=settings) as w:
        yield w


def texts(slack: FakeSlack, channel_id: str) -> list[str]:
    return [m["text"] for m in slack.messages(channel_id)]


async def test_pages_invite_and_mention_people_by_slack_id(warroom, slack):
    w = warroom
    handle = await w.declare("Checkout down", severity="SEV1", declared_by="UALICE")
    state = await w.state(handle, SETTLE)
    assert state.roles["commander"] == "alice", "declared by alice's Slack id"
    channel = slack.channel(state.channel.name)

    # Primary on-call dave has no Slack identity: named in the channel and the timeline.
    about_dave = [t for t in texts(slack, channel["id"]) if "dave" in t]
    assert about_dave and "no Slack identity" in " ".join(about_dave)
    assert [e for e in state.timeline if "dave" in e.text and e.kind in ("unreachable", "integration_error")]
    assert not [c for c in slack.channels if c.startswith("D-") and "dave" in c]

    await w.send(handle, "assign", by="alice@example.com", role="comms_lead", user="UERIN")
    await w.env.sleep(timedelta(minutes=6))  # nobody acknowledged: the secondary is paged
    state = await w.state(handle, SETTLE)
    assert state.roles["comms_lead"] == "erin"
    assert [p.user for p in state.pages if p.step == 1] == ["carol"]
    assert {"UALICE", "UERIN", "UCAROL"} <= set(channel["members"]), "responder, role holder, paged secondary"
    [page] = texts(slack, "D-UCAROL")
    assert "You are paged (secondary, step 2)" in page and f"Channel: https://fake.slack.test/archives/{channel['id']}" in page

    await w.env.sleep(timedelta(minutes=30))  # the SEV1 cadence passed without an update
    await w.state(handle, SETTLE)
    reminders = [t for t in texts(slack, channel["id"]) if t.startswith(":alarm_clock:")]
    assert reminders and reminders[0].startswith(":alarm_clock: <@UERIN>: a status update is due")
    assert all("@here" not in t for t in texts(slack, channel["id"]))


async def test_a_postmortem_reminder_reaches_the_scribe_by_slack_id_looked_up_once(warroom, slack):
    w = warroom
    handle = await w.declare("Payments slow", severity="SEV2", declared_by="alice")
    await w.send(handle, "acknowledge", by="alice")
    await w.send(handle, "assign", by="alice", role="scribe", user="carol")
    await w.send(handle, "resolve", by="alice", summary="scaled up")
    await w.env.sleep(timedelta(minutes=31))
    await w.state(handle, SETTLE)
    await w.env.sleep(timedelta(hours=21))  # the draft reminder, 4 h before it is due
    state = await w.state(handle, SETTLE)
    dms = texts(slack, "D-UCAROL")
    assert any("postmortem draft for" in t and "is due in" in t for t in dms), dms
    assert [e for e in state.timeline if e.kind == "reminder" and "reminded carol" in e.text]
    assert slack.calls.count("users.lookupByEmail") == 1, "carol's id was remembered after the first look-up"
    async with w.database.reading() as session:
        assert (await session.execute(select(identities.c.service, identities.c.account))).all() == [("slack", "UCAROL")]


async def test_slack_refuses_a_name_where_it_wants_a_user_id(slack):
    """The fake answers as Slack does: `conversations.open` and `conversations.invite` take user ids."""
    headers = {"Authorization": f"Bearer {slack.token}"}
    async with httpx.AsyncClient(base_url=f"{slack.url}/api/", headers=headers) as http:
        opened = (await http.post("conversations.open", data={"users": "alice"})).json()
        assert opened == {"ok": False, "error": "user_not_found"}
        created = (await http.post("conversations.create", data={"name": "incident-x"})).json()
        invited = (await http.post("conversations.invite", data={"channel": created["channel"]["id"], "users": "alice"})).json()
        assert invited == {"ok": False, "error": "user_not_found"}
        assert (await http.post("conversations.open", data={"users": "UALICE"})).json()["ok"]


async def test_a_page_for_someone_without_slack_identity_goes_to_the_channel_naming_them(slack, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG)
    chat = SlackChat(slack.token, f"{slack.url}/api/")
    created = await chat._call("conversations_create", name="incident-2026-03-04-checkout-down")
    channel = ChannelRef(id=created["channel"]["id"], name="incident-2026-03-04-checkout-down", url="https://fake.slack.test/x")
    page = PageRequest(
        incident_id="inc-1", service="checkout", severity=Severity.SEV1, title="Checkout down", target="primary", step=0,
        at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC), channel=channel, idempotency_key="inc-1:7",
    )
    result = await PagingActivities(chat, load_policy(config)).page_responder(page)
    assert (result.user, result.via) == ("dave", "channel") and "dave has no Slack identity" in result.unreached
    [posted] = texts(slack, channel.id)
    assert posted.startswith("dave: :rotating_light: You are paged (primary, step 1)")
    assert not [c for c in slack.channels if c.startswith("D-")], "no direct message to a name"
