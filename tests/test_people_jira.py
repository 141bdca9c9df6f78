"""Action items land in the owner's Jira queue (issue 19): the owner's person
from the directory becomes the issue's assignee, found by e-mail through Jira
Cloud's user search; an owner Jira has no account for is said in the timeline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.fakes.jira import FakeJira
from tests.fakes.server import Served
from tests.support import Warroom

TOKEN = "jira-people-token"


@pytest.fixture
def jira():
    fake = FakeJira(user="bot@example.com", token=TOKEN, project="OPS", cloud=True)
    served = Served(fake.app).start()
    fake.url = served.url
    yield fake
    served.stop()


async def test_the_owner_is_the_assignee_and_no_account_is_a_timeline_note(env, tmp_path, jira):
    config = tmp_path / "warroom.toml"
    config.write_text('[people.carol]\nemail = "carol@example.com"\n\n[people.zed]\nemail = "zed@example.com"\n')
    settings = {"config": config, "jira_url": jira.url, "jira_user": "bot@example.com", "jira_token": TOKEN, "jira_project": "OPS"}
    async with Warroom(env, tmp_path / "data", settings=settings) as w:
        handle = await w.declare("Search slow", severity="SEV3")
        due = str(date.today() + timedelta(days=7))
        await w.send(handle, "action_item", title="Index the query", owner="carol@example.com", due=due)
        await w.send(handle, "action_item", title="Load test", owner="zed", due=due)
        state = await w.state(handle, 30)
    first, second = state.action_items
    assert first.owner == "carol", "named by e-mail, recorded by handle"
    assert jira.issues[first.tracker_key]["fields"]["assignee"] == {"accountId": "acc-carol"}
    assert "assignee" not in jira.issues[second.tracker_key]["fields"]
    [note] = [e.text for e in state.timeline if "unassigned" in e.text]
    assert note == f"{second.tracker_key} is unassigned: no Jira account found for zed by e-mail zed@example.com; assign zed by hand"
