"""Maintenance windows on the time-skipping server: a window swallows a storm
(recorded, counted, no incident, no page) and the alert still firing when it
ends opens exactly one incident then; ending early releases at once; windows
scheduled in warroom.toml hold alerts the same way."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from temporalio.service import RPCError

from client.router import chain_id
from gateway.app import create_app
from store.alerting import AlertRecords, MaintenanceWindows
from tests.support import Warroom
from warroom.alerts import ReleasedAlerts
from warroom.maintenance import MaintenanceWindow, ScheduledWindow, covering

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
EXTERNAL = "http://alertmanager.example.com:9093|warroom|"


def notification(group: str, status: str, fingerprint: str = "a1", service: str = "checkout") -> dict[str, Any]:
    body = json.loads((FIXTURES / "alertmanager.json").read_text())
    body["groupKey"], body["status"] = group, status
    alert = copy.deepcopy(body["alerts"][0])
    alert.update(status=status, fingerprint=fingerprint)
    alert["labels"]["service"] = service
    body["commonLabels"]["service"] = service
    body["alerts"] = [alert]
    return body


@pytest.fixture
async def gateway(env, tmp_path):
    async with Warroom(env, tmp_path) as warroom:
        app = create_app(warroom.settings, warroom.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            http.app = app  # type: ignore[attr-defined]
            yield warroom, http


async def post(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/v1/alerts/alertmanager", json=body)
    assert response.status_code == 202, response.text
    return response.json()


async def exists(warroom: Warroom, workflow_id: str) -> bool:
    try:
        await warroom.client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return False
    return True


async def test_a_window_swallows_a_storm_and_the_alert_outliving_it_opens_one_incident(gateway):
    warroom, http = gateway
    started = await http.post("/v1/maintenance", json={"service": "checkout", "for": "2h", "reason": "db upgrade", "by": "alice"})
    assert started.status_code == 201, started.text
    window = started.json()

    for i in range(30):  # the storm: a flapping alert that ends resolved, and one that keeps firing
        answer = await post(http, notification("flapping", "firing" if i % 2 == 0 else "resolved"))
        assert answer["incidents"] == [] and answer["routed"][0]["outcome"] == "held"
        answer = await post(http, notification("stuck", "firing", fingerprint=f"{i % 3:016x}"))
        assert answer["incidents"] == [] and answer["routed"][0]["outcome"] == "held"
    other = await post(http, notification("search-down", "firing", service="search"))  # outside the window
    warroom.track(other["incidents"][0])
    assert other["routed"][0]["outcome"] in ("opened", "joined")

    stuck, flapping = chain_id("alertmanager", EXTERNAL + "stuck"), chain_id("alertmanager", EXTERNAL + "flapping")
    assert not await exists(warroom, stuck) and not await exists(warroom, flapping), "nothing opened during the window"
    metrics = (await http.get("/metrics")).text
    assert 'warroom_alerts_received_total{outcome="held",source="alertmanager"} 60.0' in metrics

    await warroom.env.sleep(timedelta(hours=2, minutes=1))
    released = await warroom.client.get_workflow_handle(f"maintenance-{window['id']}", result_type=ReleasedAlerts).result()
    warroom.track(stuck)
    assert released.incidents == [stuck] and released.held == 4 and released.released == 3
    state = await warroom.state(warroom.client.get_workflow_handle(stuck))
    assert len(state.alerts) == 3 and state.service == "checkout"
    assert not await exists(warroom, flapping), "resolved by the window's end: never opened"

    await http.app.state.alert_log.flush()
    records = await AlertRecords(warroom.database).since(datetime.now(UTC) - timedelta(hours=1))
    assert sum(r.outcome == "held" for r in records) == 60 and len(records) == 61


async def test_ending_a_window_early_releases_what_it_held(gateway):
    warroom, http = gateway
    window = (await http.post("/v1/maintenance", json={"service": "*", "for": "8h", "reason": "failover drill"})).json()
    assert (await post(http, notification("early", "firing")))["routed"][0]["outcome"] == "held"
    listed = (await http.get("/v1/maintenance")).json()
    assert [w["id"] for w in listed] == [window["id"]]
    ended = await http.post(f"/v1/maintenance/{window['id']}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    released = await warroom.client.get_workflow_handle(f"maintenance-{window['id']}", result_type=ReleasedAlerts).result()
    warroom.track(released.incidents[0])
    assert released.incidents == [chain_id("alertmanager", EXTERNAL + "early")]
    assert (await http.get("/v1/maintenance")).json() == []
    assert (await http.post("/v1/maintenance/mw-unknown/end")).status_code == 404
    refused = await http.post("/v1/maintenance", json={"service": "checkout", "for": "soon", "reason": "x"})
    assert refused.status_code == 422 and "for" in refused.text


def test_scheduled_windows_need_an_end_a_zone_and_cover_their_service():
    start = datetime(2026, 12, 5, 22, tzinfo=UTC)
    window = ScheduledWindow.model_validate({"service": "checkout", "start": start, "for": "3h", "reason": "upgrade"}).window()
    assert window.ends_at == start + timedelta(hours=3) and window.id.startswith("mw-cfg-")
    assert covering([window], "checkout", start + timedelta(hours=1)) == window
    assert covering([window], "search", start + timedelta(hours=1)) is None
    assert covering([window], "checkout", start + timedelta(hours=3)) is None
    for bad in ({"for": "1h", "end": start}, {}, {"start": start.replace(tzinfo=None), "for": "1h"}, {"end": start - timedelta(hours=1)}):
        with pytest.raises(ValidationError):
            ScheduledWindow.model_validate({"service": "checkout", "start": start, "reason": "x", **bad})


async def test_windows_are_kept_in_the_database(warroom):
    store = MaintenanceWindows(warroom.database)
    now = datetime.now(UTC)
    window = MaintenanceWindow(id="mw-1", service="checkout", starts_at=now, ends_at=now + timedelta(hours=2), reason="r", created_by="bob")
    await store.add(window)
    assert [w.id for w in await store.current(now)] == ["mw-1"]
    ended = await store.end("mw-1", now + timedelta(minutes=5))
    assert ended and ended.until == now + timedelta(minutes=5)
    assert await store.current(now + timedelta(minutes=6)) == []
    assert await store.end("mw-2", now) is None


async def test_silence_open_holds_the_pages_of_the_services_open_incidents_until_the_end(live_warroom):
    """On a real dev server, whose visibility finds the open incidents by service."""
    warroom = live_warroom
    handle = await warroom.declare("Checkout errors", service=f"svc-{warroom.settings.task_queue}", severity="SEV1")
    service = f"svc-{warroom.settings.task_queue}"
    app = create_app(warroom.settings, warroom.client)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        for _ in range(100):  # visibility is eventually consistent
            if [w async for w in warroom.client.list_workflows(f"IncidentService = '{service}'")]:
                break
            await asyncio.sleep(0.1)
        started = await http.post("/v1/maintenance", json={"service": service, "for": "2h", "reason": "db upgrade", "silence_open": True})
        assert started.status_code == 201 and started.json()["pages_held"] == [handle.id], started.text
        state = await warroom.state(handle)
        for _ in range(50):
            if "pages_held" in state.deadlines:
                break
            await asyncio.sleep(0.1)
            state = await warroom.state(handle)
        assert state.deadlines["page"].due == state.deadlines["pages_held"].due, "the next escalation waits for the end"
        ended = await http.post(f"/v1/maintenance/{started.json()['id']}/end")
        assert ended.json()["pages_released"] == [handle.id]
        for _ in range(50):
            state = await warroom.state(handle)
            if state.deadlines["pages_held"].met_at:
                break
            await asyncio.sleep(0.1)
        assert state.deadlines["pages_held"].met_at and any(e.text.startswith("pages released") for e in state.timeline)
