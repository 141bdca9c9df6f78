"""Each source's documented payload, parsed; malformed payloads always refused
with a reason (property-based), and never routed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warroom.intake import PARSERS, IntakeError
from warroom.models import Severity
from warroom.settings import Settings
from gateway.app import create_app

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"


def fixture(source: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{source}.json").read_text())


def test_alertmanager_group_is_the_dedup_key_and_each_alert_keeps_its_fingerprint():
    alerts = PARSERS["alertmanager"](fixture("alertmanager")).alerts
    assert {a.dedup_key for a in alerts} == {'http://alertmanager.example.com:9093|warroom|{}/{service="checkout"}:{alertname="HighErrorRate"}'}
    assert [a.fingerprint for a in alerts] == ["5f1b5c9e2a7d4c10", "a0c4e7d2b9f81136"]
    first = alerts[0]
    assert (first.name, first.service, first.severity, first.status) == ("HighErrorRate", "checkout", Severity.SEV2, "firing")
    assert first.summary == "Checkout 5xx rate above 5%" and first.url.startswith("http://prometheus.example.com:9090/graph")
    assert first.starts_at.isoformat() == "2026-11-24T09:58:00+00:00" and first.ends_at is None


def test_alertmanager_resolution_and_truncation():
    body = fixture("alertmanager")
    body["status"] = "resolved"
    body["truncatedAlerts"] = 7
    for alert in body["alerts"]:
        alert["status"], alert["endsAt"] = "resolved", "2026-11-24T10:20:00Z"
    intake = PARSERS["alertmanager"](body)
    assert intake.truncated == 7
    assert [(a.status, a.ends_at.isoformat()) for a in intake.alerts] == [("resolved", "2026-11-24T10:20:00+00:00")] * 2


def test_grafana_keys_on_org_and_group_and_carries_values():
    alerts = PARSERS["grafana"](fixture("grafana")).alerts
    assert {a.dedup_key for a in alerts} == {"org-1|https://play.grafana.org/|{}:{}"}
    assert [a.name for a in alerts] == ["High memory usage", "High CPU usage"]
    assert "B=44.2394" in alerts[0].summary and alerts[0].url == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert alerts[0].source == "grafana"


def test_pagerduty_trigger_resolve_and_acknowledge():
    trigger = PARSERS["pagerduty"](fixture("pagerduty")).alerts[0]
    assert (trigger.dedup_key, trigger.service, trigger.severity) == ("srv01/mysql", "mysql", Severity.SEV2)
    assert trigger.summary.startswith("DISK at 99%") and trigger.url == "http://pagerduty.example.com"
    assert trigger.starts_at.year == 2015
    resolve = PARSERS["pagerduty"]({"routing_key": "k" * 32, "event_action": "resolve", "dedup_key": "srv01/mysql"})
    assert [(a.dedup_key, a.status) for a in resolve.alerts] == [("srv01/mysql", "resolved")]
    ack = PARSERS["pagerduty"]({"routing_key": "k" * 32, "event_action": "acknowledge", "dedup_key": "inc-1a2b3c4d"})
    assert ack.alerts == [] and ack.acknowledged == ["inc-1a2b3c4d"]


def test_pagerduty_trigger_without_dedup_key_gets_a_stable_one():
    body = fixture("pagerduty")
    del body["dedup_key"]
    keys = {PARSERS["pagerduty"](copy.deepcopy(body)).alerts[0].dedup_key for _ in range(3)}
    assert len(keys) == 1


def test_datadog_template_maps_cycle_transition_tags_and_impact():
    alert = PARSERS["datadog"](fixture("datadog")).alerts[0]
    assert (alert.dedup_key, alert.status, alert.service) == ("org-11111|7148935563011234567", "firing", "checkout")
    assert alert.name == "Checkout p99 latency above 2s" and alert.severity is Severity.SEV2
    assert alert.impact.user_share == pytest.approx(0.6) and alert.labels["team"] == "payments"
    recovered = PARSERS["datadog"]({**fixture("datadog"), "transition": "Recovered"}).alerts[0]
    assert recovered.status == "resolved" and recovered.ends_at is not None and recovered.dedup_key == alert.dedup_key


def test_generic_single_and_batch():
    single = PARSERS["generic"](fixture("generic")).alerts
    assert [(a.dedup_key, a.severity, a.service) for a in single] == [("search-index-lag", Severity.SEV4, "search")]
    batch = PARSERS["generic"]({"alerts": [fixture("generic"), {**fixture("generic"), "dedup_key": "other", "severity": "SEV1"}]})
    assert [a.severity for a in batch.alerts] == [Severity.SEV4, Severity.SEV1]


@pytest.mark.parametrize(
    ("source", "body", "reason"),
    [
        ("alertmanager", {"alerts": []}, "groupKey"),
        ("alertmanager", {**fixture("alertmanager"), "alerts": [{"status": "exploded"}]}, "alerts.0.status"),
        ("alertmanager", {**fixture("alertmanager"), "status": "exploded"}, "status"),
        ("pagerduty", {"routing_key": "k", "event_action": "trigger"}, "payload is required"),
        ("pagerduty", {"routing_key": "k", "event_action": "resolve"}, "dedup_key is required"),
        ("pagerduty", {**fixture("pagerduty"), "payload": {"summary": "x", "source": "y", "severity": "fatal"}}, "severity"),
        ("datadog", {"transition": "Triggered", "tags": "service:x"}, "title"),
        ("datadog", {"title": {"nested": 1}}, "title"),
        ("grafana", {"ruleId": 1, "ruleName": "x", "state": "paused"}, "state"),
        ("generic", {"labels": {"a": "b"}}, "title"),
        ("generic", {"title": ["x"]}, "title: expected text"),
        ("generic", {"title": "x", "status": "exploded"}, "status 'exploded'"),
        ("generic", {"alerts": [{"title": "x"}, 7]}, "alerts.1: expected a JSON object"),
        ("generic", {**fixture("generic"), "severity": "apocalyptic"}, "severity 'apocalyptic'"),
        ("generic", [1, 2], "expected a JSON object"),
    ],
)
def test_malformed_payloads_are_refused_with_the_reason(source, body, reason):
    with pytest.raises(IntakeError, match=reason.replace("(", r"\(")):
        PARSERS[source](body)


class RefusingRouter:
    """Stands in for the alert router: any call means bad input reached routing."""

    calls = 0

    async def route(self, intake):
        RefusingRouter.calls += 1
        raise AssertionError(f"routed {intake}")


@pytest.fixture(scope="module")
def gateway():
    app = create_app(Settings(config=None), client=None)  # type: ignore[arg-type]
    app.state.alert_router = RefusingRouter()
    with TestClient(app) as client:
        yield client


def _mutations(source: str) -> st.SearchStrategy[Any]:
    """Documented payloads with a required field dropped or retyped, plus junk."""
    body = fixture(source)
    junk = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8,
    )
    required = {
        "alertmanager": ["groupKey", "status", "alerts"], "grafana": ["groupKey", "status", "alerts"],
        "pagerduty": ["routing_key", "event_action"], "datadog": ["title", "message"],
        "generic": ["name", "summary"],
    }[source]
    wrong_type = st.sampled_from([None, 17, [], {"x": 1}, True])
    if source in ("datadog", "generic"):  # they take any object that has a title: only a title of the wrong type, or none
        wrong_type = st.sampled_from([[], {"x": 1}, ["y"]])
        untitled = st.just({k: v for k, v in body.items() if k not in required + ["title", "text", "body"]})
        retyped = st.tuples(st.sampled_from(required), wrong_type).map(lambda kv: {**body, kv[0]: kv[1]})
        return untitled | retyped | junk.filter(lambda j: not isinstance(j, dict))
    dropped = st.sampled_from(required).map(lambda k: {key: v for key, v in body.items() if key != k})
    retyped = st.tuples(st.sampled_from(required), wrong_type).map(lambda kv: {**body, kv[0]: kv[1]})
    return dropped | retyped | junk.filter(lambda j: not isinstance(j, dict) or not set(required) <= set(j))


@pytest.mark.parametrize("source", sorted(PARSERS))
def test_malformed_payloads_get_4xx_and_never_reach_routing(gateway, source):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=_mutations(source))
    def check(body):
        response = gateway.post(f"/v1/alerts/{source}", json=body)
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["detail"]

    check()
    assert RefusingRouter.calls == 0


@given(raw=st.binary(max_size=200))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_bytes_that_are_not_an_alert_are_refused(gateway, raw):
    response = gateway.post("/v1/alerts/alertmanager", content=raw, headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.text
    assert RefusingRouter.calls == 0
