"""Recent changes: `POST /v1/changes` records them durably in one workflow per
service, and an incident lists its service's last 24 hours of them, newest
first, as its first suspects; a rollback names the change it undoes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from tests.support import Warroom
from gateway.app import create_app
from worker.worker import SANDBOXED_RUNNER
from warroom.changes import changes_workflow_id
from workflows.changes import ChangesWorkflow
from workflows.incident import IncidentWorkflow

CHECKLIST = {"no_irreversible_migrations": True, "no_irreversible_side_effects": True, "known_good_target": True}


@pytest.fixture
async def gateway(warroom):
    async with gateway_of(warroom) as http:
        yield http


def gateway_of(warroom: Warroom) -> httpx.AsyncClient:
    app = create_app(warroom.settings, warroom.client)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


def ago(env_now: datetime, **delta: float) -> str:
    return (env_now - timedelta(**delta)).isoformat()


async def record(gateway: httpx.AsyncClient, warroom, **change) -> str:
    change.setdefault("kind", "deploy")
    change.setdefault("who", "deploybot")
    response = await gateway.post("/v1/changes", json=change)
    assert response.status_code == 201, response.text
    warroom.track(changes_workflow_id(change["service"]))
    return response.json()["id"]


async def now(warroom) -> datetime:
    return (await warroom.env.get_current_time()).astimezone(UTC)


async def test_a_change_is_recorded_once_however_often_it_is_sent(gateway, warroom):
    t = await now(warroom)
    body = {"service": "checkout", "kind": "deploy", "what": "v42", "who": "bob", "when": ago(t, minutes=5)}
    first = await gateway.post("/v1/changes", json=body)
    warroom.track(changes_workflow_id("checkout"))
    again = await gateway.post("/v1/changes", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and first.json()["id"].startswith("chg-")

    keyed = {"service": "checkout", "kind": "config", "summary": "pool size 50", "who": "bob"}
    one = await gateway.post("/v1/changes", json=keyed, headers={"Idempotency-Key": "cfg-7"})
    two = await gateway.post("/v1/changes", json=keyed, headers={"Idempotency-Key": "cfg-7"})
    assert one.json()["id"] == two.json()["id"] and two.json()["recorded"] is False

    listed = (await gateway.get("/v1/changes", params={"service": "checkout"})).json()
    assert [c["summary"] for c in listed] == ["pool size 50", "v42"], "newest first, each once"
    assert listed[1]["who"] == "bob" and listed[1]["kind"] == "deploy"
    unreadable = await gateway.get("/v1/changes", params={"service": "checkout", "since": "a while"})
    assert unreadable.status_code == 422 and "since: not a duration" in unreadable.json()["detail"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"service": "checkout", "kind": "rollout", "what": "v1", "who": "bob"}, "kind: Input should be 'deploy', 'config' or 'feature_flag'"),
        ({"service": "checkout", "kind": "deploy", "who": "bob"}, "summary: Field required"),
        ({"service": "checkout", "kind": "deploy", "what": "v1", "who": "bob", "when": "yesterday"}, "when: Input should be a valid datetime"),
        ({"service": "checkout", "kind": "deploy", "what": "v1", "who": "bob", "colour": "red"}, "colour: Extra inputs are not permitted"),
    ],
)
async def test_bad_changes_are_422_with_the_reason(gateway, change, reason):
    response = await gateway.post("/v1/changes", json=change)
    assert response.status_code == 422
    assert reason in response.json()["detail"]


async def test_a_change_older_than_the_retention_is_refused_by_the_log(gateway, warroom):
    t = await now(warroom)
    await record(gateway, warroom, service="search", what="v3")
    response = await gateway.post("/v1/changes", json={"service": "search", "kind": "deploy", "what": "v2", "who": "bob", "when": ago(t, days=8)})
    assert response.status_code == 422 and "older than the 7-day retention" in response.json()["detail"]


async def test_the_change_endpoints_need_the_webhook_token_when_set(warroom):
    settings = warroom.settings.model_copy(update={"webhook_token": SecretStr("s3cret")})
    app = create_app(settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        body = {"service": "checkout", "kind": "deploy", "what": "v1", "who": "bob"}
        assert (await http.post("/v1/changes", json=body)).status_code == 401
        assert (await http.get("/v1/changes", params={"service": "checkout"})).status_code == 401


async def test_an_incident_lists_its_services_last_day_of_changes_newest_first(gateway, warroom):
    t = await now(warroom)
    older = await record(gateway, warroom, service="checkout", what="v40", when=ago(t, hours=25))
    hour3 = await record(gateway, warroom, service="checkout", what="v41", when=ago(t, hours=3), link="https://ci/41")
    hour1 = await record(gateway, warroom, service="checkout", kind="feature_flag", what="new-cart on", when=ago(t, hours=1))
    other = await record(gateway, warroom, service="search", what="v9", when=ago(t, minutes=30))

    handle = await warroom.declare("Checkout errors", severity="SEV3")
    state = await warroom.state(handle)

    assert [c.id for c in state.suspects] == [hour1, hour3]
    assert older not in [c.id for c in state.suspects] and other not in [c.id for c in state.suspects]
    post = next(text for text in await warroom.messages(state) if "First suspects" in text)
    assert post.index(hour1) < post.index(hour3) and "https://ci/41" in post
    entry = next(e for e in state.timeline if e.kind == "suspects")
    assert "2 change(s) to checkout in the 24 h before declaration" in entry.text and hour1 in entry.text


async def test_an_incident_without_recorded_changes_says_so(warroom):
    handle = await warroom.declare("Search slow", service="search", severity="SEV4")
    state = await warroom.state(handle)
    assert state.suspects == []
    assert any(e.kind == "suspects" and "no change to search recorded" in e.text for e in state.timeline)


async def test_a_rollback_names_the_suspect_it_undoes_and_an_unknown_change_is_refused(gateway, warroom):
    t = await now(warroom)
    bad = await record(gateway, warroom, service="checkout", what="v42", when=ago(t, minutes=20))
    handle = await warroom.declare("Checkout errors", severity="SEV3")
    await warroom.state(handle)

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await warroom.send(handle, "mitigate", action="rollback", checklist=CHECKLIST, change_id="chg-000000000000")
    assert f"unknown change chg-000000000000: not one of this incident's suspects ({bad})" in str(refused.value.cause)
    await handle.signal("mitigate", {"by": "bob", "action": "rollback", "checklist": CHECKLIST, "change_id": "chg-nope"})

    receipt = await warroom.send(handle, "mitigate", action="rollback", checklist=CHECKLIST, change_id=bad, description="back to v41")
    assert bad in receipt.text and "v42" in receipt.text
    state = await warroom.state(handle)
    assert [(r.action.value, r.change_id) for r in state.mitigations] == [("rollback", bad)]
    assert any(e.kind == "refused" and "chg-nope" in e.text for e in state.timeline)
    assert any(e.kind == "mitigate" and bad in e.text for e in state.timeline)
    assert state.phase.value == "stabilize"


async def test_the_log_prunes_past_the_retention_and_continues_as_new_with_its_changes(env, tmp_path, monkeypatch):
    import workflows.changes as changes

    # Without the sandbox the workflow reads the patched limit (the real one is 2,000).
    monkeypatch.setattr(changes, "MAX_HISTORY_EVENTS", 40)
    async with Warroom(env, tmp_path, workflow_runner=UnsandboxedWorkflowRunner()) as warroom, gateway_of(warroom) as gateway:
        stale = await record(gateway, warroom, service="billing", what="v1")
        handle = warroom.client.get_workflow_handle(changes_workflow_id("billing"))
        first_run = (await handle.describe()).run_id
        await warroom.env.sleep(timedelta(days=8))
        fresh = [await record(gateway, warroom, service="billing", what=f"v{n}") for n in range(2, 12)]

        assert (await handle.describe()).run_id != first_run, "the log continued as new"
        kept = await handle.query(changes.ChangesWorkflow.recent, changes.ChangeWindow(since=datetime(2000, 1, 1, tzinfo=UTC)))
        assert [c.id for c in kept] == fresh[::-1] and stale not in [c.id for c in kept]
        listed = (await gateway.get("/v1/changes", params={"service": "billing", "since": "7d"})).json()
        assert [c["id"] for c in listed] == fresh[::-1], "readers see the memo the new run carried over"


async def test_an_unreadable_change_log_does_not_hold_up_the_incident(warroom, monkeypatch):
    import activities.changes

    async def refuse(*args):
        raise ApplicationError("change log unavailable", non_retryable=True)

    monkeypatch.setattr(activities.changes, "logged_changes", refuse)
    handle = await warroom.declare("Checkout errors", severity="SEV3")
    state = await warroom.state(handle)
    assert state.channel is not None and state.suspects == []
    assert any(e.kind == "integration_error" and "List recent changes to checkout failed" in e.text for e in state.timeline)
    assert any("List recent changes to checkout failed: change log unavailable" in text for text in await warroom.messages(state))


async def test_suspects_come_by_local_activity_and_the_first_update_with_the_channel(gateway, warroom):
    """No activity task reads the changes and none posts the first update: a
    local activity and the channel's opening do, a workflow task less each for
    every new incident."""
    change = await record(gateway, warroom, service="checkout", what="v42")
    handle = await warroom.declare("Checkout errors", severity="SEV3")
    state = await warroom.state(handle)
    assert [c.id for c in state.suspects] == [change]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled.count("open_channel") == 1 and "list_recent_changes" not in scheduled
    messages = await warroom.messages(state)
    assert sum("Investigating" in text for text in messages) == 1, messages
    assert "Investigating" in messages[1] and "First suspects" in messages[2], "opened, first update, then the suspects"


async def test_an_incident_with_suspects_a_linked_rollback_and_a_change_during_it_replays(gateway, warroom):
    """Its history replays on today's code: the new path is deterministic."""
    change = await record(gateway, warroom, service="checkout", what="v42")
    handle = await warroom.declare("Checkout errors", severity="SEV2")
    await warroom.state(handle)
    await record(gateway, warroom, service="checkout", what="v43")
    await warroom.send(handle, "mitigate", action="rollback", checklist=CHECKLIST, change_id=change)
    await warroom.send(handle, "escalate", severity="SEV1", reason="payments down")
    state = await warroom.state(handle)
    assert state.mitigations[0].change_id == change and len(state.suspects) == 2

    replayer = Replayer(workflows=[IncidentWorkflow, ChangesWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOXED_RUNNER)
    for workflow_id in (handle.id, changes_workflow_id("checkout")):
        history = await warroom.client.get_workflow_handle(workflow_id).fetch_history()
        await replayer.replay_workflow(history)


async def test_a_change_recorded_during_the_incident_becomes_a_suspect_that_a_rollback_can_name(gateway, warroom):
    handle = await warroom.declare("Checkout errors", severity="SEV3")
    await warroom.state(handle)
    hotfix = await record(gateway, warroom, service="checkout", what="v43 hotfix")
    await record(gateway, warroom, service="search", what="v10")

    for _ in range(200):
        state = await warroom.state(handle)
        if state.suspects:
            break
        await asyncio.sleep(0.025)
    assert [c.id for c in state.suspects] == [hotfix]
    assert any(f"Change to checkout during the incident: `{hotfix}`" in text for text in await warroom.messages(state))
    receipt = await warroom.send(handle, "mitigate", action="rollback", checklist=CHECKLIST, change_id=hotfix)
    assert hotfix in receipt.text


async def test_a_closed_incident_stops_being_told_and_the_log_carries_on(gateway, warroom):
    handle = await warroom.declare("Checkout errors", severity="SEV4")
    await warroom.state(handle)
    await handle.terminate("closed elsewhere")
    await record(gateway, warroom, service="checkout", what="v43")
    await record(gateway, warroom, service="checkout", what="v44")

    log = warroom.client.get_workflow_handle(changes_workflow_id("checkout"))
    for _ in range(200):
        kinds = [e.event_type async for e in log.fetch_history_events()]
        if EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED in kinds:
            break
        await asyncio.sleep(0.025)
    assert kinds.count(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) == 1, "told once, then dropped"
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds


async def test_incidents_of_one_service_declared_together_share_one_watch(warroom):
    """A burst of new incidents of one service costs its change log a couple of
    signals, not one each, and every one of them is among the log's watchers."""
    from activities.changes import ChangeActivities
    from warroom.rules.requests import RecentChanges

    acts = ChangeActivities(warroom.client, warroom.settings.task_queue)
    since = await now(warroom) - timedelta(hours=24)
    incidents = [f"inc-burst-{n}" for n in range(20)]
    warroom.track(changes_workflow_id("indexer"))
    await asyncio.gather(*(
        acts.list_recent_changes(RecentChanges(service="indexer", since=since, incident_id=i)) for i in incidents
    ))
    log = warroom.client.get_workflow_handle(changes_workflow_id("indexer"))
    for _ in range(100):  # a signal that came during a workflow task joins the history when that task completes
        history = await log.fetch_history()
        if history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            break
        await asyncio.sleep(0.05)
    watches = [
        e.workflow_execution_signaled_event_attributes for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    watched = [i for w in watches for i in pydantic_data_converter.payload_converter.from_payloads(w.input.payloads, [list[str]])[0]]
    assert len(watches) <= 3 and sorted(watched) == sorted(incidents), watches
