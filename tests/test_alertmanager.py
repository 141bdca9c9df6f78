"""The real Prometheus Alertmanager (Debian's), alerts fired with amtool, a plain
`webhook_configs` receiver with bearer credentials, delivering to the gateway
on a real Temporal dev server."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Callable, Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from warroom import models as m
from client.router import chain_id
from tests.support import serve_gateway

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
TOKEN = "am-bearer-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """
route:
  receiver: warroom
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: warroom
    webhook_configs:
      - url: {url}/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@pytest.fixture
async def alertmanager(live_warroom, tmp_path):
    if not (ALERTMANAGER and AMTOOL):
        pytest.fail("needs Debian's prometheus-alertmanager and amtool: run `make test`, which installs them")
    live_warroom.settings.webhook_token = SecretStr(TOKEN)
    async with serve_gateway(live_warroom.settings, live_warroom.client) as gateway:
        port = free_port()
        config = tmp_path / "alertmanager.yml"
        config.write_text(CONFIG.format(url=gateway, token=TOKEN))
        process = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'am'}",
             f"--web.listen-address=127.0.0.1:{port}", f"--web.external-url=http://127.0.0.1:{port}",
             "--cluster.listen-address=", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            await until(lambda: _ready(http, url), "Alertmanager ready")
        try:
            yield url, gateway
        finally:
            process.terminate()
            process.wait(timeout=10)


async def _ready(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(f"{url}/-/ready")).status_code == 200
    except httpx.TransportError:
        return False


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30) -> Any:
    """Poll a condition the real Alertmanager makes true in its own time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {what}")


def amtool(url: str, *args: str) -> None:
    subprocess.run([AMTOOL, "alert", "add", *args, f"--alertmanager.url={url}"], check=True, capture_output=True, timeout=20)


async def test_alertmanager_opens_dedupes_splits_and_resolves(alertmanager, live_warroom):
    url, _ = alertmanager
    client = live_warroom.client
    key = f'{url}|warroom|{{}}:{{alertname="CheckoutErrors", service="checkout"}}'  # scoped to this Alertmanager
    first_id = chain_id("alertmanager", key)

    async def state(incident_id: str) -> m.IncidentState | None:
        try:
            raw = await client.get_workflow_handle(incident_id).query("state")
        except Exception:
            return None
        return m.IncidentState.model_validate(raw) if "severity" in raw else None

    amtool(url, "alertname=CheckoutErrors", "service=checkout", "severity=critical", "--annotation=summary=5xx above 5%")
    live_warroom.track(first_id)
    opened = await until(lambda: state(first_id), "the first incident")
    assert (opened.service, opened.severity, opened.source) == ("checkout", m.Severity.SEV2, "alertmanager")
    assert opened.title == "CheckoutErrors: 5xx above 5%"

    async def repeated():
        s = await state(first_id)
        return s if s and sum(a.count for a in s.alerts.values()) >= 3 else None

    folded = await until(repeated, "Alertmanager's repeat notifications joining the incident")
    assert len(folded.alerts) == 1, "one alert, counted"

    amtool(url, "alertname=QueueBacklog", "service=checkout", "severity=warning")
    second_id = chain_id("alertmanager", f'{url}|warroom|{{}}:{{alertname="QueueBacklog", service="checkout"}}')
    live_warroom.track(second_id)
    second = await until(lambda: state(second_id), "a second incident for a second alert name")
    assert second.severity is m.Severity.SEV4 and second.id != first_id

    ended = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    amtool(url, "alertname=CheckoutErrors", "service=checkout", "severity=critical", "--annotation=summary=5xx above 5%", f"--end={ended}")

    async def resolved():
        s = await state(first_id)
        return s if s and all(a.status == "resolved" for a in s.alerts.values()) else None

    done = await until(resolved, "the resolved notification")
    assert done.phase is m.Phase.TRIAGE, "a SEV2 is not resolved by its alert alone"
    assert any("resolved" in t.text for t in done.timeline if t.kind == "alert")
