"""Alert bodies written by the senders themselves (tests/fixtures/alerts/corpus,
each traced in its SOURCES.md), posted unchanged: through the parsers, and
through a running gateway into incidents. Every one is accepted, or (a shape
no sender emits) refused with a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.alerts_api import _parse
from gateway.app import create_app
from tests.support import Warroom
from warroom.intake import IntakeError
from warroom.intake.common import fingerprint
from warroom.policy import Policy, load_policy

CORPUS = Path(__file__).parent / "fixtures" / "alerts" / "corpus"
CONFIG = """
[intake.generic.uptime-kuma]
title = "monitor.name"
dedup_key = "monitor.id"
status = "heartbeat.status"
resolved_values = ["1"]
summary = "heartbeat.msg"
url = "monitor.url"
default_service = "checkout"
"""


def rows() -> list[tuple[str, str, str]]:
    lines = (CORPUS / "SOURCES.md").read_text().splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines if line.startswith("| ") and ".json" in line]
    return [(file, endpoint, expect) for file, endpoint, expect, _ in cells]


def body(file: str) -> Any:
    return json.loads((CORPUS / file).read_text())


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> Policy:
    path = tmp_path_factory.mktemp("config") / "warroom.toml"
    path.write_text(CONFIG)
    return load_policy(path)


def test_every_file_in_the_corpus_has_its_source_recorded():
    listed = {file for file, _, _ in rows()}
    assert listed == {p.name for p in CORPUS.glob("*.json")}
    assert len(listed) >= 20


@pytest.mark.parametrize(("file", "endpoint", "expect"), rows())
def test_each_sender_body_is_read_or_refused_with_a_reason(policy, file, endpoint, expect):
    if expect.startswith("refused"):
        with pytest.raises(IntakeError, match=expect.removeprefix("refused:").strip()):
            _parse(endpoint, body(file), policy)
        return
    alerts = _parse(endpoint, body(file), policy).alerts
    assert alerts and all(a.name and a.dedup_key and a.fingerprint for a in alerts)
    assert {a.status for a in alerts} == {expect}


def test_fingerprints_are_alertmanagers_for_senders_that_omit_them(policy):
    """The capture carries Alertmanager's own fingerprint; without it, warroom computes the same."""
    capture = body("alertmanager-capture-0.24-resolved.json")
    assert fingerprint(capture["alerts"][0]["labels"]) == capture["alerts"][0]["fingerprint"] == "fbab788ec4c1018b"
    assert fingerprint({}) == "cbf29ce484222325"  # FNV-1a 64's offset basis: Alertmanager's empty label set
    (old,) = _parse("alertmanager", body("alertmanager-pre-0.20-no-fingerprint.json"), policy).alerts
    assert old.fingerprint == "fbab788ec4c1018b" and old.status == "firing"
    unified = _parse("grafana", body("grafana-8-no-fingerprint.json"), policy).alerts
    assert len({a.fingerprint for a in unified}) == 2


def test_the_service_is_service_then_app_never_the_scrape_job(policy):
    (alert,) = _parse("alertmanager", body("alertmanager-pre-0.20-no-fingerprint.json"), policy).alerts
    assert alert.labels["job"] == "eric-pm-kube-state-metrics" and alert.service is None
    labels = {**alert.labels, "app": "orders"}
    relabelled = body("alertmanager-pre-0.20-no-fingerprint.json")
    relabelled["alerts"][0]["labels"] = labels
    assert _parse("alertmanager", relabelled, policy).alerts[0].service == "orders"
    relabelled["alerts"][0]["labels"] = {**labels, "service": "checkout"}
    assert _parse("alertmanager", relabelled, policy).alerts[0].service == "checkout"


def test_grafana_legacy_rules_are_one_alert_each_keyed_on_org_host_and_rule(policy):
    (firing,) = _parse("grafana", body("grafana-legacy-docs.json"), policy).alerts
    (ok,) = _parse("grafana", body("grafana-legacy-ok.json"), policy).alerts
    assert firing.dedup_key == ok.dedup_key == "org-1|http://localhost:3000|rule-1"
    assert (firing.name, firing.status, ok.status) == ("Panel Title alert", "firing", "resolved")
    assert "Count=1" in firing.summary and firing.url.startswith("http://localhost:3000/d/")


def test_datadog_default_payload_keys_on_the_monitor_title_and_recovers_by_it(policy):
    (triggered,) = _parse("datadog", body("datadog-default-payload.json"), policy).alerts
    (recovered,) = _parse("datadog", body("datadog-default-payload-recovered.json"), policy).alerts
    assert triggered.dedup_key == recovered.dedup_key == "org-11111|CPU usage high"
    assert (triggered.name, triggered.status, recovered.status) == ("CPU usage high", "firing", "resolved")
    (template,) = _parse("datadog", body("datadog-servicenow-template.json"), policy).alerts
    assert template.dedup_key.startswith("org-11111|monitor-1234|") and template.service == "orders"
    assert str(template.severity) == "SEV2" and template.name == "Load high on role:database"


def test_named_generic_sources_read_their_mapping_and_name_a_missing_path(policy):
    (alert,) = _parse("generic/uptime-kuma", body("generic-uptime-kuma.json"), policy).alerts
    assert (alert.name, alert.dedup_key, alert.status, alert.service) == ("Checkout API", "uptime-kuma|3", "firing", "checkout")
    up = body("generic-uptime-kuma.json")
    up["heartbeat"]["status"] = 1
    assert _parse("generic/uptime-kuma", up, policy).alerts[0].status == "resolved"
    del up["monitor"]["name"]
    with pytest.raises(IntakeError, match=r"monitor\.name: not in the body"):
        _parse("generic/uptime-kuma", up, policy)
    (plain,) = _parse("generic/unmapped", {"message": "disk full on db-1"}, policy).alerts
    assert (plain.name, plain.dedup_key) == ("disk full on db-1", "unmapped|unmapped|disk full on db-1")
    (tagged,) = _parse("generic", body("generic-any-object.json"), policy).alerts
    assert (tagged.service, tagged.labels["env"], tagged.dedup_key) == ("billing", "prod", "generic|Backup job failed")


async def test_every_corpus_body_through_a_running_gateway(env, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text(CONFIG)
    async with Warroom(env, tmp_path, settings={"config": config}) as warroom:
        app = create_app(warroom.settings, warroom.client)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
            for file, endpoint, expect in rows():
                response = await http.post(f"/v1/alerts/{endpoint}", content=(CORPUS / file).read_bytes(),
                                           headers={"content-type": "application/json"})
                if expect.startswith("refused"):
                    assert response.status_code == 422, (file, response.text)
                    assert expect.removeprefix("refused:").strip() in response.json()["detail"]
                    continue
                assert response.status_code == 202, (file, response.text)
                answer = response.json()
                for incident_id in answer["incidents"]:
                    warroom.track(incident_id)
                outcomes = {r["outcome"] for r in answer["routed"]}
                assert outcomes <= ({"opened", "joined"} if expect == "firing" else {"ignored", "joined"}), (file, answer)
