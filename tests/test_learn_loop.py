"""The learn loop on the time-skipping server: a downgraded SEV1 still owes its
postmortem, and an action item agreed after closure reaches the tracker and the
follow-up like every other."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from gateway.late_items import add_action_item_after_closure
from store.archive import Archive
from warroom.models import Phase
from warroom.rules import Refused
from tests.slack_support import served_fake
from tests.test_slack_commands import Commands


async def test_a_sev1_downgraded_after_resolution_waits_for_its_postmortem(warroom):
    handle = await warroom.declare("Orders lost", severity="SEV1")
    await warroom.send(handle, "resolve", summary="failed over")
    await warroom.send(handle, "downgrade", severity="SEV3", reason="fewer users than feared")
    await warroom.env.sleep(timedelta(minutes=31))
    state = await warroom.state(handle)
    assert state.phase is Phase.LEARN and state.postmortem.required and state.peak_severity == "SEV1"
    await warroom.send(handle, "postmortem", event="submitted")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await warroom.send(handle, "postmortem", event="reviewed")
    assert "a review records the action items it agreed" in refused.value.cause.message
    await warroom.send(handle, "postmortem", event="reviewed", no_action="the provider replaced the disk")
    assert (await handle.result())["postmortem"]["no_action"] == "the provider replaced the disk"


async def test_an_action_item_added_after_closure_reaches_the_tracker_and_the_follow_up(warroom):
    handle = await warroom.declare("Search slow", severity="SEV3")
    await warroom.send(handle, "resolve", summary="reindexed")
    closed = await handle.result()
    assert closed["phase"] == "closed"
    declared = closed["metrics"]["declared_at"][:10]

    with pytest.raises(Refused, match="is before the incident began"):
        await add_action_item_after_closure(
            warroom.client, warroom.settings, handle.id, {"by": "bob", "title": "x", "owner": "carol", "due": "2000-01-01"}
        )
    item = {"by": "bob", "title": "Alert on index lag", "owner": "carol", "due": declared, "addresses": "no alert on index lag"}
    with warroom.env.auto_time_skipping_disabled():
        receipt = await add_action_item_after_closure(warroom.client, warroom.settings, handle.id, item)
        assert receipt.phase is Phase.CLOSED and "action item 1 added" in receipt.text
        summary = await warroom.client.get_workflow_handle(f"warroom-action-items-{handle.id}-1").result()

    issue = await warroom.tracker_issue("WR-1")
    assert (issue.incident_id, issue.number, issue.title, issue.owner) == (handle.id, 1, "Alert on index lag", "carol")
    assert "Addresses: no alert on index lag." in issue.description
    record = await Archive(warroom.database).get(handle.id)
    assert [(i.tracker_key, i.addresses) for i in record.action_items] == [("WR-1", "no alert on index lag")]
    assert record.timeline[-1].text.endswith("(after closure)") and record.timeline[-1].actor == "bob"
    assert summary["items"] == 1, "the follow-up follows it like any other item"
    assert await add_action_item_after_closure(warroom.client, warroom.settings, "inc-not-archived", item) is None


async def test_slack_adds_an_action_item_to_a_closed_incident(warroom):
    handle = await warroom.declare("Search slow", severity="SEV4")
    await warroom.send(handle, "resolve", summary="reindexed")
    declared = (await handle.result())["metrics"]["declared_at"][:10]
    slack, served = served_fake()
    try:
        async with Commands(warroom, slack) as gw:
            with warroom.env.auto_time_skipping_disabled():
                answer = await gw.outcome(f"{handle.id} action-item @carol {declared} Alert on index lag")
                assert answer["response_type"] == "in_channel" and "action item 1 added to the closed incident" in answer["text"]
                await warroom.client.get_workflow_handle(f"warroom-action-items-{handle.id}-1").result()
            refused = await gw.outcome(f"{handle.id} action-item @carol 2000-01-01 Too late")
            assert refused["response_type"] == "ephemeral" and "before the incident began" in refused["text"]
    finally:
        served.stop()
    assert (await warroom.tracker_issue("WR-1")).title == "Alert on index lag"
