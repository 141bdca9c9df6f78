"""Learn on the time-skipping server: the postmortem draft, the blameless check on
submission, the archive at closure, and one pass of action-item follow-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from store.db import Database
from store.postmortems import PostmortemDrafts
from store.tables import tracker_issues
from store.tracker import NewIssue, Tracker
from store.archive import Archive
from store.followups import FollowUps
from warroom.metrics import Metrics
from warroom.models import ActionItem, Impact, IncidentState, Phase, Severity
from workflows.followup import FollowUpWorkflow


async def test_required_postmortem_is_drafted_shared_checked_and_the_closed_incident_archived(warroom):
    handle = await warroom.declare("Exports failing", severity="SEV2", impact={"user_share": 0.3, "description": "exports fail"})
    await warroom.send(handle, "acknowledge", by="bob")
    await warroom.send(handle, "mitigate", action="feature_flag", description="disabled the new exporter")
    await warroom.send(handle, "resolve", summary="flag off")
    assert (await warroom.state(handle)).postmortem.draft_link is None, "no draft before the window passes"
    await warroom.env.sleep(timedelta(minutes=31))

    state = await warroom.state(handle)
    draft = f"http://127.0.0.1:8080/postmortems/{handle.id}"  # the gateway's page (WARROOM_PUBLIC_URL when set)
    assert state.phase is Phase.LEARN and state.postmortem.draft_link == draft
    drafts = PostmortemDrafts(Database(warroom.settings.database))
    text = (await drafts.get(handle.id)).markdown
    assert text.startswith("---\n") and "disabled the new exporter" in text and "## Action items" in text
    log = await warroom.channel_log(state.channel.name)
    shared = [n for n, line in enumerate(log) if draft in line.text]
    assert len(shared) == 1 and log[shared[0] + 1].kind == "archived", "link posted once, before the archive"

    due = (datetime.now(UTC) + timedelta(days=14)).date()
    await warroom.send(handle, "action_item", title="Contract tests for exporter", owner="carol", due=str(due))
    await warroom.state(handle)
    assert f"Postmortem: {draft}" in (await warroom.tracker_issue("WR-1")).description

    edited = text + "\n## Notes\n\nBob forgot to renew the exporter's certificate. The alert fired late.\n"
    await drafts.save(handle.id, edited, datetime.now(UTC), replace=True)  # people worked on the draft
    await warroom.send(handle, "postmortem", event="submitted", link=draft)  # checked from the database
    warnings = [e.text for e in (await warroom.state(handle)).timeline if e.kind == "blameless"]
    assert warnings[0] == "blameless check: 1 sentence(s) to reword"
    assert '"Bob forgot"' in warnings[1] and "missing safeguard" in warnings[1]
    await warroom.send(handle, "postmortem", event="reviewed")
    await handle.result()
    await warroom.state(handle)

    record = (await Archive(Database(warroom.settings.database)).get(handle.id)).public()
    assert record["phase"] == "closed" and record["timeline"][-1]["text"] == "incident closed"
    assert record["postmortem"]["draft_link"] == record["postmortem"]["submitted_link"] == draft
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
    assert state.postmortem.draft_link == f"{warroom.settings.gateway_url}/postmortems/{sev3.id}" and not state.postmortem.required
    assert any(state.postmortem.draft_link in t for t in await warroom.messages(state))

    sev2 = await warroom.declare("Login errors", severity="SEV2")
    await warroom.send(sev2, "assign", role="scribe", user="sam")
    await warroom.send(sev2, "resolve", summary="restarted auth")
    await warroom.env.sleep(timedelta(minutes=31))
    await warroom.send(sev2, "draft_postmortem", by="bob")
    state = await warroom.state(sev2)
    assert [t for t in await warroom.direct_messages("sam") if state.postmortem.draft_link in t], "archived channel: DM the owner"


def _archived(incident_id: str, service: str, items: list[ActionItem]) -> IncidentState:
    start = datetime.now(UTC) - timedelta(days=30)
    return IncidentState(
        id=incident_id, title=f"{service} outage", service=service, severity=Severity.SEV2, phase=Phase.CLOSED,
        impact=Impact(), source="manual", action_items=items,
        metrics=Metrics(started_at=start, declared_at=start, resolved_at=start + timedelta(hours=1), closed_at=start + timedelta(days=2)),
    )


async def test_follow_up_syncs_status_reminds_overdue_owners_once_a_day_and_records_close_rates(warroom):
    db = Database(warroom.settings.database)
    today = datetime.now(UTC).date()
    items = [
        ActionItem(number=1, title="Canary deploys", owner="carol", due=today - timedelta(days=3), tracker_key="WR-1"),
        ActionItem(number=2, title="Alert on queue age", owner="dave", due=today - timedelta(days=3), tracker_key="WR-2"),
        ActionItem(number=3, title="Runbook for failover", owner="erin", due=today + timedelta(days=3), tracker_key="WR-3"),
    ]
    for state in (_archived("inc-a", "checkout", items[:2]), _archived("inc-b", "search", items[2:])):
        await Archive(db).put(state)
    tracker = Tracker(warroom.database)
    for incident, item in (("inc-a", items[0]), ("inc-a", items[1]), ("inc-b", items[2])):
        fields = item.model_dump(include={"number", "title", "owner", "due"})
        await tracker.create(NewIssue(incident_id=incident, severity="SEV2", description="", **fields))
    async with warroom.database.transaction() as session:  # someone closed WR-1
        await session.execute(update(tracker_issues).where(tracker_issues.c.id == 1).values(status="done"))

    # Two passes on the same day. Without this, awaiting a finished workflow lets
    # the time-skipping server jump to its next timer, ten years ahead.
    with warroom.env.auto_time_skipping_disabled():
        for _ in range(2):
            run = await warroom.client.start_workflow(
                FollowUpWorkflow.run, id=f"followup-{uuid.uuid4().hex[:6]}", task_queue=warroom.settings.task_queue
            )
            summary = await run.result()
    assert (summary.items, summary.done, summary.overdue) == (3, 1, 1)
    assert not await warroom.direct_messages("carol"), "a done item is not chased"
    assert not await warroom.direct_messages("erin"), "not overdue yet"
    (reminder,) = await warroom.direct_messages("dave")
    assert "Action item 2 (WR-2) of inc-a is overdue by 3 day(s)" in reminder

    assert [i.status for i in (await Archive(db).get("inc-a")).action_items] == ["done", "open"]
    assert [status for _, status, _ in await FollowUps(db).history("inc-a", 1)] == ["done"], "seen twice, recorded once"
    rates = await FollowUps(db).run(run.result_run_id)
    assert rates["by_service"] == {"checkout": {"total": 2, "done": 1, "rate": 0.5}, "search": {"total": 1, "done": 0, "rate": 0.0}}
    assert rates["by_team"] == {"unassigned": {"total": 3, "done": 1, "rate": 0.333}}
