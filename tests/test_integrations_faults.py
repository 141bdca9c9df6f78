"""A SEV1 from declaration to closure on the time-skipping server with the real
Slack, Statuspage and Jira adapters pointed at fakes that fail a third of all
writes (seeded: 429, 500 before applying, 500 after applying). Retries must
leave exactly one of everything."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from tests.fakes.jira import FakeJira
from tests.fakes.server import Faults, Served
from tests.fakes.slack import FakeSlack
from tests.fakes.statuspage import FakeStatuspage
from tests.support import Warroom

FAULT_RATE = 1 / 3
SETTLE = 120.0
# Pages go to Slack user ids: the on-call is someone Slack knows (by e-mail).
ON_CALL = '[rotations.primary]\nusers = ["alice@example.com"]\nstart = "2026-01-05T09:00:00"\n'
  # seconds of real time for an effect's retries (Retry-After is 1 s)


@pytest.fixture
def fakes():
    slack = FakeSlack(token="xoxb-e2e", faults=Faults(FAULT_RATE, seed=4))
    page = FakeStatuspage(api_key="sp-e2e", page_id="page1", faults=Faults(FAULT_RATE, seed=2))
    jira = FakeJira(user="bot@example.com", token="jira-e2e", project="OPS", faults=Faults(FAULT_RATE, seed=3))
    servers = [Served(fake.app).start() for fake in (slack, page, jira)]
    slack.url, page.url, jira.url = (s.url for s in servers)
    yield slack, page, jira
    for server in servers:
        server.stop()


@pytest.fixture
async def real_warroom(env, tmp_path, fakes):
    slack, page, jira = fakes
    config = tmp_path / "warroom.toml"
    config.write_text(
        '[services.checkout]\ncomponents = ["Checkout"]\nresponders = ["alice@example.com", "bob@example.com"]\n'
        + ON_CALL
    )
    settings = {
        "config": config,
        "slack_bot_token": slack.token, "slack_api_url": f"{slack.url}/api/",
        "statuspage_api_key": page.api_key, "statuspage_page_id": page.page_id, "statuspage_api_url": f"{page.url}/v1/",
        "jira_url": jira.url, "jira_user": "bot@example.com", "jira_token": "jira-e2e", "jira_project": "OPS",
    }
    async with Warroom(env, tmp_path / "data", settings=settings) as w:
        yield w


async def test_sev1_under_faults_leaves_one_channel_one_page_incident_and_one_issue_per_item(real_warroom, fakes):
    w, (slack, page, jira) = real_warroom, fakes
    handle = await w.declare("Checkout down 🔥", severity="SEV1", impact={"user_share": 0.8, "description": "checkout fails"})
    state = await w.state(handle, SETTLE)
    await w.send(handle, "acknowledge", by="bob")
    await w.send(handle, "assign", role="ops_lead", user="carol")
    await w.send(handle, "update", status="identified", message="bad deploy of v42")
    await w.send(handle, "resolve", summary="rolled back to v41")
    await w.state(handle, SETTLE)
    await w.env.sleep(timedelta(minutes=31))
    await w.state(handle, SETTLE)
    due = str(date.today() + timedelta(days=14))
    await w.send(handle, "action_item", title="Canary deploys for checkout", owner="carol", due=due)
    await w.send(handle, "action_item", title="Alert on checkout error rate", owner="dave", due=due)
    await w.send(handle, "postmortem", event="submitted", link="https://wiki.example/pm/1")
    await w.send(handle, "postmortem", event="reviewed")
    result = await handle.result()

    assert result["phase"] == "closed"
    assert [e for e in result["timeline"] if e["kind"] == "integration_error"] == []
    for fake in (slack, page, jira):
        assert sum(fake.faults.injected.values()) > 0 and fake.faults.injected["500-after"] > 0

    channels = [c for c in slack.channels.values() if c.get("is_channel")]
    assert [c["name"] for c in channels] == [state.channel.name]
    assert state.channel.name == f"incident-{state.metrics.declared_at:%Y-%m-%d}-checkout-down"
    assert channels[0]["is_archived"] and {"UALICE", "UBOB"} <= set(channels[0]["members"])
    keys = Counter(m["metadata"]["event_payload"]["key"] for c in slack.channels.values() for m in c["messages"])
    assert keys and max(keys.values()) == 1

    [incident] = page.incidents.values()
    statuses = [u["status"] for u in reversed(incident["incident_updates"])]
    assert statuses == ["investigating", "identified", "monitoring", "resolved"]
    assert page.components["cmp-checkout"]["status"] == "operational"

    labels = sorted(tuple(i["fields"]["labels"]) for i in jira.issues.values())
    assert labels == [("warroom", f"incident-{handle.id}", "action-1"), ("warroom", f"incident-{handle.id}", "action-2")]
    assert [a["tracker_key"] for a in result["action_items"]] == sorted(jira.issues)


async def test_rejected_credentials_are_recorded_once_without_the_secrets(env, tmp_path, fakes):
    slack, page, jira = fakes
    for fake in fakes:
        fake.faults.rate = 0.0
    secrets = {"statuspage_api_key": "sp-WRONG-secret", "jira_token": "jira-WRONG-secret"}
    settings = {
        "slack_bot_token": slack.token, "slack_api_url": f"{slack.url}/api/",
        "statuspage_page_id": page.page_id, "statuspage_api_url": f"{page.url}/v1/",
        "jira_url": jira.url, "jira_user": "bot@example.com", "jira_project": "OPS", **secrets,
    }
    config = tmp_path / "warroom.toml"
    config.write_text(ON_CALL)
    async with Warroom(env, tmp_path / "data", settings={**settings, "config": config}) as w:
        handle = await w.declare("Payments failing", severity="SEV2")
        await w.send(handle, "acknowledge", by="bob")  # public from here
        await w.send(handle, "resolve", summary="restarted")
        await w.env.sleep(timedelta(minutes=31))
        await w.send(handle, "action_item", title="Fix retries", owner="carol", due=str(date.today() + timedelta(days=7)))
        state = await w.state(handle, SETTLE)
        errors = [e.text for e in state.timeline if e.kind == "integration_error"]
        assert len(errors) == 4  # investigating, monitoring, resolved, the action item
        assert "Statuspage: unauthorized, check the token (HTTP 401)" in errors[0]
        assert "Jira: unauthorized, check the token (HTTP 401)" in errors[-1]
        posted = [m["text"] for m in slack.messages(state.channel.id)]
        assert any("Status page: investigating failed" in text for text in posted)
        history = (await handle.fetch_history()).to_json()
        leaked = [s for s in (*secrets.values(), "Basic ", "OAuth sp") if s in history]
        assert leaked == []
