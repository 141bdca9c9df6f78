"""warroom's own alerting: Debian's promtool accepts the shipped Prometheus
rules (and their unit tests pass), and every metric the Grafana dashboard
queries is on `/metrics` of a running warroom (worker and gateway in one
process, as `warroom up` runs them) once it has paged, acted on a deadline,
seen an integration fail and run canaries."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from client.temporal import connect
from tests.support import Warroom, serve_gateway
from tests.test_canary import run_canary, target
from warroom import observability
from warroom.settings import Settings

DEPLOY = Path(__file__).parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "warroom-rules.yml"
DASHBOARD = DEPLOY / "grafana" / "warroom.json"
PROMTOOL = shutil.which("promtool")
METRIC = re.compile(r"\b((?:warroom|temporal)_[a-z0-9_]+)\b")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not PROMTOOL:
        pytest.fail("needs Debian's promtool (package prometheus): run `make test`, which installs it")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, cwd=RULES.parent)


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    checked = promtool("check", "rules", RULES.name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout
    tested = promtool("test", "rules", "warroom-rules.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_refuses_a_broken_rule(tmp_path):
    """The check above can fail: a rule with a bad expression does not pass."""
    broken = tmp_path / "broken.yml"
    broken.write_text(RULES.read_text().replace("increase(warroom_canary_missed_total[15m]) > 0", "increase(warroom_canary_missed_total) > 0"))
    assert promtool("check", "rules", str(broken)).returncode != 0


def dashboard_metrics() -> set[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    assert len(exprs) >= 15
    return {name for expr in exprs for name in METRIC.findall(expr)}


async def test_every_metric_the_dashboard_and_the_rules_query_is_on_metrics(dev_env, tmp_path):
    metrics_address = f"127.0.0.1:{free_port()}"
    client = await connect(Settings(temporal_address=target(dev_env), sdk_metrics_address=metrics_address))
    policy = tmp_path / "warroom.toml"
    policy.write_text('[severities.SEV1]\nroles_required_within = "1s"\n')  # a deadline that fires at once
    settings = {
        "temporal_address": target(dev_env), "sdk_metrics_address": metrics_address, "config": policy,
        # Statuspage unreachable: an integration that fails.
        "statuspage_api_key": "sp-key", "statuspage_page_id": "page1", "statuspage_api_url": f"http://127.0.0.1:{free_port()}/v1/",
    }
    wanted = dashboard_metrics() | set(METRIC.findall(RULES.read_text()))
    async with Warroom(SimpleNamespace(client=client), tmp_path, settings) as w, serve_gateway(w.settings, client) as url:
        w.settings.public_url = url
        await w.declare("Checkout down", severity="SEV1")
        assert (await run_canary(w, timedelta(seconds=60))).missed is None
        w.settings.public_url = f"http://127.0.0.1:{free_port()}"  # no gateway: the next canary misses
        assert (await run_canary(w, timedelta(seconds=2))).missed
        async with httpx.AsyncClient(base_url=url) as http:
            for _ in range(100):
                text = (await http.get("/metrics")).text
                names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
                if wanted <= names:
                    break
                await asyncio.sleep(0.2)
    assert wanted - names == set()
    assert re.search(r'warroom_integration_failures_total\{[^}]*integration="Statuspage",[^}]*reason="unavailable"', text)
    assert {observability.BACKLOG, observability.OPEN_INCIDENTS, observability.READY} <= names


def test_integration_failures_are_labelled_by_integration_and_reason():
    from temporalio.exceptions import ApplicationError

    from activities.failures import final, retryable
    from worker.metrics import failure_labels

    assert failure_labels("page_responder", retryable("Slack", "rate limited")) == {"integration": "Slack", "reason": "unavailable"}
    assert failure_labels("create_action_item", final("Jira", "bad request")) == {"integration": "Jira", "reason": "rejected"}
    assert failure_labels("send_heartbeat", ValueError("x")) == {"integration": "send_heartbeat", "reason": "ValueError"}
    assert failure_labels("page_responder", ApplicationError("?", type="Rejected")) == {"integration": "page_responder", "reason": "ApplicationError"}
