"""A runbook link from Alertmanager's `runbook_url` annotation or the service's
config reaches the incident's links (the channel's bookmarks and `warroom show`)."""

from __future__ import annotations

import json
from pathlib import Path

from cli.render import out, render_incident
from client.router import incident_input
from warroom.alerts import AlertBatch
from warroom.intake import PARSERS
from warroom.metrics import Metrics
from warroom.models import Impact, IncidentState, Phase
from warroom.settings import Settings

FIXTURE = Path(__file__).parent / "fixtures" / "alerts" / "alertmanager.json"


def test_alertmanagers_runbook_url_annotation_becomes_the_incidents_runbook():
    alerts = PARSERS["alertmanager"](json.loads(FIXTURE.read_text())).alerts
    assert alerts[0].runbook == "https://runbooks.example.com/checkout/5xx" and alerts[1].runbook is None
    inp = incident_input(AlertBatch(alerts=alerts), Settings(config=None))
    assert inp.runbook == "https://runbooks.example.com/checkout/5xx"


def test_show_prints_the_runbook():
    state = IncidentState(
        id="inc-1", title="Checkout 5xx", service="checkout", severity="SEV2", phase=Phase.STABILIZE, impact=Impact(),
        source="alertmanager", metrics=Metrics(started_at="2026-01-01T00:00:00Z", declared_at="2026-01-01T00:00:00Z"),
        links={"Runbook": "https://runbooks.example.com/checkout/5xx"},
    )
    with out.capture() as captured:
        render_incident(state)
    assert "Runbook: https://runbooks.example.com/checkout/5xx" in captured.get()
