"""The page-delivery canary on a real dev server: its synthetic alert goes
through the real gateway over HTTP, its incident pages the canary target and
closes itself, its latency is on `/metrics`; when it cannot page in time the
on-call is paged directly through a PagerDuty Events v2 fake, once."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
from pydantic import SecretStr

from client.temporal import connect
from gateway.reading import build_report
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import Served
from tests.support import Warroom, serve_gateway
from warroom.settings import Settings
from worker.schedules import canary_schedule_id, ensure_canary_schedule
from workflows.canary import CanaryOutcome, CanaryPlan, CanaryWorkflow

ROUTING_KEY = "c" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def target(dev_env) -> str:
    return dev_env.client.service_client.config.target_host


async def run_canary(w: Warroom, deadline: timedelta) -> CanaryOutcome:
    return await w.client.execute_workflow(
        CanaryWorkflow.run, CanaryPlan(deadline=deadline), id=f"canary-{uuid.uuid4().hex[:8]}",
        task_queue=w.settings.task_queue, result_type=CanaryOutcome,
    )


async def test_a_canary_pages_its_target_closes_itself_and_its_latency_is_on_metrics(dev_env, tmp_path):
    metrics_address = f"127.0.0.1:{free_port()}"  # one SDK runtime for worker and gateway, as in `warroom up`
    client = await connect(Settings(temporal_address=target(dev_env), sdk_metrics_address=metrics_address))
    settings = {"temporal_address": target(dev_env), "sdk_metrics_address": metrics_address}
    async with Warroom(SimpleNamespace(client=client), tmp_path, settings) as w, serve_gateway(w.settings, client) as url:
        w.settings.public_url = url  # where the canary sends its alert
        outcome = await run_canary(w, timedelta(seconds=60))
        assert outcome.missed is None and outcome.latency is not None and outcome.latency > timedelta(0)
        state = await client.get_workflow_handle(outcome.incident_id).result()
        assert state["phase"] == "closed" and state["service"] == "warroom-canary"
        assert [(p["user"], p["via"]) for p in state["pages"]] == [("warroom-canary", "chat")]
        assert state["channel"] is None and state["status_page"] is None, "a canary opens no channel and posts no status"
        [page] = await w.direct_messages("warroom-canary")
        assert page.startswith(":rotating_light: You are paged (warroom-canary, step 1)") and outcome.incident_id in page
        report = await build_report(w.settings, "all", "22-7", datetime.now(UTC))
        assert report.overall.incidents == 0, "a canary stays out of the archive and every report"
        async with httpx.AsyncClient(base_url=url) as http:
            text = (await http.get("/metrics")).text
        assert "warroom_canary_page_latency_seconds_count" in text and "warroom_canary_completed_total" in text
        assert 'warroom_page_latency_seconds_count{' in text, "the canary's page counts as a page"


async def test_a_canary_that_cannot_page_pages_the_on_call_through_pagerduty_once(dev_env, tmp_path):
    pagerduty = FakePagerDuty()
    served = Served(pagerduty.app).start()
    dead = f"http://127.0.0.1:{free_port()}"
    settings = {
        "temporal_address": target(dev_env), "slack_bot_token": "xoxb-canary", "slack_api_url": f"{dead}/api/",
        "canary_target": "U0CANARYBOT",  # a Slack user id, as Slack wants
        "canary_routing_key": SecretStr(ROUTING_KEY), "pagerduty_events_url": f"{served.url}/v2/enqueue",
    }
    try:
        async with Warroom(dev_env, tmp_path, settings) as w, serve_gateway(w.settings, w.client) as url:
            w.settings.public_url = url
            # Slack unreachable: the canary incident's page cannot go out.
            stuck = await run_canary(w, timedelta(seconds=4))
            w.track(stuck.incident_id)
            assert stuck.missed and "page_responder attempt" in stuck.missed and "Slack" in stuck.missed
            assert len(pagerduty.events) == 1
            event = pagerduty.events[0]
            assert event["event_action"] == "trigger" and event["payload"]["severity"] == "critical"
            summary = event["payload"]["summary"]
            assert summary.startswith("warroom canary: no page 4 s after its alert: incident ") and stuck.incident_id in summary
            # A target Slack cannot know (a name, not a user id): the miss says so, not what failed after.
            w.settings.canary_target = "warroom-canary"
            unknown = await run_canary(w, timedelta(seconds=4))
            w.track(unknown.incident_id)
            assert unknown.missed and "closed without a page: canary page failed" in unknown.missed
            assert "no Slack identity" in unknown.missed and len(pagerduty.events) == 2
            # The gateway gone too: the next canary misses for another reason, and PagerDuty keeps one incident.
            w.settings.public_url = dead
            again = await run_canary(w, timedelta(seconds=3))
            assert again.incident_id is None and "the gateway did not take the canary alert" in (again.missed or "")
            assert len(pagerduty.events) == 3 and len(pagerduty.incidents) == 1
            assert pagerduty.incidents[0]["dedup_key"] == f"{w.settings.task_queue}-canary-missed"
    finally:
        served.stop()


async def test_the_canary_schedule_follows_the_setting(dev_env, tmp_path):
    settings = Settings(temporal_address=target(dev_env), task_queue=f"warroom-canary-{uuid.uuid4().hex[:8]}", canary_every="5m")
    await ensure_canary_schedule(dev_env.client, settings)
    described = await dev_env.client.get_schedule_handle(canary_schedule_id(settings)).describe()
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=5)
    await ensure_canary_schedule(dev_env.client, settings.model_copy(update={"canary_every": None}))
    assert canary_schedule_id(settings) not in [s.id async for s in await dev_env.client.list_schedules()]
