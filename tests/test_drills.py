"""A drill on the time-skipping server: the whole lifecycle, through the gateway's
`drill: true`, marked DRILL, reaching only its participants and no public page,
filing no issue, and leaving every figure of the report unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from store.archive import Archive
from store.tracker import Tracker
from warroom import report
from workflows.followup import FollowUpWorkflow
from tests.test_cli import cli  # noqa: F401 (the fixture)
from tests.test_gateway import gateway, incident  # noqa: F401 (the fixture)


async def test_a_drill_runs_the_whole_lifecycle_and_reaches_no_one_outside_it(gateway, warroom):  # noqa: F811
    refused = await gateway.post("/v1/incidents", json={"title": "x", "participants": ["dana"]})
    assert refused.status_code == 422 and "drill" in refused.text
    body = {"title": "Checkout database failover", "service": "checkout", "severity": "SEV1", "commander": "dana",
            "drill": True, "participants": ["dana", "eli"]}
    answer = await gateway.post("/v1/incidents", json=body)
    assert answer.status_code == 201, answer.text
    state = await incident(warroom, answer.json()["id"])
    handle = warroom.client.get_workflow_handle(state.id)
    assert state.title == "DRILL: Checkout database failover" and "drill" in state.channel.name

    await warroom.env.sleep(timedelta(minutes=6))  # unacknowledged: the escalation pages its next step too
    await warroom.send(handle, "acknowledge", by="eli")
    await warroom.send(handle, "update", status="identified", message="primary database lost")
    await warroom.send(handle, "resolve", summary="failed over to the replica", by="dana")
    await warroom.env.sleep(timedelta(minutes=31))
    due = str((datetime.now(UTC) + timedelta(days=7)).date())
    await warroom.send(handle, "action_item", title="Automate the failover", owner="eli", due=due, by="dana")
    await warroom.send(handle, "postmortem", event="submitted", by="dana")
    await warroom.send(handle, "postmortem", event="reviewed", by="dana")
    result = await handle.result()
    assert result["phase"] == "closed" and result["drill"] == {"participants": ["dana", "eli"]}

    channel = await warroom.channel_log(state.channel.name)
    posts = [message.text for message in channel if message.kind not in ("opened", "archived")]  # the log's own lines
    assert posts and all(text.startswith("DRILL") for text in posts), posts
    pages = [p for p in result["pages"]]
    assert len(pages) >= 2 and {p["user"] for p in pages} <= {"dana", "eli"}
    for person in ("dana", "eli"):
        assert all(text.startswith("DRILL") for text in await warroom.direct_messages(person))
    assert not await warroom.direct_messages("primary") and not await warroom.direct_messages("secondary"), "no real on-call"
    assert (await warroom.channel(state)).members == ["dana", "eli"]
    assert state.id not in await warroom.status_page(), "nothing published"
    assert await Tracker(warroom.database).issue(1) is None, "no tracker issue"
    assert all(e["text"].startswith("DRILL") for e in result["timeline"])

    with warroom.env.auto_time_skipping_disabled():  # the follow-up files untracked items, but no drill's
        summary = await warroom.client.execute_workflow(FollowUpWorkflow.run, id=f"followup-{state.id}", task_queue=warroom.settings.task_queue)
    assert await Tracker(warroom.database).issue(1) is None, "no tracker issue after the follow-up either"
    assert summary.items == 0, "a drill's items are in no close rate"

    archived = await Archive(warroom.database).facts()
    until = datetime.now(UTC) + timedelta(days=1)
    drill_report, empty = report.build(archived, until), report.build([], until)
    assert drill_report.model_dump(exclude={"drills"}) == empty.model_dump(exclude={"drills"}), "in no figure"
    assert [d.incident for d in drill_report.drills] == [state.id]


async def test_warroom_drill_starts_a_drill_for_its_participants(cli, warroom):  # noqa: F811
    code, out, err = await cli("drill", "Checkout failover", "--service", "checkout", "--participants", "dana,@eli", "--json")
    assert code == 0, err
    state = json.loads(out)
    warroom.track(state["id"])
    assert state["title"] == "DRILL: Checkout failover" and state["drill"] == {"participants": ["dana", "eli"]}
    assert state["severity"] == "SEV2" and state["roles"]["commander"] == "dana"
    code, out, _ = await cli("show", state["id"])
    assert code == 0 and "DRILL for dana, eli" in out
