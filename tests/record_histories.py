"""Record workflow histories from real runs for the replay test (`make histories`).

One file per scenario. Until warroom 1.0.0 is released, a change to the
workflow re-records them all (README, "Changing the workflow"); from then on
they stand for incidents already running, and a change that would break their
replay needs a `workflow.patched` guard and a new history beside the old.

`COVERS` names what a scenario's history must contain; the recorder and
tests/test_replay.py both check it, so a scenario cannot silently stop
covering a path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from tests.support import Warroom
from client.incidents import start_incident
from client.router import chain_id
from client.temporal import ensure_search_attributes
from warroom.alerts import AlertBatch, AlertEvent, AlertRouting
from warroom import models as m

HISTORIES = Path(__file__).parent / "histories"


async def sev1_full_lifecycle(w: Warroom):
    h = await w.declare("Checkout down", severity="SEV1", impact={"user_share": 0.7, "description": "checkout fails"})
    await w.send(h, "acknowledge", by="bob")
    await w.send(h, "assign", role="ops_lead", user="carol")
    await w.send(h, "assign", role="comms_lead", user="dave")
    await w.env.sleep(timedelta(minutes=35))  # the executive summary after 20m
    await w.send(h, "mitigate", action="rollback", description="v41", checklist={
        "no_irreversible_migrations": True, "no_irreversible_side_effects": True, "known_good_target": True})
    await h.signal("update", {"by": "carol", "status": "identified", "message": "bad deploy", "public": "All fine"})
    await w.send(h, "update", status="identified", message="bad deploy", by="dave", public="Checkout is failing; a fix is rolling out.",
                 components="Checkout=partial_outage", eta="15 min")
    await w.send(h, "resolve", summary="rolled back")
    await w.env.sleep(timedelta(minutes=31))
    await w.send(h, "action_item", title="Canary deploys", owner="carol", due=str(date.today() + timedelta(days=30)))
    await w.env.sleep(timedelta(hours=30))
    await w.send(h, "postmortem", event="submitted", link="https://wiki/pm")
    await w.send(h, "postmortem", event="reviewed")
    await h.result()
    return h


async def sev3_alerts_recur_and_escalate(w: Warroom):
    h = await w.declare("Disk filling", severity="SEV3", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "g", "fingerprint": "f", "name": "DiskFull"}
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await h.execute_update("alerts", {"alerts": [alert, {**alert, "fingerprint": "f2"}]}, result_type=dict)
    await h.signal("resolve", {"by": "bob"})
    await w.send(h, "resolve", summary="cleaned up")
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await w.send(h, "escalate", severity="SEV2", reason="spreading")
    await w.send(h, "downgrade", severity="SEV3", reason="contained")
    await w.send(h, "resolve", summary="bigger disk")
    # It was a SEV2 at its peak: the postmortem stays owed after the downgrade.
    await w.send(h, "postmortem", event="submitted", link="https://wiki/pm-disk", by="bob")
    await w.send(h, "postmortem", event="reviewed", no_action="disks now grow with the volume", by="bob")
    await h.result()
    return h


async def auto_resolved_alert(w: Warroom):
    h = await w.declare("Flappy probe", severity="SEV4", source="alertmanager", declared_by="alertmanager")
    alert = {"source": "alertmanager", "dedup_key": "p", "fingerprint": "p", "name": "ProbeFailed"}
    await h.execute_update("alerts", {"alerts": [alert]}, result_type=dict)
    await h.execute_update("alerts", {"alerts": [{**alert, "status": "resolved"}]}, result_type=dict)
    await h.result()
    return h


async def canary_pages_and_closes(w: Warroom):
    """The page-delivery canary's incident: its alert, one page to the canary target, closed."""
    inp = m.IncidentInput(title="WarroomCanary", service="warroom-canary", severity="SEV4", source="generic",
                          declared_by="generic", canary="warroom-canary")
    alert = AlertEvent(source="generic", dedup_key="canary", fingerprint="canary", name="WarroomCanary", service="warroom-canary")
    handle = await start_incident(
        w.client, w.settings, "inc-canary0001", inp, start_signal="alerts", start_signal_args=[AlertBatch(alerts=[alert])],
    )
    w.track(handle.id)
    await handle.result()
    return handle


# --- an alert-opened SEV2 through escalation, reminders, reopen, the signals gate and late alerts

CHECKOUT_POLICY = """
[severities.SEV2]
roles_required_within = "10m"

[services.checkout]
team = "payments"

[[services.checkout.escalation]]
target = "primary"
[[services.checkout.escalation]]
target = "secondary"
after = "5m"
[[services.checkout.escalation]]
target = "eng-manager"
after = "15m"

[services.checkout.signals]
latency = "max(checkout_latency_p99_seconds)"
traffic = "sum(rate(checkout_requests_total[5m]))"
errors = "max(checkout_error_ratio)"
errors_max = 0.01
latency_max = 0.5
"""
# What the fake Prometheus answers: a recovered checkout, so verify closes on evidence.
CHECKOUT_SIGNALS = {
    "max(checkout_latency_p99_seconds)": "0.21",
    "sum(rate(checkout_requests_total[5m]))": "118.5",
    "max(checkout_error_ratio)": "0.002",
}
CHECKOUT_ALERT = {
    "source": "alertmanager", "dedup_key": "checkout-5xx", "fingerprint": "c5", "name": "CheckoutErrors",
    "summary": "5xx above 1%", "service": "checkout", "severity": "SEV2",
}


@contextlib.contextmanager
def fake_prometheus(values: dict[str, str]) -> Iterator[str]:
    """Prometheus's `/api/v1/query` as its HTTP API documents it: an instant
    vector per known expression (now or at `time`), `bad_data` for any other."""

    class Query(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/api/v1/query":
                self.send_error(404)
                return
            params = parse_qs(url.query)
            expr = params.get("query", [""])[0]
            at = float(params.get("time", ["1767225600"])[0])
            if expr in values:
                status, body = 200, {"status": "success", "data": {
                    "resultType": "vector", "result": [{"metric": {}, "value": [at, values[expr]]}]}}
            else:
                status, body = 400, {"status": "error", "errorType": "bad_data", "error": f"unknown expression {expr!r}"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Query)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def checkout_with_signals(tmp: Path) -> Iterator[dict[str, Any]]:
    policy = tmp / "warroom.toml"
    policy.write_text(CHECKOUT_POLICY)
    with fake_prometheus(CHECKOUT_SIGNALS) as url:
        yield {"config": policy, "prometheus_url": url}


async def until_state(w: Warroom, h: Any, what: str, ok: Callable[[m.IncidentState], bool]) -> m.IncidentState:
    for _ in range(400):
        state = await w.state(h)
        if ok(state):
            return state
        await asyncio.sleep(0.025)
    raise AssertionError(f"{h.id}: never {what}")


async def sev2_escalation_reopen_and_alerts_after_verify(w: Warroom):
    """Opened by an alert on its chain's first id (so passing alerts on works):
    the page escalates unacknowledged, roles stay unstaffed past their deadline,
    a scribe who is not the commander, a note, a manual reopen, a requested
    draft, the golden-signals gate, and an alert after verify passed on."""
    alert = AlertEvent.model_validate(CHECKOUT_ALERT)
    incident = chain_id(alert.source, alert.dedup_key)
    h = await start_incident(w.client, w.settings, incident, m.IncidentInput(
        title="CheckoutErrors: 5xx above 1%", service="checkout", severity="SEV2", source="alertmanager", declared_by="alertmanager",
    ))
    w.track(h.id)
    w.track(chain_id(alert.source, alert.dedup_key, 2))  # the recurrence the late alert opens
    await h.execute_update("alerts", AlertBatch(alerts=[alert]), result_type=AlertRouting)

    await w.env.sleep(timedelta(minutes=6))  # primary did not acknowledge within 5m: secondary
    await until_state(w, h, "paged secondary", lambda s: [p.target for p in s.pages] == ["primary", "secondary"])
    await w.send(h, "acknowledge", by="bob")

    await w.env.sleep(timedelta(minutes=5))  # roles required within 10m of declaration
    await until_state(w, h, "reminded of unassigned roles", lambda s: any(
        e.kind == "reminder" and e.text.startswith("unassigned roles") for e in s.timeline))
    await w.send(h, "assign", role="ops_lead", user="carol", by="bob")
    await w.send(h, "assign", role="comms_lead", user="dave", by="bob")
    await w.send(h, "assign", role="scribe", user="erin", by="bob")
    await w.send(h, "note", text="5xx only from the eu-west pods", by="carol")
    await w.send(h, "mitigate", action="other", description="restarted the eu-west pods", by="carol")
    await w.send(h, "resolve", summary="restarted eu-west", by="bob")

    await w.env.sleep(timedelta(minutes=10))
    await w.send(h, "reopen", reason="5xx back once the caches warmed", by="bob")
    await w.send(h, "draft_postmortem", by="erin")
    await w.send(h, "resolve", summary="rolled back the cache config", by="bob")

    await w.env.sleep(timedelta(minutes=31))  # the window ends on the golden signals
    await until_state(w, h, "in learn", lambda s: s.phase is m.Phase.LEARN)
    late = alert.model_copy(update={"fingerprint": "c5-late"})
    await h.signal("alerts", AlertBatch(alerts=[late]))
    await until_state(w, h, "passed the late alert on", lambda s: any(e.kind == "recurrence" for e in s.timeline))
    await w.send(h, "draft_postmortem", by="bob")  # in learn: goes to the scribe
    await w.send(h, "postmortem", event="submitted", link="https://wiki/pm-checkout", by="erin")
    await w.send(h, "postmortem", event="reviewed", by="bob", no_action="the cache config change is already reverted for good")
    await h.result()
    return h


async def sev1_drill_downgraded_and_waived(w: Warroom):
    """A drill (pages and messages only to its participants), downgraded after
    resolution: it keeps its SEV1 postmortem duty until the commander waives it."""
    h = await w.declare("Orders lost", severity="SEV1", commander="dana", drill={"participants": ["dana", "eli"]})
    await w.env.sleep(timedelta(minutes=6))
    await w.send(h, "acknowledge", by="eli")
    await w.send(h, "resolve", summary="failed over", by="dana")
    await w.send(h, "downgrade", severity="SEV3", reason="one test shard only", by="dana")
    await w.env.sleep(timedelta(minutes=31))
    await until_state(w, h, "in learn", lambda s: s.phase is m.Phase.LEARN)
    await w.send(h, "postmortem", event="waived", reason="the drill's own review covers it", by="dana")
    await h.result()
    return h


SCENARIOS = [
    sev1_full_lifecycle, sev3_alerts_recur_and_escalate, auto_resolved_alert, sev2_escalation_reopen_and_alerts_after_verify,
    sev1_drill_downgraded_and_waived, canary_pages_and_closes,
]
# Stakeholders and a status-page component for the SEV1.
STAKEHOLDERS_POLICY = """
[services.checkout]
components = ["Checkout"]

[stakeholders]
announce = "#incidents"
executives = ["vp-eng"]
executive_every = "20m"
"""


@contextlib.contextmanager
def checkout_with_stakeholders(tmp: Path) -> Iterator[dict[str, Any]]:
    policy = tmp / "warroom.toml"
    policy.write_text(STAKEHOLDERS_POLICY)
    yield {"config": policy}


SETTINGS: dict[Callable[..., Any], Callable[[Path], contextlib.AbstractContextManager[dict[str, Any]]]] = {
    sev1_full_lifecycle: checkout_with_stakeholders,
    sev2_escalation_reopen_and_alerts_after_verify: checkout_with_signals,
}

# What a history must contain: activity and timer summaries, and the messages
# it took (`update:<name>`, `signal:<name>`), each at least this often.
COVERS: dict[str, dict[str, int]] = {
    "canary_pages_and_closes": {"Canary: page warroom-canary": 1},
    "sev1_drill_downgraded_and_waived": {
        "Page primary on-call for checkout": 1,
        "Page secondary on-call for checkout": 1,
        "update:downgrade": 1,
        "Postmortem draft due": 1,  # the duty of the peak severity, after the downgrade
        "update:postmortem": 1,
    },
    "sev1_full_lifecycle": {
        "Status page: investigating": 1,  # declared by a person: public at once
        "signal:update": 1,  # carol's public text, refused
        "Status page: identified": 1,  # dave's
        "Status page: monitoring": 1,
        "Status page: resolved": 1,
        "Announce to stakeholders in #incidents": 3,  # declared, resolved, closed
        "Executive summary (SEV1, every 20m)": 1,  # its timer
        "Executive summary to vp-eng": 1,
    },
    "sev2_escalation_reopen_and_alerts_after_verify": {
        "Page primary on-call for checkout": 1,
        "Status page: investigating": 2,  # public once bob acknowledged, again on reopening
        "Page secondary on-call for checkout if unacknowledged": 1,  # the escalation's timer
        "Page secondary on-call for checkout": 1,
        "update:acknowledge": 1,
        "Check incident roles are staffed": 1,  # the roles deadline's timer
        "Remind: roles unassigned": 1,
        "update:assign": 3,
        "Announce scribe": 1,
        "update:note": 1,
        "update:reopen": 1,
        "Announce reopening": 1,
        "update:draft_postmortem": 2,
        "Write postmortem draft": 3,  # two requested, one as it left verify
        "Post postmortem draft link": 2,
        "Send postmortem draft to erin": 1,
        "Golden signals at declaration": 1,
        "Golden signals at resolve": 2,
        "Golden signals at end of verify window": 1,
        "signal:alerts": 1,
        "Pass alerts on to the next incident": 1,
    },
}


def steps(history: WorkflowHistory) -> Counter[str]:
    """What a history did: the summary of every activity and timer it started,
    and the name of every message it took."""
    found: Counter[str] = Counter()
    for e in history.events:
        match e.event_type:
            case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED | EventType.EVENT_TYPE_TIMER_STARTED:
                found[json.loads(e.user_metadata.summary.data)] += 1
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                found[f"update:{e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name}"] += 1
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
                found[f"signal:{e.workflow_execution_signaled_event_attributes.signal_name}"] += 1
    return found


def result(history: WorkflowHistory) -> dict[str, Any]:
    """The incident's final state, as the workflow returned it."""
    (completed,) = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]
    return json.loads(completed.workflow_execution_completed_event_attributes.result.payloads[0].data)


def uncovered(name: str, history: WorkflowHistory) -> list[str]:
    """What the history lacks of what `COVERS` says it must contain."""
    found = steps(history)
    return [f"{step} (x{found[step]}, wanted {n})" for step, n in COVERS.get(name, {}).items() if found[step] < n]


async def main() -> None:
    HISTORIES.mkdir(exist_ok=True)
    for scenario in SCENARIOS:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
            data_converter=pydantic_data_converter,
        )
        async with env:
            await ensure_search_attributes(env.client)
            tmp = Path(tempfile.mkdtemp())
            with SETTINGS.get(scenario, lambda _: contextlib.nullcontext({}))(tmp) as settings:
                async with Warroom(env, tmp / "data", settings=settings) as w:
                    handle = await scenario(w)
                    history = await handle.fetch_history()
        missing = uncovered(scenario.__name__, history)
        if missing:
            raise SystemExit(f"{scenario.__name__}: the history lacks {'; '.join(missing)}")
        path = HISTORIES / f"{scenario.__name__}.json"
        path.write_text(history.to_json())
        print(f"recorded {path.relative_to(Path.cwd())} ({len(history.events)} events)")


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    os._exit(0)
