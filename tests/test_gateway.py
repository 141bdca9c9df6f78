"""The gateway routing alerts into incident workflows on the time-skipping
server: repeats fold, recurrences reopen or open linked incidents, storms make
one incident, and every refusal is a 4xx that touches nothing."""

from __future__ import annotations

import asyncio
import copy
import socket
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from warroom.alerts import AlertBatch, AlertEvent, OnwardAlerts
from warroom import models as m
from warroom.settings import Settings
from gateway.app import create_app
from client.temporal import connect
from client.router import chain_id

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
AM_KEY = '{}/{service="checkout"}:{alertname="HighErrorRate"}'
AM_DEDUP = f"http://alertmanager.example.com:9093|warroom|{AM_KEY}"  # the group key, scoped to its Alertmanager


def fixture(source: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{source}.json").read_text())


def am_batch(status: str = "firing", severity: str = "critical", key: str = AM_KEY, n: int = 1) -> dict[str, Any]:
    body = fixture("alertmanager")
    body["groupKey"], body["status"] = key, status
    template = body["alerts"][0]
    template["labels"]["severity"] = severity
    body["alerts"] = []
    for i in range(n):
        alert = copy.deepcopy(template)
        alert["fingerprint"] = f"{i:016x}"
        alert["status"] = status
        if status == "resolved":
            alert["endsAt"] = "2026-11-24T10:30:00Z"
        body["alerts"].append(alert)
    return body


@pytest.fixture
async def gateway(warroom):
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def post(gateway: httpx.AsyncClient, source: str, body: Any, **kw: Any) -> dict[str, Any]:
    response = await gateway.post(f"/v1/alerts/{source}", json=body, **kw)
    assert response.status_code == 202, response.text
    return response.json()


async def incident(warroom, incident_id: str) -> m.IncidentState:
    handle = warroom.client.get_workflow_handle(incident_id)
    warroom.track(incident_id)
    return await warroom.state(handle)


@pytest.mark.parametrize("source", ["alertmanager", "grafana", "pagerduty", "datadog", "generic"])
async def test_each_documented_payload_opens_an_incident(gateway, warroom, source):
    answer = await post(gateway, source, fixture(source))
    (incident_id,) = answer["incidents"]
    state = await incident(warroom, incident_id)
    assert state.source == source and state.phase is m.Phase.TRIAGE
    assert len(state.alerts) == len(fixture(source).get("alerts", [None]))
    if source == "datadog":  # P1 says SEV2; 60% of users affected makes the policy say more
        assert state.severity is m.Severity.SEV1 and state.service == "checkout"


async def test_repeats_join_with_counts_and_no_timeline_growth(gateway, warroom):
    body = fixture("alertmanager")
    body["alerts"][0]["startsAt"] = "2026-01-02T03:04:05Z"  # detected before it was declared
    first = await post(gateway, "alertmanager", body)
    (incident_id,) = first["incidents"]
    assert incident_id == chain_id("alertmanager", AM_DEDUP)
    state = await incident(warroom, incident_id)
    lines = len(state.timeline)
    for _ in range(4):
        again = await post(gateway, "alertmanager", fixture("alertmanager"))
        assert again["incidents"] == [incident_id]
    state = await incident(warroom, incident_id)
    assert len(state.timeline) == lines, "repeats are counted, not logged"
    record = state.alerts["5f1b5c9e2a7d4c10"]
    assert record.count == 5 and record.first_seen <= record.last_seen
    assert (state.title, state.service, state.severity) == ("HighErrorRate: Checkout 5xx rate above 5%", "checkout", m.Severity.SEV2)
    assert state.metrics.started_at.isoformat() == "2026-01-02T03:04:05+00:00"


async def test_firing_during_verify_reopens_and_after_verify_opens_a_linked_recurrence(gateway, warroom):
    (incident_id,) = (await post(gateway, "alertmanager", am_batch()))["incidents"]
    handle = warroom.client.get_workflow_handle(incident_id)
    warroom.track(incident_id)
    await warroom.send(handle, "acknowledge", by="alice")
    await warroom.send(handle, "resolve", by="alice", summary="rolled back")
    answer = await post(gateway, "alertmanager", am_batch())
    assert answer["incidents"] == [incident_id]
    state = await warroom.state(handle)
    assert state.phase is m.Phase.STABILIZE and state.metrics.reopen_count == 1

    await warroom.send(handle, "resolve", by="alice", summary="fixed for real")
    await warroom.env.sleep(timedelta(minutes=31))
    assert (await warroom.state(handle)).phase is m.Phase.LEARN, "SEV2 waits for its postmortem"

    # This gateway still thinks the first incident is current: the incident passes the alert on.
    await post(gateway, "alertmanager", am_batch())
    recurrence = chain_id("alertmanager", AM_DEDUP, 2)
    warroom.track(recurrence)
    first = await warroom.state(handle)
    assert any(f"went to {recurrence}" in t.text for t in first.timeline)
    state = await incident(warroom, recurrence)
    assert state.recurrence_of == incident_id and state.phase is m.Phase.TRIAGE
    assert state.alerts["0000000000000000"].count == 1

    # A gateway that looks afresh sends straight to the recurrence.
    fresh = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fresh), base_url="http://gw") as other:
        answer = await post(other, "alertmanager", am_batch())
    assert answer["incidents"] == [recurrence]
    assert (await incident(warroom, recurrence)).alerts["0000000000000000"].count == 2
    assert (await warroom.state(handle)).alerts["0000000000000000"].count == 2, "the first incident's own count is unchanged"


async def test_alerts_passed_on_twice_count_once(warroom):
    """A retried hand-over carries the same batch id: the receiver counts it once."""
    from activities.routing import RoutingActivities

    batch = AlertBatch(alerts=[AlertEvent(source="generic", dedup_key="k", fingerprint="f", name="N")], batch_id="inc-x:7")
    onward = RoutingActivities(warroom.client, warroom.settings)
    first = await onward.route_alerts_onward(OnwardAlerts(after=chain_id("generic", "k"), batch=batch))
    again = await onward.route_alerts_onward(OnwardAlerts(after=chain_id("generic", "k"), batch=batch))
    assert first.incident_id == again.incident_id == chain_id("generic", "k", 2)
    state = await incident(warroom, first.incident_id)
    assert state.alerts["f"].count == 1


async def test_resolved_notifications_record_and_self_resolve_unacknowledged_low_severity(gateway, warroom):
    (incident_id,) = (await post(gateway, "alertmanager", am_batch(severity="warning", n=2)))["incidents"]
    await post(gateway, "alertmanager", am_batch(status="resolved", severity="warning", n=1))
    state = await incident(warroom, incident_id)
    assert state.phase is m.Phase.TRIAGE, "one of two alerts still fires"
    await post(gateway, "alertmanager", am_batch(status="resolved", severity="warning", n=2))
    state = await incident(warroom, incident_id)
    assert state.phase is m.Phase.VERIFY and state.non_actionable
    assert all(a.status == "resolved" and a.resolved_at for a in state.alerts.values())


async def test_a_resolution_for_an_unknown_key_starts_nothing(gateway, warroom):
    answer = await post(gateway, "alertmanager", am_batch(status="resolved", key="never-fired"))
    [routed] = answer["routed"]
    assert answer["incidents"] == [] and routed["outcome"] == "ignored" and "never-fired" in routed["dedup_key"]
    with pytest.raises(RPCError) as missing:  # the id a firing alert with this key would have opened
        await warroom.client.get_workflow_handle(chain_id("alertmanager", routed["dedup_key"])).describe()
    assert missing.value.status is RPCStatusCode.NOT_FOUND


async def test_a_thousand_identical_alerts_in_parallel_make_one_incident(gateway, warroom):
    body = fixture("generic")
    answers = await asyncio.gather(*(post(gateway, "generic", body) for _ in range(1000)))
    assert {tuple(a["incidents"]) for a in answers} == {(chain_id("generic", "search-index-lag"),)}
    state = await incident(warroom, answers[0]["incidents"][0])
    assert state.alerts["search-index-lag"].count == 1000
    history = await warroom.client.get_workflow_handle(state.id).fetch_history()
    signals = sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in history.events)
    assert signals <= 10, f"{signals} signals: the alerts that arrived while one was in flight did not go together"


async def test_two_gateways_racing_on_one_key_make_one_incident(warroom):
    apps = [create_app(warroom.settings, warroom.client) for _ in range(2)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") for app in apps]
    body = fixture("pagerduty")
    answers = await asyncio.gather(*(post(clients[i % 2], "pagerduty", body) for i in range(200)))
    ids = {a["incidents"][0] for a in answers}
    assert len(ids) == 1
    state = await incident(warroom, ids.pop())
    assert state.alerts["srv01/mysql"].count == 200


async def test_two_gateways_racing_on_many_new_keys_make_one_incident_each(warroom):
    """Many keys opened at once from two gateways: each key's first link is
    racing its own first workflow task, where CI saw the chain advance."""
    apps = [create_app(warroom.settings, warroom.client) for _ in range(2)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") for app in apps]
    keys = [f"race-{i}" for i in range(100)]
    answers = await asyncio.gather(*(
        post(clients[i % 2], "pagerduty", {**fixture("pagerduty"), "dedup_key": key}) for key in keys for i in range(4)
    ))
    for key in keys:
        warroom.track(chain_id("pagerduty", key))
    assert {a["incidents"][0] for a in answers} == {chain_id("pagerduty", key) for key in keys}


class AlreadyStartedWhileRunning:
    """A client whose signal-with-start answers "already started" for a running
    incident, as the server did on CI to a gateway racing the run's first
    workflow task."""

    def __init__(self, client: Any):
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def start_workflow(self, workflow: Any, *args: Any, id: str, **kw: Any) -> Any:
        try:
            await self.client.get_workflow_handle(id).describe()
        except RPCError:
            return await self.client.start_workflow(workflow, *args, id=id, **kw)
        raise WorkflowAlreadyStartedError(id, str(workflow))


async def test_already_started_from_a_running_incident_joins_it_instead_of_opening_the_next(gateway, warroom):
    (incident_id,) = (await post(gateway, "pagerduty", fixture("pagerduty")))["incidents"]
    warroom.track(incident_id)
    racing = create_app(warroom.settings, AlreadyStartedWhileRunning(warroom.client))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=racing), base_url="http://gw") as other:
        answer = await post(other, "pagerduty", fixture("pagerduty"))
    assert answer["incidents"] == [incident_id]
    assert (await incident(warroom, incident_id)).alerts["srv01/mysql"].count == 2


async def test_a_batch_of_500_alerts_is_one_signal(gateway, warroom):
    answer = await post(gateway, "alertmanager", am_batch(n=500))
    assert answer["routed"][0]["alerts"] == 500
    (incident_id,) = answer["incidents"]
    state = await incident(warroom, incident_id)
    assert len(state.alerts) == 500
    history = await warroom.client.get_workflow_handle(incident_id).fetch_history()
    signalled = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
    assert len(signalled) == 1


async def test_pagerduty_acknowledge_stops_escalation(gateway, warroom):
    (incident_id,) = (await post(gateway, "pagerduty", fixture("pagerduty")))["incidents"]
    state = await incident(warroom, incident_id)
    assert "page" in state.deadlines, "SEV2 pages and escalates"
    ack = {"routing_key": "e93facc04764012d7bfb002500d5d1a6", "event_action": "acknowledge", "dedup_key": "srv01/mysql"}
    answer = await post(gateway, "pagerduty", ack)
    assert answer["routed"][0]["outcome"] == "acknowledged" and answer["dedup_key"] == "srv01/mysql"
    state = await incident(warroom, incident_id)
    assert "page" not in state.deadlines and state.metrics.acknowledged_at is not None
    # warroom's own pages through PagerDuty carry the incident id as dedup key
    other = await warroom.declare("Payments down", severity="SEV1")
    answer = await post(gateway, "pagerduty", {**ack, "dedup_key": other.id})
    assert answer["incidents"] == [other.id]
    assert "page" not in (await warroom.state(other)).deadlines


async def test_webhook_token_is_required_when_set(warroom):
    warroom.settings.webhook_token = SecretStr("s3cret-token")
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
            response = await http.post("/v1/alerts/generic", json=fixture("generic"), headers=headers)
            assert response.status_code == 401 and "s3cret" not in response.text
        ok = await http.post("/v1/alerts/generic", json=fixture("generic"), headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 202
        warroom.track(ok.json()["incidents"][0])


async def test_oversized_and_malformed_bodies_are_4xx_with_reasons(gateway):
    big = {"alerts": [{**fixture("generic"), "summary": "x" * 1000, "dedup_key": f"k{i}"} for i in range(1100)]}
    response = await gateway.post("/v1/alerts/generic", json=big)
    assert response.status_code == 413 and "1024 KiB" in response.json()["detail"]
    async def chunks():  # no Content-Length: counted as it streams
        for _ in range(20):
            yield b"x" * 65536

    response = await gateway.post("/v1/alerts/generic", content=chunks())
    assert response.status_code == 413
    response = await gateway.post("/v1/alerts/generic", content=b"{not json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    response = await gateway.post("/v1/alerts/pagerduty", json={"routing_key": "k", "event_action": "trigger"})
    assert response.status_code == 422 and "payload is required" in response.json()["detail"]
    response = await gateway.post("/v1/incidents", json={"service": "checkout"})
    assert response.status_code == 422 and response.json()["detail"] == "title: Field required"


async def test_alert_endpoints_are_documented_post_only_and_say_when_temporal_is_down():
    class TemporalDown:
        async def route(self, intake):
            raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    app = create_app(Settings(config=None), client=None)  # type: ignore[arg-type]
    app.state.alert_router = TemporalDown()
    paths = app.openapi()["paths"]
    for source in ("alertmanager", "grafana", "pagerduty", "datadog", "generic"):
        documented = paths[f"/v1/alerts/{source}"]["post"]
        assert {"202", "400", "401", "413", "422", "503"} <= set(documented["responses"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        down = await http.post("/v1/alerts/generic", json=fixture("generic"))
        assert down.status_code == 503 and down.headers["retry-after"] == "1" and "Temporal unavailable" in down.json()["detail"]
        assert (await http.get("/v1/alerts/generic")).status_code == 405
        assert (await http.post("/v1/alerts/nagios", json={})).status_code == 404


async def test_declare_by_hand_is_idempotent_with_a_key_and_readable(gateway, warroom):
    body = {"title": "Checkout down", "service": "checkout", "severity": "sev1", "commander": "alice"}
    first = await gateway.post("/v1/incidents", json=body, headers={"Idempotency-Key": "deploy-42"})
    again = await gateway.post("/v1/incidents", json=body, headers={"Idempotency-Key": "deploy-42"})
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    incident_id = first.json()["id"]
    assert first.json()["temporal_ui"].endswith(f"/workflows/{incident_id}")
    state = await incident(warroom, incident_id)
    assert (state.severity, state.roles[m.Role.COMMANDER]) == (m.Severity.SEV1, "alice")
    shown = await gateway.get(f"/v1/incidents/{incident_id.removeprefix('inc-')}")
    assert shown.status_code == 200 and shown.json()["title"] == "Checkout down"
    missing = await gateway.get("/v1/incidents/inc-00000000")
    assert missing.status_code == 404 and "inc-00000000" in missing.json()["detail"]


async def test_a_declaration_says_when_impact_began_and_only_then_counts_time_to_detect(gateway, warroom):
    began = await gateway.post("/v1/incidents", json={"title": "Exports slow", "started_at": "2026-01-02T03:04:05Z"})
    unknown = await gateway.post("/v1/incidents", json={"title": "Exports slow"})
    future = await gateway.post("/v1/incidents", json={"title": "Exports slow", "started_at": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422 and "future" in future.text
    known, blank = [await incident(warroom, r.json()["id"]) for r in (began, unknown)]
    assert known.metrics.start_known and known.public()["metrics"]["time_to_detect"] > 0
    assert not blank.metrics.start_known and blank.public()["metrics"]["time_to_detect"] is None


async def test_health_and_metrics(gateway, warroom):
    assert (await gateway.get("/healthz")).json() == {"status": "ok"}
    answer = await post(gateway, "generic", fixture("generic"))
    warroom.track(answer["incidents"][0])
    await gateway.post("/v1/alerts/generic", json={"labels": {"x": "y"}})  # no title anywhere
    text = (await gateway.get("/metrics")).text
    assert 'warroom_alerts_received_total{outcome="joined",source="generic"} 1.0' in text
    assert 'warroom_requests_rejected_total{source="generic",status="422"} 1.0' in text
    assert 'warroom_alert_routing_seconds_count{source="generic"} 1.0' in text


async def test_answers_say_whether_the_alert_opened_or_joined_on_a_real_server(live_warroom):
    """The time-skipping server does not report whether a signal-with-start started the run."""
    app = create_app(live_warroom.settings, live_warroom.client)
    body = {**fixture("generic"), "dedup_key": f"live-{live_warroom.settings.task_queue}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        first = await post(http, "generic", body)
        second = await post(http, "generic", body)
    live_warroom.track(first["incidents"][0])
    assert [first["routed"][0]["outcome"], second["routed"][0]["outcome"]] == ["opened", "joined"]
    assert first["incidents"] == second["incidents"]


async def test_metrics_include_the_temporal_sdks(dev_env, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host, data_dir=tmp_path, config=None,
        sdk_metrics_address=f"127.0.0.1:{port}",
    )
    client = await connect(settings)
    app = create_app(settings, client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        assert (await http.get("/healthz")).status_code == 200
        text = (await http.get("/metrics")).text
    assert "# HELP warroom_alerts_received_total" in text and "temporal_request_total" in text
