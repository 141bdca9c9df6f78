"""Every lifecycle path on the time-skipping server: days of timers in milliseconds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from warroom.models import Phase, Role, Severity


async def test_sev1_runs_from_declaration_through_postmortem_review_to_closure(warroom):
    handle = await warroom.declare("Checkout down", severity="SEV1", impact={"user_share": 0.8, "description": "checkout fails"})
    state = await warroom.state(handle)
    assert (state.severity, state.phase, state.roles[Role.COMMANDER]) == (Severity.SEV1, Phase.TRIAGE, "alice")
    assert state.channel and state.channel.name.startswith(f"incident-{state.metrics.declared_at:%Y-%m-%d}-checkout-down")
    assert set(state.deadlines) == {"status_update", "page", "roles"}
    assert (await warroom.status_page())[state.id].status == "investigating"

    await warroom.send(handle, "acknowledge", by="bob")
    await warroom.send(handle, "assign", role="ops_lead", user="carol")
    await warroom.send(handle, "assign", role="comms_lead", user="dave")
    await warroom.send(handle, "mitigate", action="rollback", description="back to v41",
                       checklist={"no_irreversible_migrations": True, "no_irreversible_side_effects": True, "known_good_target": True})
    await warroom.send(handle, "update", status="identified", message="bad deploy of v42")
    receipt = await warroom.send(handle, "resolve", summary="rolled back to v41")
    assert receipt.phase is Phase.VERIFY

    await warroom.env.sleep(timedelta(minutes=31))
    state = await warroom.state(handle)
    assert state.phase is Phase.LEARN
    assert (await warroom.status_page())[state.id].status == "resolved"
    assert (await warroom.channel_log(state.channel.name))[-1].kind == "archived"
    assert state.postmortem.required and {"postmortem_draft", "postmortem_review"} <= set(state.deadlines)

    await warroom.send(handle, "action_item", title="Canary deploys for checkout", owner="carol", due=str(date.today() + timedelta(days=14)))
    await warroom.send(handle, "postmortem", event="submitted", link="https://wiki/pm/1")
    await warroom.send(handle, "postmortem", event="reviewed")
    result = await handle.result()
    assert result["phase"] == "closed"
    assert result["action_items"][0]["tracker_key"] == "WR-1"
    assert result["deadlines"]["postmortem_draft"]["met_at"] and result["deadlines"]["postmortem_review"]["met_at"]
    statuses = [u.status for u in (await warroom.status_page())[state.id].updates]
    assert statuses == ["investigating", "identified", "monitoring", "resolved"]
    assert result["metrics"]["time_to_resolve"] is not None


async def test_sev3_closes_after_the_window_without_postmortem(warroom):
    handle = await warroom.declare("Search slow for some", impact={"user_share": 0.02})
    state = await warroom.state(handle)
    assert state.severity is Severity.SEV3
    assert "status_update" not in state.deadlines and "page" not in state.deadlines
    await warroom.send(handle, "resolve", summary="cache warmed")
    result = await handle.result()
    assert result["phase"] == "closed"
    assert not result["postmortem"]["required"]
    closed = result["metrics"]["closed_at"]
    resolved = result["metrics"]["resolved_at"]
    assert closed > resolved


async def test_a_recurring_alert_inside_the_window_reopens(warroom):
    handle = await warroom.declare("API errors", severity="SEV2", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "g1", "fingerprint": "f1", "name": "HighErrorRate"}
    routing = await handle.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    assert routing["outcome"] == "opened"
    await warroom.send(handle, "resolve", summary="restarted")
    await warroom.env.sleep(timedelta(minutes=10))
    routing = await handle.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    assert routing == {"incident_id": handle.id, "outcome": "reopened", "phase": "stabilize"}
    state = await warroom.state(handle)
    assert state.metrics.reopen_count == 1 and state.alerts["f1"].count == 2
    assert "monitoring_window" not in state.deadlines and "postmortem_draft" not in state.deadlines
    assert state.comms.status == "investigating" and state.public_status is None, "never acknowledged: never public"

    await warroom.send(handle, "resolve", summary="fixed for real")
    await warroom.send(handle, "reopen", reason="users still report errors")
    assert (await warroom.state(handle)).phase is Phase.STABILIZE


async def test_repeats_fold_into_counters_not_timeline_lines(warroom):
    handle = await warroom.declare("Disk filling", severity="SEV3", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "g", "fingerprint": "f", "name": "DiskFull"}
    for _ in range(5):
        await handle.execute_update("alerts", {"alerts": [alert, {**alert, "fingerprint": "f2"}]}, result_type=dict)
    state = await warroom.state(handle)
    assert [a.count for a in state.alerts.values()] == [5, 5]
    assert sum(1 for e in state.timeline if e.kind == "alert") == 2


async def test_sev3_whose_alerts_all_resolve_unacknowledged_resolves_itself(warroom):
    handle = await warroom.declare("Flappy probe", severity="SEV3", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "g", "fingerprint": "f", "name": "ProbeFailed"}
    await handle.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    routing = await handle.execute_update("alerts", {"alerts": [{**alert, "status": "resolved"}]}, result_type=dict)
    assert routing["outcome"] == "resolved"
    state = await warroom.state(handle)
    assert state.phase is Phase.VERIFY and state.non_actionable


async def test_escalation_tightens_cadence_and_makes_the_postmortem_mandatory(warroom):
    handle = await warroom.declare("Login flaky", severity="SEV3")
    assert "status_update" not in (await warroom.state(handle)).deadlines
    await warroom.send(handle, "escalate", severity="SEV1", reason="auth down for everyone")
    state = await warroom.state(handle)
    cadence = state.deadlines["status_update"]
    assert cadence.due - state.timeline[-1].at <= timedelta(minutes=30)
    assert "page" in state.deadlines
    await warroom.send(handle, "resolve", summary="failover")
    state = await warroom.state(handle)
    assert state.postmortem.required and "postmortem_draft" in state.deadlines

    await warroom.send(handle, "downgrade", severity="SEV3", reason="only one region was affected")
    state = await warroom.state(handle)
    assert state.postmortem.required, "the duty follows the peak severity"
    await warroom.send(handle, "postmortem", event="waived", reason="a single test region; no customer saw it")
    assert not (await warroom.state(handle)).postmortem.required
    await warroom.env.sleep(timedelta(minutes=31))
    assert (await handle.result())["phase"] == "closed"


async def test_overdue_status_update_reminds_the_comms_lead_and_an_update_resets_it(warroom):
    handle = await warroom.declare("Payments slow", severity="SEV1")
    await warroom.send(handle, "assign", role="comms_lead", user="dave")
    await warroom.env.sleep(timedelta(minutes=31))
    state = await warroom.state(handle)
    reminders = [t for t in await warroom.messages(state) if "status update is due" in t]
    assert reminders and reminders[0].startswith(":alarm_clock: dave")
    await warroom.send(handle, "update", status="investigating", message="still digging")
    state = await warroom.state(handle)
    assert state.deadlines["status_update"].due > state.timeline[-1].at + timedelta(minutes=29)


async def test_unacknowledged_pages_escalate_and_acknowledgement_stops_them(warroom):
    handle = await warroom.declare("DB down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    await warroom.env.sleep(timedelta(minutes=6))
    state = await warroom.state(handle)
    assert [e.text for e in state.timeline if e.kind == "page"] == [
        "paging primary on-call (step 1)", "paging secondary on-call (step 2)"]
    assert await warroom.direct_messages("secondary")
    await warroom.send(handle, "acknowledge", by="erin")
    await warroom.env.sleep(timedelta(minutes=30))
    state = await warroom.state(handle)
    assert sum(1 for e in state.timeline if e.kind == "page") == 2
    assert state.roles[Role.COMMANDER] == "erin"


async def test_postmortem_reminders_before_and_after_each_deadline(warroom):
    handle = await warroom.declare("Data export broken", severity="SEV2")
    await warroom.send(handle, "assign", role="scribe", user="sam")
    await warroom.send(handle, "resolve", summary="patched")
    await warroom.env.sleep(timedelta(hours=49))
    state = await warroom.state(handle)
    assert state.phase is Phase.LEARN
    sam = await warroom.direct_messages("sam")
    assert any("draft" in t and "is due in 4h" in t for t in sam), sam
    assert any("draft" in t and "due now" in t for t in sam) and any("draft" in t and "overdue by 1d" in t for t in sam)
    assert any("draft" in t and "overdue" in t for t in await warroom.direct_messages("alice")), "escalates to the commander"
    assert state.deadlines["postmortem_draft"].reminders >= 3
    await warroom.send(handle, "postmortem", event="submitted")
    await warroom.env.sleep(timedelta(days=4))
    state = await warroom.state(handle)
    assert any("review" in t and "overdue" in t for t in await warroom.direct_messages("sam")), (await warroom.direct_messages("sam"), state.deadlines)
    await warroom.send(handle, "postmortem", event="reviewed", no_action="the patch is the fix; nothing else to change")
    assert (await handle.result())["phase"] == "closed"


@pytest.mark.parametrize(
    ("name", "payload", "reason"),
    [
        ("resolve", {"summary": "again"}, "already resolved"),
        ("mitigate", {"action": "rollback", "checklist": {"no_irreversible_migrations": True}}, "checklist not met: no_irreversible_side_effects, known_good_target"),
        ("downgrade", {"severity": "SEV2", "reason": "x"}, "already SEV2"),
        ("assign", {"role": "chief", "user": "bob"}, "role: Input should be"),
        ("resolve", {}, "summary: Field required"),
        ("note", {"text": "hi", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ("postmortem", {"event": "reviewed"}, "has not been submitted"),
        ("escalate", {"severity": "SEV9", "reason": "x"}, "unknown severity"),
    ],
)
async def test_invalid_messages_are_refused_with_a_reason_and_change_nothing(warroom, name, payload, reason):
    handle = await warroom.declare("Queue backlog", severity="SEV2")
    if name in ("resolve", "postmortem") and payload.get("summary") != "":
        await warroom.send(handle, "resolve", summary="drained")
    before = await warroom.state(handle)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await warroom.send(handle, name, **payload)
    assert reason in refused.value.cause.message
    after = await warroom.state(handle)
    assert after.timeline == before.timeline and after.phase == before.phase
    await warroom.send(handle, "note", text="still healthy")


async def test_invalid_signals_are_recorded_as_refused_never_crash(warroom):
    handle = await warroom.declare("Cache misses", severity="SEV3")
    await handle.signal("resolve", {"by": "bob"})
    await handle.signal("assign", {"by": "bob", "role": "chief", "user": "x"})
    await handle.signal("resolve", {"by": "bob", "summary": "ok"})
    await handle.signal("resolve", {"by": "bob", "summary": "twice"})
    state = await warroom.state(handle)
    refused = [e.text for e in state.timeline if e.kind == "refused"]
    assert refused[0] == "resolve refused: summary: Field required"
    assert refused[1].startswith("assign refused: role:")
    assert refused[2] == "resolve refused: incident is already resolved (phase verify)"
    assert state.phase is Phase.VERIFY


async def test_closed_incidents_refuse_messages_in_words(warroom):
    handle = await warroom.declare("Typo on pricing page", severity="SEV4")
    await warroom.send(handle, "resolve", summary="fixed")
    await handle.result()
    with pytest.raises(Exception):
        await warroom.send(handle, "note", text="late")


async def test_every_message_is_a_signal_and_an_update_the_temporal_ui_lists(warroom):
    """The workflow's metadata (what the Temporal UI offers to send) names every
    message twice, and the update's validator refuses bad input with its reason."""
    from temporalio.api.sdk.v1 import WorkflowMetadata

    from workflows.incident import MESSAGES

    handle = await warroom.declare("Checkout failing", severity="SEV3")
    await warroom.state(handle)
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    signals = {s.name for s in meta.definition.signal_definitions}
    updates = {u.name for u in meta.definition.update_definitions}
    assert set(MESSAGES) <= signals and set(MESSAGES) <= updates
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("resolve", {"by": "alice", "summary": 42})
    assert refused.value.cause.message == "resolve: summary: Input should be a valid string"


async def test_an_incident_started_with_its_memo_does_not_write_it_again(warroom):
    """The gateway and the CLI start incidents with the title memo; writing it
    again would cost every new incident an event and a visibility update."""
    from temporalio.api.enums.v1 import EventType

    from warroom import models as m
    from client.incidents import start_incident

    inp = m.IncidentInput(title="Checkout failing", service="checkout", severity="SEV3", declared_by="alice")
    handle = await start_incident(warroom.client, warroom.settings, "inc-memo-kept", inp)
    warroom.track(handle.id)
    await warroom.state(handle)
    kinds = [e.event_type async for e in handle.fetch_history_events()]
    assert EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED not in kinds
    assert await (await handle.describe()).memo_value("title") == "Checkout failing"
    bare = await warroom.declare("Checkout failing, started bare", severity="SEV3")
    await warroom.state(bare)
    assert await (await bare.describe()).memo_value("title") == "Checkout failing, started bare"
