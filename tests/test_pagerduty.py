"""Paging through PagerDuty: the Events API v2 client over real HTTP against the
fake, and incidents that page, hear the acknowledgement back and resolve there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.exceptions import ApplicationError

from activities.pagerduty import PagerDutyEvents
from warroom.rules.requests import PageRequest
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import Served, json_response
from tests.support import Warroom
from warroom.models import Severity
from warroom.report import Facts, on_call_load
from gateway.app import create_app

ROUTING_KEY = "R0UT1NGKEY0000000000000000000042"


@pytest.fixture
def fake():
    pagerduty = FakePagerDuty()
    served = Served(pagerduty.app).start()
    pagerduty.url = f"{served.url}/v2/enqueue"
    yield pagerduty
    served.stop()


def page(severity: Severity = Severity.SEV1) -> PageRequest:
    return PageRequest(
        incident_id="inc-1", service="checkout", severity=severity, title="Checkout down", target="primary", step=0,
        at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC), incident_url="http://ui.test/inc-1", idempotency_key="inc-1:5",
    )


async def test_a_page_is_one_pagerduty_incident_keyed_by_the_incident_id(fake):
    events = PagerDutyEvents(ROUTING_KEY, fake.url)
    assert await events.trigger(page(), group="payments") == "inc-1"
    assert await events.trigger(page(), group="payments") == "inc-1", "a retried trigger"
    [incident] = fake.incidents
    assert incident["dedup_key"] == "inc-1" and incident["status"] == "triggered" and len(incident["alerts"]) == 2
    sent = fake.events[0]
    assert sent["payload"] | {"custom_details": None} == {
        "summary": "SEV1 inc-1: Checkout down", "source": "warroom/checkout", "severity": "critical",
        "component": "checkout", "group": "payments", "timestamp": "2026-12-02T10:00:00+00:00",
        "custom_details": None,
    }
    assert sent["payload"]["custom_details"]["acknowledge"] == "warroom ack inc-1"
    assert sent["links"] == [{"href": "http://ui.test/inc-1", "text": "warroom incident inc-1"}]
    await events.send("acknowledge", "inc-1")
    assert incident["status"] == "acknowledged"
    await events.send("resolve", "inc-1")
    assert incident["status"] == "resolved" and incident["log"] == ["trigger", "trigger", "acknowledge", "resolve"]


@pytest.mark.parametrize(("severity", "expected"), [(Severity.SEV2, "error"), (Severity.SEV3, "warning"), (Severity.SEV4, "info")])
async def test_severities_map_to_pagerdutys(fake, severity, expected):
    await PagerDutyEvents(ROUTING_KEY, fake.url).trigger(page(severity))
    assert fake.events[0]["payload"]["severity"] == expected


async def test_an_invalid_event_is_final_with_pagerdutys_reason_and_no_key():
    # A routing key of the wrong length is the usual misconfiguration.
    pagerduty = FakePagerDuty()
    served = Served(pagerduty.app).start()
    try:
        with pytest.raises(ApplicationError, match=r"HTTP 400.*Length of 'routing_key' is incorrect") as err:
            await PagerDutyEvents("too-short", f"{served.url}/v2/enqueue").trigger(page())
    finally:
        served.stop()
    assert err.value.non_retryable and "too-short" not in str(err.value)
    assert pagerduty.incidents == []


async def test_the_fake_refuses_what_pagerduty_refuses(fake):
    async with httpx.AsyncClient() as http:
        for body, reason in [
            ({"event_action": "trigger"}, "'routing_key' is missing or blank"),
            ({"routing_key": ROUTING_KEY, "event_action": "page"}, "'event_action' is invalid"),
            ({"routing_key": ROUTING_KEY, "event_action": "resolve"}, "'dedup_key' is missing or blank"),
            ({"routing_key": ROUTING_KEY, "event_action": "trigger", "payload": {"summary": "x", "severity": "high"}},
             "'payload.source' is missing or blank"),
        ]:
            answer = await http.post(fake.url, json=body)
            assert answer.status_code == 400 and answer.json()["status"] == "invalid event"
            assert any(reason in e for e in answer.json()["errors"]), answer.json()


async def test_rate_limits_and_outages_are_retried_without_a_second_incident(fake):
    events = PagerDutyEvents(ROUTING_KEY, fake.url)
    fake.faults.fail_next(json_response({"status": "throttle event", "message": "slow down"}, 429, {"Retry-After": "3"}))
    with pytest.raises(ApplicationError, match="rate limited") as err:
        await events.trigger(page())
    assert not err.value.non_retryable and err.value.next_retry_delay == timedelta(seconds=3)
    # The event lands but the answer is lost: the retry folds into the same incident.
    fake.faults.fail_next(json_response({"status": "error", "message": "Internal Server Error"}, 500), after_apply=True)
    with pytest.raises(ApplicationError, match="HTTP 500") as err:
        await events.trigger(page())
    assert not err.value.non_retryable
    assert await events.trigger(page()) == "inc-1"
    assert len(fake.incidents) == 1


async def test_an_unreachable_pagerduty_is_retryable():
    with pytest.raises(ApplicationError, match="ConnectError") as err:
        await PagerDutyEvents(ROUTING_KEY, "http://127.0.0.1:9/v2/enqueue").send("resolve", "inc-1")
    assert not err.value.non_retryable


# --- incidents paging through PagerDuty ---------------------------------------------


@pytest.fixture
async def paged_warroom(env, tmp_path, fake):
    settings = {"pagerduty_routing_key": ROUTING_KEY, "pagerduty_events_url": fake.url}
    async with Warroom(env, tmp_path, settings=settings) as warroom:
        yield warroom


def page_steps(state) -> list[str]:
    return [e.text for e in state.timeline if e.kind in ("page", "paged")]


async def test_pagerduty_acknowledgement_stops_escalation_and_resolve_reaches_pagerduty(paged_warroom, fake):
    warroom = paged_warroom
    handle = await warroom.declare("Payments down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    state = await warroom.state(handle)
    assert page_steps(state) == ["paging primary on-call (step 1)", "paged PagerDuty on-call (primary) via pagerduty"]
    [incident] = fake.incidents
    assert incident["dedup_key"] == handle.id and incident["alerts"][0]["payload"]["severity"] == "critical"
    assert "page" in state.deadlines

    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as gateway:
        ack = {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": handle.id}
        answer = await gateway.post("/v1/alerts/pagerduty", json=ack)
        assert answer.status_code == 202 and answer.json()["routed"][0]["outcome"] == "acknowledged"
        refused = await gateway.post("/v1/alerts/pagerduty", json={**ack, "dedup_key": None})
        assert refused.status_code == 422 and "dedup_key is required" in refused.text
    state = await warroom.state(handle)
    assert "page" not in state.deadlines and state.metrics.acknowledged_at is not None
    assert state.roles["commander"] == "pagerduty"

    await warroom.env.sleep(timedelta(minutes=30))
    state = await warroom.state(handle)
    assert len(page_steps(state)) == 2, "no step after the acknowledgement"
    assert [e["event_action"] for e in fake.events] == ["trigger"], "PagerDuty's own acknowledgement is not echoed"

    await warroom.send(handle, "resolve", summary="rolled back")
    await warroom.state(handle)
    assert [e["event_action"] for e in fake.events] == ["trigger", "resolve"]
    assert incident["status"] == "resolved" and len(fake.incidents) == 1


async def test_warroom_escalates_through_chat_and_its_acknowledgement_reaches_pagerduty(paged_warroom, fake):
    warroom = paged_warroom
    handle = await warroom.declare("DB down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    await warroom.env.sleep(timedelta(minutes=6))
    state = await warroom.state(handle)
    assert [e.text for e in state.timeline if e.kind == "paged"] == [
        "paged PagerDuty on-call (primary) via pagerduty", "paged secondary (secondary) via chat"]
    assert [p.via for p in state.pages] == ["pagerduty", "chat"]
    load = on_call_load([Facts.of(state)])
    assert load["secondary"].pages == 1 and "PagerDuty on-call" not in load, "whom PagerDuty woke is its to report"
    await warroom.send(handle, "acknowledge", by="erin")
    await warroom.state(handle)
    [incident] = fake.incidents
    assert incident["dedup_key"] == handle.id and incident["status"] == "acknowledged"
    assert [e["event_action"] for e in fake.events] == ["trigger", "acknowledge"]


async def test_without_a_routing_key_pages_stay_in_chat(warroom):
    handle = await warroom.declare("DB down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    await warroom.send(handle, "acknowledge", by="erin")
    await warroom.send(handle, "resolve", summary="fixed")
    state = await warroom.state(handle)
    assert [p.via for p in state.pages] == ["chat"]
    assert not any("PagerDuty" in e.text for e in state.timeline)


async def test_an_acknowledgement_before_the_page_landed_still_reaches_pagerduty(paged_warroom, fake):
    fake.faults.fail_next(json_response({"status": "throttle event", "message": "slow down"}, 429, {"Retry-After": "2"}))
    warroom = paged_warroom
    handle = await warroom.declare("DB down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    await warroom.send(handle, "acknowledge", by="erin")
    assert fake.incidents == [], "the trigger is still waiting out the rate limit"
    await warroom.send(handle, "resolve", summary="fixed")
    state = await warroom.state(handle)
    assert [p.via for p in state.pages] == ["pagerduty"]
    assert [e["event_action"] for e in fake.events] == ["trigger", "acknowledge", "resolve"]
    assert fake.incidents[0]["status"] == "resolved"


async def test_a_page_links_the_incident_channel_once_it_is_open(fake):
    from warroom.models import ChannelRef

    channel = ChannelRef(id="C024BE91L", name="incident-2026-12-02-checkout-down", url="https://acme.slack.com/archives/C024BE91L")
    await PagerDutyEvents(ROUTING_KEY, fake.url).trigger(page().model_copy(update={"channel": channel}))
    sent = fake.events[0]
    assert {"href": "https://acme.slack.com/archives/C024BE91L", "text": "incident channel #incident-2026-12-02-checkout-down"} in sent["links"]
    assert sent["payload"]["custom_details"]["channel"] == "#incident-2026-12-02-checkout-down"
