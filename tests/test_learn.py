"""Learn on the time-skipping server: the postmortem draft, the blameless check on
submission, the archive at closure, and one pass of action-item follow-up."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from warroom.metrics import Metrics
from warroom.models import ActionItem, Impact, IncidentState, Phase, Severity
from workflows.followup import FollowUpWorkflow


async def test_required_postmortem_is_drafted_shared_checked_and_the_closed_incident_archived(warroom, tmp_path):
    handle = await warroom.declare("Exports failing", severity="SEV2", impact={"user_share": 0.3, "description": "exports fail"})
    await warroom.send(handle, "acknowledge", by="bob")
    await warroom.send(handle, "mitigate", action="feature_flag", description="disabled the new exporter")
    await warroom.send(handle, "resolve", summary="flag off")
    assert (await warroom.state(handle)).postmortem.draft_link is None, "no draft before the window passes"
    await warroom.env.sleep(timedelta(minutes=31))

    state = await warroom.state(handle)
    data = warroom.settings.data_dir
    draft = (data / "postmortems" / f"{handle.id}.md").resolve()
    assert state.phase is Phase.LEARN and state.postmortem.draft_link == str(draft)
    text = draft.read_text()
    assert text.startswith("---\n") and "disabled the new exporter" in text and "## Action items" in text
    log = warroom.channel_log(state.channel.name)
    shared = [n for n, line in enumerate(log) if str(draft) in line["text"]]
    assert len(shared) == 1 and log[shared[0] + 1]["kind"] == "archived", "link posted once, before the archive"

    due = (datetime.now(UTC) + timedelta(days=14)).date()
    await warroom.send(handle, "action_item", title="Contract tests for exporter", owner="carol", due=str(due))
    await warroom.state(handle)
    issue = json.loads((data / "tracker.json").read_text())["issues"]["WR-1"]
    assert f"Postmortem: {draft}" in issue["description"]

    submitted = tmp_path / "reviewed-postmortem.md"
    submitted.write_text(text + "\n## Notes\n\nBob forgot to renew the exporter's certificate. The alert fired late.\n")
    await warroom.send(handle, "postmortem", event="submitted", link=str(submitted))
    warnings = [e.text for e in (await warroom.state(handle)).timeline if e.kind == "blameless"]
    assert warnings[0] == "blameless check: 1 sentence(s) to reword"
    assert '"Bob forgot"' in warnings[1] and "missing safeguard" in warnings[1]
    await warroom.send(handle, "postmortem", event="reviewed")
    await handle.result()
    await warroom.state(handle)

    record = json.loads((data / "archive" / f"{handle.id}.json").read_text())
    assert record["phase"] == "closed" and record["timeline"][-1]["text"] == "incident closed"
    assert record["postmortem"]["draft_link"] == str(draft)
    assert record["postmortem"]["submitted_link"] == str(submitted)
    assert record["deadlines"]["postmortem_draft"]["met_at"] and record["deadlines"]["postmortem_review"]["met_at"]
    assert [(i["tracker_key"], i["owner"]) for i in record["action_items"]] == [("WR-1", "carol")]
    assert [(p["target"], p["user"]) for p in record["pages"]] == [("primary", "primary")]
    assert record["metrics"]["time_to_resolve"] is not None


async def test_a_draft_on_request_goes_to_the_channel_or_to_the_owner_once_archived(warroom):
    sev3 = await warroom.declare("Search slow", severity="SEV3")
    await warroom.send(sev3, "resolve", summary="reindexed")
    receipt = await warroom.send(sev3, "draft_postmortem", by="bob")
    assert "draft requested" in receipt.text
    state = await warroom.state(sev3)
    assert state.postmortem.draft_link and not state.postmortem.required
    assert any(state.postmortem.draft_link in t for t in warroom.messages(state))

    sev2 = await warroom.declare("Login errors", severity="SEV2")
    await warroom.send(sev2, "assign", role="scribe", user="sam")
    await warroom.send(sev2, "resolve", summary="restarted auth")
    await warroom.env.sleep(timedelta(minutes=31))
    await warroom.send(sev2, "draft_postmortem", by="bob")
    state = await warroom.state(sev2)
    assert [t for t in warroom.direct_messages("sam") if state.postmortem.draft_link in t], "archived channel: DM the owner"


def _archived(incident_id: str, service: str, items: list[ActionItem]) -> IncidentState:
    start = datetime.now(UTC) - timedelta(days=30)
    return IncidentState(
        id=incident_id, title=f"{service} outage", service=service, severity=Severity.SEV2, phase=Phase.CLOSED,
        impact=Impact(), source="manual", action_items=items,
        metrics=Metrics(started_at=start, declared_at=start, resolved_at=start + timedelta(hours=1), closed_at=start + timedelta(days=2)),
    )


async def test_follow_up_syncs_status_reminds_overdue_owners_once_a_day_and_records_close_rates(warroom):
    data = warroom.settings.data_dir
    today = datetime.now(UTC).date()
    items = [
        ActionItem(number=1, title="Canary deploys", owner="carol", due=today - timedelta(days=3), tracker_key="WR-1"),
        ActionItem(number=2, title="Alert on queue age", owner="dave", due=today - timedelta(days=3), tracker_key="WR-2"),
        ActionItem(number=3, title="Runbook for failover", owner="erin", due=today + timedelta(days=3), tracker_key="WR-3"),
    ]
    (data / "archive").mkdir(parents=True)
    for state in (_archived("inc-a", "checkout", items[:2]), _archived("inc-b", "search", items[2:])):
        (data / "archive" / f"{state.id}.json").write_text(json.dumps(state.public()))
    tracker = {"issues": {"WR-1": {"status": "done", "labels": []}, "WR-2": {"status": "open", "labels": []}, "WR-3": {"status": "open", "labels": []}}}
    (data / "tracker.json").write_text(json.dumps(tracker))

    # Two passes on the same day. Without this, awaiting a finished workflow lets
    # the time-skipping server jump to its next timer, ten years ahead.
    with warroom.env.auto_time_skipping_disabled():
        for _ in range(2):
            summary = await warroom.client.execute_workflow(
                FollowUpWorkflow.run, id=f"followup-{uuid.uuid4().hex[:6]}", task_queue=warroom.settings.task_queue
            )
    assert (summary.items, summary.done, summary.overdue) == (3, 1, 1)
    assert not warroom.direct_messages("carol"), "a done item is not chased"
    assert not warroom.direct_messages("erin"), "not overdue yet"
    (reminder,) = warroom.direct_messages("dave")
    assert "Action item 2 (WR-2) of inc-a is overdue by 3 day(s)" in reminder

    record = json.loads((data / "archive" / "inc-a.json").read_text())
    assert [i["status"] for i in record["action_items"]] == ["done", "open"]
    rates = json.loads((data / "archive" / "follow-up.json").read_text())
    assert rates["by_service"] == {"checkout": {"total": 2, "done": 1, "rate": 0.5}, "search": {"total": 1, "done": 0, "rate": 0.0}}
    assert rates["by_team"] == {"unassigned": {"total": 3, "done": 1, "rate": 0.333}}
