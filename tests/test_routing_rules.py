"""Routing rules from warroom.toml (order, drop, regex, severity override, the
service label order per source), and dedup keys scoped to their sender: in
milliseconds on the rules, then through the gateway into incidents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from client.router import chain_id
from gateway.app import create_app
from tests.support import Warroom
from warroom.alerts import AlertEvent
from warroom.intake import PARSERS
from warroom.models import Severity
from warroom.policy import Policy
from warroom.routing import Routing

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
RULES = {
    "service_labels": {"alertmanager": ["service", "app", "job"]},
    "rules": [
        {"name": "watchdog", "matchers": ['alertname = "Watchdog"'], "drop": True},
        {"name": "not-prod", "matchers": ['env !~ "prod(uction)?"', 'source = "alertmanager"'], "drop": True},
        {"name": "payments", "matchers": ['namespace =~ "pay(ments)?-.*"'], "service": "payments", "team": "payments", "severity": "SEV1"},
        {"name": "tag-all", "matchers": [], "team": "platform", "continue": True},
        {"name": "never", "matchers": ['alertname != ""'], "service": "unreachable-after-payments"},
    ],
}


def alert(**labels: str) -> AlertEvent:
    return AlertEvent(source="alertmanager", dedup_key="k", fingerprint="f", name=labels.get("alertname", "A"),
                      labels={"env": "prod", **labels}, severity="SEV4")


def fixture(source: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{source}.json").read_text())


def test_rules_apply_in_order_first_match_wins_and_continue_goes_on():
    routing = Routing.model_validate(RULES)
    payments = routing.route(alert(alertname="Latency", namespace="payments-eu", app="api"))
    assert (payments.rule, payments.dropped) == ("payments", False)
    assert (payments.alert.service, payments.alert.severity, payments.alert.labels["team"]) == ("payments", Severity.SEV1, "payments")
    other = routing.route(alert(alertname="Latency", namespace="search", job="node"))
    assert other.rule == "tag-all, never" and other.alert.labels["team"] == "platform"
    assert other.alert.service == "unreachable-after-payments"  # tag-all continues; never matches next


def test_drop_rules_and_regex_matchers_anchor_like_alertmanager():
    routing = Routing.model_validate(RULES)
    assert routing.route(alert(alertname="Watchdog")).dropped
    staging = routing.route(alert(alertname="Latency", env="staging"))
    assert (staging.dropped, staging.rule) == (True, "not-prod")
    assert not routing.route(alert(alertname="Latency", env="production")).dropped
    assert routing.route(alert(alertname="Latency", env="preprod")).dropped, "=~ and !~ match the whole value"
    assert routing.route(alert(alertname="Latency", namespace="xpayments-eu")).rule != "payments"


def test_the_service_label_order_is_per_source():
    routing = Routing.model_validate({"service_labels": {"alertmanager": ["app", "job"]}})
    assert routing.route(alert(job="node", app="orders")).alert.service == "orders"
    assert routing.route(alert(job="node")).alert.service == "node"
    grafana = alert(job="node").model_copy(update={"source": "grafana"})
    assert routing.route(grafana).alert.service is None, "job only where configured"


def test_a_bad_matcher_or_regex_is_a_config_error_naming_it():
    with pytest.raises(ValidationError, match="matcher 'env ~ prod'"):
        Policy.model_validate({"routing": {"rules": [{"matchers": ["env ~ prod"]}]}})
    with pytest.raises(ValidationError, match="bad regex"):
        Policy.model_validate({"routing": {"rules": [{"matchers": ['env =~ "("']}]}})


def test_rules_survive_the_policy_snapshot_an_incident_carries():
    policy = Policy.model_validate({"routing": RULES})
    again = Policy.model_validate(policy.model_dump(mode="json"))
    assert again.routing.route(alert(alertname="Watchdog")).dropped


def test_two_alertmanagers_with_the_same_group_key_have_different_dedup_keys():
    one, two = fixture("alertmanager"), fixture("alertmanager")
    one["groupKey"] = two["groupKey"] = "{}:{}"
    two["externalURL"] = "http://alertmanager.other-cluster:9093"
    assert PARSERS["alertmanager"](one).alerts[0].dedup_key != PARSERS["alertmanager"](two).alerts[0].dedup_key
    three = {**copy.deepcopy(one), "receiver": "team-b"}
    assert PARSERS["alertmanager"](three).alerts[0].dedup_key != PARSERS["alertmanager"](one).alerts[0].dedup_key
    g1, g2 = fixture("grafana"), fixture("grafana")
    g2["orgId"] = 2
    assert PARSERS["grafana"](g1).alerts[0].dedup_key != PARSERS["grafana"](g2).alerts[0].dedup_key


TOML = """
[[routing.rules]]
name = "watchdog"
matchers = ['alertname = "Watchdog"']
drop = true

[[routing.rules]]
name = "checkout-pages"
matchers = ['service = "checkout"', 'severity =~ "SEV[34]"']
severity = "SEV2"
"""


@pytest.fixture
async def routed_gateway(env, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text(TOML)
    async with Warroom(env, tmp_path, settings={"config": config}) as warroom:
        app = create_app(warroom.settings, warroom.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            yield warroom, http


async def test_gateway_drops_counts_and_overrides_severity_and_separates_alertmanagers(routed_gateway):
    warroom, http = routed_gateway
    watchdog = fixture("alertmanager")
    for a in watchdog["alerts"]:
        a["labels"]["alertname"] = "Watchdog"
    response = await http.post("/v1/alerts/alertmanager", json=watchdog)
    assert response.status_code == 202, response.text
    assert response.json()["incidents"] == [] and {r["outcome"] for r in response.json()["routed"]} == {"dropped"}
    metrics = (await http.get("/metrics")).text
    assert 'warroom_alerts_received_total{outcome="dropped",source="alertmanager"} 2.0' in metrics

    incidents = []
    for url in ("http://am-eu:9093", "http://am-us:9093"):
        body = fixture("alertmanager")
        body["groupKey"], body["externalURL"] = "{}:{}", url
        for a in body["alerts"]:
            a["labels"]["severity"] = "warning"
        answer = (await http.post("/v1/alerts/alertmanager", json=body)).json()
        incidents += answer["incidents"]
        warroom.track(answer["incidents"][0])
    assert len(set(incidents)) == 2, "two Alertmanagers, one groupKey: two incidents"
    assert incidents[0] == chain_id("alertmanager", "http://am-eu:9093|warroom|{}:{}")
    state = await warroom.state(warroom.client.get_workflow_handle(incidents[0]))
    assert state.severity is Severity.SEV2, "the rule raised the warning to SEV2"
