"""PagerDuty webhooks v3 (issue 19): signed deliveries reach the incident whose
page PagerDuty opened (its `incident_key` is warroom's dedup key, the incident
id); an acknowledgement in PagerDuty stops warroom's escalation and names the
commander; a wrong or missing signature is 401 and changes nothing. Bodies:
tests/fixtures/pagerduty_webhooks (see SOURCES.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.support import Warroom
from warroom.pagerduty_events import signed

BODIES = Path(__file__).parent / "fixtures" / "pagerduty_webhooks"
SECRET = "pd-webhook-secret-0123456789"
OLD_SECRET = "pd-webhook-secret-retired"
CONFIG = """
[people.alice]
email = "alice@example.com"
pagerduty = "PXPGF42"

[people.bob]
pagerduty = "PAM4FGS"
"""


def delivery(event_type: str, incident_id: str) -> bytes:
    body: dict[str, Any] = json.loads((BODIES / f"{event_type}.json").read_text())
    body["event"]["data"]["incident_key"] = incident_id
    return json.dumps(body).encode()


def signature(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
async def warroom(env, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG)
    async with Warroom(env, tmp_path / "data", settings={"config": config, "pagerduty_webhook_secret": SECRET}) as w:
        yield w


@pytest.fixture
async def gateway(warroom):
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        yield http


async def post(http: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", **({"X-PagerDuty-Signature": signature} if signature else {})}
    return await http.post("/v1/pagerduty/webhooks", content=body, headers=headers)


def test_any_v1_signature_of_the_secret_will_do():
    body = b'{"event": {}}'
    assert signed(body, signature(body), SECRET)
    assert signed(body, f"{signature(body, OLD_SECRET)}, {signature(body)}", SECRET), "during a secret rotation"
    assert not signed(body, signature(body, OLD_SECRET), SECRET)
    assert not signed(body, signature(body).replace("v1=", "v0="), SECRET)
    assert not signed(body, None, SECRET) and not signed(body, "", SECRET)
    assert not signed(body + b" ", signature(body), SECRET), "over the raw body, byte for byte"


async def test_an_acknowledgement_in_pagerduty_stops_escalation_and_sets_the_commander(warroom, gateway):
    w = warroom
    handle = await w.declare("Checkout down", severity="SEV1", declared_by="alertmanager", source="alertmanager")
    before = await w.state(handle)
    assert "commander" not in before.roles and "page" in before.deadlines

    body = delivery("incident.acknowledged", handle.id)
    for wrong in (None, signature(body, OLD_SECRET), "v1=deadbeef", signature(body + b"x")):
        refused = await post(gateway, body, wrong)
        assert refused.status_code == 401, refused.text
    unchanged = await w.state(handle)
    assert unchanged.timeline == before.timeline and "page" in unchanged.deadlines

    accepted = await post(gateway, body, f"{signature(body, OLD_SECRET)},{signature(body)}")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
    state = await w.state(handle)
    assert state.roles["commander"] == "alice", "PagerDuty user PXPGF42 is alice"
    assert "page" not in state.deadlines and state.metrics.acknowledged_at is not None
    # An acknowledgement by a person is what makes an alert-opened SEV2 public.
    assert state.timeline[-1].text == (
        "alice acknowledged in PagerDuty and is incident commander; the incident is public on the status page now"
    )
    await w.env.sleep(timedelta(minutes=11))
    assert [p.step for p in (await w.state(handle)).pages] == [0], "no further escalation step"


async def test_resolution_and_reassignment_go_into_the_timeline_other_events_are_ignored(warroom, gateway):
    w = warroom
    handle = await w.declare("Checkout down", severity="SEV2", declared_by="alice")
    for event_type in ("incident.reassigned", "incident.escalated", "incident.resolved"):
        body = delivery(event_type, handle.id)
        assert (await post(gateway, body, signature(body))).json()["status"] == "accepted"
    ignored = delivery("incident.priority_updated", handle.id)
    answer = await post(gateway, ignored, signature(ignored))
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    state = await w.state(handle)
    texts = [(e.actor, e.text) for e in state.timeline if e.kind == "pagerduty"]
    assert texts == [
        ("alice", "reassigned in PagerDuty to bob"),
        ("pagerduty", "escalated in PagerDuty to bob"),
        ("bob", "resolved in PagerDuty (warroom resolves with `warroom resolve`)"),
    ]
    assert state.phase.value == "triage", "warroom resolves with a summary of its own"
    stranger = delivery("incident.acknowledged", "baf7cf21b1da41b4b0221008339ff357")
    assert (await post(gateway, stranger, signature(stranger))).json()["status"] == "ignored"
    gone = delivery("incident.acknowledged", "inc-00000000")
    assert (await post(gateway, gone, signature(gone))).json() == {"status": "ignored", "reason": "no open incident inc-00000000"}


@pytest.mark.parametrize(("body", "status", "reason"), [
    (b"{not json", 400, "not JSON"),
    (b'["event"]', 422, "not a PagerDuty webhook v3 event"),
    (b'{"event": {"id": "x", "event_type": "incident.acknowledged"}}', 422, "resource_type: Field required"),
    (b'{"event": {"id": "x", "event_type": "incident.acknowledged", "resource_type": "incident", '
     b'"occurred_at": "2026-05-20T14:00:00Z", "data": {"id": "P1", "type": "service"}}}', 422, "event.data: type: Input should be 'incident'"),
])
async def test_a_malformed_body_is_refused_with_a_reason(warroom, gateway, body, status, reason):
    answer = await post(gateway, body, signature(body))
    assert answer.status_code == status and reason in answer.json()["detail"], answer.text


async def test_without_a_secret_the_endpoint_is_off(env, tmp_path):
    async with Warroom(env, tmp_path) as w:
        app = create_app(w.settings, w.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            body = delivery("incident.acknowledged", "inc-1")
            answer = await post(http, body, signature(body))
    assert answer.status_code == 403 and "WARROOM_PAGERDUTY_WEBHOOK_SECRET" in answer.json()["detail"]
