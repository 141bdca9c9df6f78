"""The war-room bridge: severities whose policy says `bridge` get the call's link
posted in the channel, bookmarked in its header once (retries included), kept in
the state and shown by `warroom show`; escalating into such a severity opens it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.fakes.server import Served, json_response
from tests.fakes.slack import FakeSlack
from tests.support import Warroom
from warroom import models as m
from warroom.metrics import Metrics
from warroom.policy import Policy, load_policy
from cli import main as cli

CONFIG = """
[bridge]
url = "https://meet.example.com/{incident_id}?sev={severity}"
[bridge.teams]
payments = "https://zoom.example.com/j/4242"

[services.checkout]
team = "payments"
[services.search]
team = "discovery"
"""


@pytest.fixture
async def bridged(env, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG)
    async with Warroom(env, tmp_path / "data", settings={"config": config}) as w:
        yield w


async def bookmarks(w: Warroom, state: m.IncidentState) -> dict[str, str]:
    return (await w.channel(state)).bookmarks


async def bridge_posts(w: Warroom, state: m.IncidentState) -> list[str]:
    return [text for text in await w.messages(state) if "war-room bridge" in text]


async def test_a_sev1_gets_its_teams_bridge_posted_bookmarked_and_in_state(bridged):
    handle = await bridged.declare("Checkout down", severity="SEV1")
    state = await bridged.state(handle)
    assert state.bridge is not None and state.bridge.url == "https://zoom.example.com/j/4242"
    assert await bridge_posts(bridged, state) == [":telephone_receiver: SEV1 war-room bridge: https://zoom.example.com/j/4242"]
    assert (await bookmarks(bridged, state))["War-room bridge"] == "https://zoom.example.com/j/4242"
    assert any(e.kind == "bridge" for e in state.timeline)


async def test_escalating_into_a_bridged_severity_opens_the_bridge_once(bridged):
    handle = await bridged.declare("Search slow", service="search", severity="SEV3")
    state = await bridged.state(handle)
    assert state.bridge is None and await bridge_posts(bridged, state) == []

    await bridged.send(handle, "escalate", severity="SEV2", reason="a quarter of queries time out")
    await bridged.send(handle, "escalate", severity="SEV1", reason="search is down")
    state = await bridged.state(handle)
    expected = f"https://meet.example.com/{handle.id}?sev=SEV2"
    assert state.bridge is not None and state.bridge.url == expected, "the team has no room: the template, at the severity that opened it"
    assert len(await bridge_posts(bridged, state)) == 1
    assert (await bookmarks(bridged, state))["War-room bridge"] == expected


async def test_without_a_bridge_configured_nothing_is_posted(warroom):
    handle = await warroom.declare("Checkout down", severity="SEV1")
    state = await warroom.state(handle)
    assert state.bridge is None and await bridge_posts(warroom, state) == []


async def test_the_slack_bookmark_is_added_once_when_the_first_answer_is_lost(env, tmp_path, monkeypatch):
    slack = FakeSlack(token="xoxb-bridge")
    served = Served(slack.app).start()
    added = []
    original = slack.m_bookmarks_add

    def lose_first_bridge_answer(params):
        answer = original(params)
        if params.get("title") == "War-room bridge":
            added.append(params["link"])
            if len(added) == 1:  # applied, but the answer never arrives: the activity retries
                return json_response({"ok": False, "error": "internal_error"}, 500, {"Retry-After": "1"})
        return answer

    monkeypatch.setattr(slack, "m_bookmarks_add", lose_first_bridge_answer)
    config = tmp_path / "warroom.toml"
    # The page goes to a Slack user id: Slack refuses a bare step name such as `primary`.
    config.write_text(CONFIG + '[people.alice]\nslack = "UALICE"\n[rotations.primary]\nusers = ["alice"]\nstart = "2026-01-05T09:00:00"\n')
    settings = {"config": config, "slack_bot_token": slack.token, "slack_api_url": f"{served.url}/api/"}
    try:
        async with Warroom(env, tmp_path / "data", settings=settings) as w:
            handle = await w.declare("Checkout down", severity="SEV2")
            state = await w.state(handle, timeout=30)
            assert state.channel is not None
            titles = [b["title"] for b in slack.channel(state.channel.name)["bookmarks"]]
            assert titles.count("War-room bridge") == 1 and len(added) == 1
            assert slack.calls.count("bookmarks.list") >= 2, "the retry looked before adding"
            assert not any(e.kind == "integration_error" for e in state.timeline)
    finally:
        served.stop()


def test_warroom_show_lists_suspects_and_the_bridge(capsys, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 160)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    change = m.Change(id="chg-abc123abc123", service="checkout", kind="deploy", summary="v42", who="bob", when=at)
    state = m.IncidentState(
        id="inc-1", title="Checkout down", service="checkout", severity="SEV1", phase="stabilize", impact=m.Impact(),
        source="manual", metrics=Metrics(started_at=at, declared_at=at), suspects=[change],
        mitigations=[m.MitigationRecord(at=at, by="alice", action="rollback", change_id=change.id)],
        bridge=m.Bridge(url="https://zoom.example.com/j/4242", opened_at=at),
    )
    cli.render_incident(state)
    out = capsys.readouterr().out
    assert "Bridge: https://zoom.example.com/j/4242" in out
    assert "chg-abc123abc123" in out and "v42" in out and "rollback by alice" in out


def test_the_example_config_has_a_team_room_and_a_template_and_bad_placeholders_are_refused():
    policy = load_policy(Path(__file__).parent.parent / "deploy" / "warroom.example.toml")
    assert policy.bridge_link("inc-1", "checkout", m.Severity.SEV1) == "https://zoom.us/j/123456789"
    assert policy.bridge_link("inc-1", "search", m.Severity.SEV2) == "https://meet.example.com/inc-1"
    with pytest.raises(ValidationError, match=r"unknown placeholder\(s\) \['id'\]"):
        Policy.model_validate({"bridge": {"url": "https://meet.example.com/{id}"}})
