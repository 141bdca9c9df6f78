"""Golden signals against Debian's real Prometheus, scraping an exporter whose
error rate the test controls; the Prometheus client against the API's error
answers; the signal configuration's checks."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError

from activities.prometheus import PrometheusAPI, QueryFailed
from activities.signals import NOT_CONFIGURED, SignalActivities
from warroom.rules.requests import SnapshotRequest
from tests.support import Warroom
from tests.test_alertmanager import free_port, until
from warroom.models import IncidentInput, IncidentState, Phase
from warroom.responders import Reopen, Resolve
from warroom.policy import Policy
from warroom.signals import SignalQueries, SignalReading, SignalSnapshot, judge
from warroom.rules.evidence import SIGNALS_RECHECKS, WINDOW_END
from warroom.rules.lifecycle import Lifecycle

PROMETHEUS = shutil.which("prometheus")

QUERIES = {
    "latency": "max(checkout_latency_p99_seconds)",
    "traffic": "sum(rate(checkout_requests_total[30s]))",
    "errors": "max(checkout_error_ratio)",
    "saturation": "max(checkout_queue_depth)",
    "errors_max": 0.01,
    "latency_max": 0.5,
}

POLICY = """
[services.checkout.signals]
latency = "{latency}"
traffic = "{traffic}"
errors = "{errors}"
saturation = "{saturation}"
errors_max = {errors_max}
latency_max = {latency_max}
""".format(**QUERIES)

SCRAPE = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: checkout
    static_configs:
      - targets: ["{target}"]
"""


class Exporter:
    """Checkout's metrics in the Prometheus text format; the test sets them."""

    def __init__(self) -> None:
        self.error_ratio = 0.2
        self.latency = 0.25
        self.queue_depth = 7.0
        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def render(self) -> str:
        self.requests += 100
        return (
            f"checkout_error_ratio {self.error_ratio}\n"
            f"checkout_latency_p99_seconds {self.latency}\n"
            f"checkout_queue_depth {self.queue_depth}\n"
            f"checkout_requests_total {self.requests}\n"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Metrics(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/metrics":
                    self.send_error(404)
                    return
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Metrics


@pytest.fixture
def exporter():
    exporter = Exporter()
    thread = threading.Thread(target=exporter.server.serve_forever, daemon=True)
    thread.start()
    yield exporter
    exporter.server.shutdown()


@pytest.fixture
async def prometheus(exporter, tmp_path):
    if not PROMETHEUS:
        pytest.fail("needs Debian's prometheus: run `make test`, which installs it")
    config = tmp_path / "prometheus.yml"
    config.write_text(SCRAPE.format(target=exporter.address))
    port = free_port()
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await until(lambda: _scraped(url, QUERIES["traffic"], lambda v: v > 0), "Prometheus scraping the exporter")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _scraped(url: str, expr: str, wanted: Callable[[float], bool]) -> bool:
    """True once Prometheus answers `expr` with a value `wanted` accepts."""
    async with httpx.AsyncClient() as http:
        try:
            value = await PrometheusAPI(url).value(http, expr)
        except ApplicationError:
            return False
    return value is not None and wanted(value)


def signals_warroom(env, tmp_path, prometheus_url: str | None) -> Warroom:
    policy = tmp_path / "warroom.toml"
    policy.write_text(POLICY)
    return Warroom(env, tmp_path / "data", settings={"config": policy, "prometheus_url": prometheus_url})


async def phase_becomes(w: Warroom, handle, phase: Phase) -> IncidentState:
    async def reached():
        state = await w.state(handle)
        return state if state.phase is phase else None

    return await until(reached, f"phase {phase.value}")


async def test_verify_refuses_to_close_while_errors_stay_high_then_closes_once_they_drop(env, tmp_path, exporter, prometheus):
    async with signals_warroom(env, tmp_path, prometheus) as w:
        handle = await w.declare("Checkout errors", severity="SEV3")
        state = await w.state(handle)
        declared = state.signals["declaration"]
        assert declared.reading("errors").value == pytest.approx(0.2)
        assert declared.reading("latency").value == pytest.approx(0.25)
        assert declared.reading("saturation").value == pytest.approx(7.0)
        assert declared.reading("traffic").value > 0
        assert declared.reading("errors").hour_ago is None, "Prometheus started a moment ago"
        assert declared.reading("errors").graph.startswith(f"{prometheus}/graph?g0.expr=max%28checkout_error_ratio%29")
        posted = next(t for t in await w.messages(state) if t.startswith(":bar_chart:"))
        assert "Golden signals for checkout at declaration" in posted
        assert "• errors 0.2 (no data 1h ago)" in posted and "|graph>" in posted
        assert any(e.kind == "signals" and "errors 0.2" in e.text for e in state.timeline)

        await w.send(handle, "resolve", summary="restarted the pods")
        assert "resolve" in (await w.state(handle)).signals
        await w.env.sleep(timedelta(minutes=31))
        state = await phase_becomes(w, handle, Phase.STABILIZE)
        reason = "golden signals not recovered: errors 0.2 above max 0.01"
        assert f"reopened: {reason}" in [e.text for e in state.timeline]
        assert any(reason in t for t in await w.messages(state))
        assert state.comms.status == "investigating" and state.public_status is None, "never acknowledged: never public"
        assert "monitoring_window" not in state.deadlines

        exporter.error_ratio = 0.001
        await until(lambda: _scraped(prometheus, QUERIES["errors"], lambda v: v < 0.01), "the lower error rate scraped")
        await w.send(handle, "resolve", summary="rolled back the config")
        result = IncidentState.model_validate(await handle.result())
        assert result.phase is Phase.CLOSED
        assert result.signals[WINDOW_END].reading("errors").value == pytest.approx(0.001)
        assert "monitoring window passed cleanly; customer-facing side closed" in [e.text for e in result.timeline]


async def test_unreadable_signals_extend_verify_a_little_then_close_with_a_warning(env, tmp_path, exporter):
    """The exporter is no Prometheus: every query is a 404, the snapshot fails."""
    async with signals_warroom(env, tmp_path, f"http://{exporter.address}") as w:
        handle = await w.declare("Checkout errors", severity="SEV3")
        state = await w.state(handle)
        assert any("Golden signals at declaration failed: Prometheus: not found (HTTP 404)" in t for t in await w.messages(state))
        await w.send(handle, "resolve", summary="restarted")
        result = IncidentState.model_validate(await handle.result())
        texts = [e.text for e in result.timeline if e.kind == "verify"]
        assert len([t for t in texts if t.startswith("cannot verify on evidence yet")]) == SIGNALS_RECHECKS
        assert f"closing without evidence: errors not measured; latency not measured after {SIGNALS_RECHECKS} rechecks" in texts
        assert result.phase is Phase.CLOSED
        assert result.metrics.closed_at - result.metrics.resolved_at >= timedelta(minutes=30 + 5 * SIGNALS_RECHECKS)


async def test_a_query_prometheus_rejects_shows_as_unavailable(prometheus):
    queries = SignalQueries(errors="sum(", traffic=QUERIES["traffic"])
    snapshot = await SignalActivities(PrometheusAPI(prometheus)).take_signal_snapshot(
        SnapshotRequest(incident_id="inc-1", service="checkout", moment="resolve", queries=queries)
    )
    errors, traffic = snapshot.reading("errors"), snapshot.reading("traffic")
    assert errors.value is None and errors.unavailable.startswith("bad_data: ")
    assert errors.text().startswith("errors unavailable (bad_data: ")
    assert traffic.value > 0


async def test_without_prometheus_every_signal_is_unavailable_with_the_setting_to_fix_it():
    snapshot = await SignalActivities(None).take_signal_snapshot(
        SnapshotRequest(incident_id="inc-1", service="checkout", moment="resolve", queries=SignalQueries(errors="up"))
    )
    assert [r.text() for r in snapshot.readings] == [f"errors unavailable ({NOT_CONFIGURED})"]


def answer(status: int, body: object = None, text: str = "") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=body) if body is not None else httpx.Response(status, text=text)


def vector(*values: str) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, v]} for v in values]}}


@pytest.mark.parametrize(
    ("response", "value"),
    [
        (answer(200, vector("0.5", "2", "NaN")), 2.0),
        (answer(200, vector()), None),
        (answer(200, vector("NaN")), None),
        (answer(200, {"status": "success", "data": {"resultType": "scalar", "result": [1, "3"]}}), 3.0),
    ],
)
async def test_the_largest_finite_sample_is_the_value(response, value):
    async with httpx.AsyncClient(transport=httpx.MockTransport(response)) as http:
        assert await PrometheusAPI("http://prom").value(http, "q") == value


@pytest.mark.parametrize(
    ("status", "error_type"), [(400, "bad_data"), (422, "execution"), (503, "timeout")]
)
async def test_prometheus_error_answers_are_query_failures(status, error_type):
    body = {"status": "error", "errorType": error_type, "error": "it went wrong"}
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer(status, body))) as http:
        with pytest.raises(QueryFailed, match=f"^{error_type}: it went wrong$"):
            await PrometheusAPI("http://prom").value(http, "q")


async def test_a_range_result_for_an_instant_signal_is_a_query_failure():
    body = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer(200, body))) as http:
        with pytest.raises(QueryFailed, match="expected an instant vector or scalar, got matrix"):
            await PrometheusAPI("http://prom").value(http, "q")


@pytest.mark.parametrize(("status", "retried"), [(502, True), (404, False), (401, False)])
async def test_not_reaching_prometheus_is_an_activity_error(status, retried):
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer(status, text="<html>proxy</html>"))) as http:
        with pytest.raises(ApplicationError) as raised:
            await PrometheusAPI("http://prom").value(http, "q")
    assert raised.value.non_retryable is not retried
    assert raised.value.message.startswith("Prometheus: ")


async def test_a_lost_connection_is_retried():
    async with httpx.AsyncClient() as http:
        with pytest.raises(ApplicationError) as raised:
            await PrometheusAPI(f"http://127.0.0.1:{free_port()}").value(http, "q")
    assert not raised.value.non_retryable and "ConnectError" in raised.value.message


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"traffic": "x", "errors_max": 0.01}, "errors_max is set but there is no errors query"),
        ({"latency_max": 0.5}, "latency_max is set but there is no latency query"),
        ({}, "no signal query"),
        ({"errors": "x", "errors_max": -1}, "greater than or equal to 0"),
        ({"errors": "x", "error_max": 1}, "Extra inputs are not permitted"),
    ],
)
def test_signal_configuration_mistakes_are_explained(config, reason):
    with pytest.raises(ValidationError, match=reason):
        SignalQueries(**config)


def test_readings_say_how_they_changed_in_the_hour_and_the_verdict_names_what_blocks():
    snapshot = SignalSnapshot(moment="resolve", readings=[
        SignalReading(name="latency", value=0.69, hour_ago=0.6),
        SignalReading(name="errors", unavailable="bad_data: parse error"),
        SignalReading(name="traffic", value=5, hour_ago=0),
    ])
    assert snapshot.line() == (
        "golden signals at resolve: latency 0.69 (+15% vs 1h ago); errors unavailable (bad_data: parse error); traffic 5 (0 1h ago)"
    )
    verdict = judge(snapshot, SignalQueries(**QUERIES))
    assert verdict.above == ["latency 0.69 above max 0.5"]
    assert verdict.unavailable == ["errors unavailable (bad_data: parse error)"]


def test_a_verdict_that_arrives_after_a_reopen_changes_nothing():
    policy = Policy(services={"checkout": {"signals": QUERIES}})
    now = datetime(2026, 1, 1, tzinfo=UTC)
    life = Lifecycle.declare("inc-1", IncidentInput(title="t", service="checkout"), policy, {}, now)
    life.handle("resolve", Resolve(by="alice", summary="fixed"), now)
    life.outbox.clear()
    life.fire_due(now + timedelta(minutes=30), now + timedelta(minutes=30))
    (check,) = life.outbox
    life.handle("reopen", Reopen(by="bob", reason="still broken"), now + timedelta(minutes=31))
    check.then(SignalSnapshot(moment=WINDOW_END, readings=[SignalReading(name="errors", value=0), SignalReading(name="latency", value=0)]))
    assert life.state.phase is Phase.STABILIZE and life.state.metrics.reopen_count == 1
