"""How alert notifications fold into an incident, by the rules alone: what
reopens, what resolves on its own and what never may."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_rules import (
    ACKED_AT, ID, MINUTE, RESOLVED_AT, T0, alert, assert_refused, batch, declare, fire, in_phase, snapshot,
)
from warroom.models import Phase
from warroom.responders import Acknowledge, SeverityChange

ALERTING = "alertmanager"


def send(life, *alerts, at, batch_id=None):
    """Deliver a batch; the routing answer as (outcome, phase)."""
    routing = life.handle("alerts", batch(*alerts, batch_id=batch_id), at)
    assert routing.incident_id == ID
    return routing.outcome, routing.phase


def alerting(severity, acknowledged_by=None):
    """An incident an alert opened at T0, acknowledged at ACKED_AT when `acknowledged_by`."""
    life = declare(severity, source=ALERTING)
    assert send(life, alert(), at=T0) == ("opened", Phase.TRIAGE)
    if acknowledged_by:
        life.handle("acknowledge", Acknowledge(by=acknowledged_by), ACKED_AT)
    return life


# --- verify: firing reopens, resolved never does ------------------------------------------


@pytest.mark.parametrize("severity", ["SEV1", "SEV3"])
def test_a_resolved_alert_during_verify_never_reopens(severity):
    life = in_phase(Phase.VERIFY, severity)
    assert send(life, alert("resolved"), at=RESOLVED_AT + 5 * MINUTE) == ("joined", Phase.VERIFY)
    assert send(life, alert("resolved", "f2"), at=RESOLVED_AT + 6 * MINUTE) == ("joined", Phase.VERIFY)
    assert life.state.metrics.reopen_count == 0 and "monitoring_window" in life.state.deadlines


def test_a_firing_alert_during_verify_reopens():
    life = in_phase(Phase.VERIFY, "SEV2")
    assert send(life, alert("resolved"), alert(fingerprint="f2"), at=RESOLVED_AT + 5 * MINUTE) == ("reopened", Phase.STABILIZE)
    s = life.state
    assert s.metrics.reopen_count == 1 and s.resolution is None and "monitoring_window" not in s.deadlines
    assert s.timeline[-1].text.startswith("reopened: alert HighErrorRate-f2 fired again during monitoring")
    assert s.deadlines["status_update"].due == RESOLVED_AT + 5 * MINUTE + timedelta(minutes=60)


def test_a_firing_alert_in_stabilize_only_counts():
    life = alerting("SEV2", acknowledged_by="bob")
    assert send(life, alert(), at=ACKED_AT + MINUTE) == ("joined", Phase.STABILIZE)
    assert life.state.alerts["f1"].count == 2


@pytest.mark.parametrize("phase", [Phase.LEARN, Phase.CLOSED], ids=str)
def test_alerts_after_verify_are_refused(phase):
    life = in_phase(phase, "SEV2")
    reason = f"incident {ID} has left verify; a new alert opens a new incident" if phase is Phase.LEARN else f"incident {ID} is closed"
    assert_refused(life, "alerts", batch(alert()), reason)


# --- resolving on its own ----------------------------------------------------------------


@pytest.mark.parametrize("severity", ["SEV3", "SEV4"])
def test_an_unacknowledged_minor_incident_resolves_once_all_its_alerts_resolved(severity):
    life = alerting(severity)
    assert send(life, alert(fingerprint="f2"), at=T0 + MINUTE) == ("joined", Phase.TRIAGE)
    assert send(life, alert("resolved"), at=T0 + 2 * MINUTE) == ("joined", Phase.TRIAGE)  # f2 still fires
    assert send(life, alert("resolved", "f2"), at=T0 + 3 * MINUTE) == ("resolved", Phase.VERIFY)
    s = life.state
    assert s.non_actionable and s.metrics.resolved_at == T0 + 3 * MINUTE
    assert s.deadlines["monitoring_window"].due == T0 + 33 * MINUTE
    fire(life, T0 + 33 * MINUTE)
    assert s.phase is Phase.CLOSED


@pytest.mark.parametrize(
    "severity, acknowledged_by, downgrade_to",
    [
        ("SEV1", None, None),
        ("SEV2", None, None),
        *((sev, "bob", None) for sev in ("SEV1", "SEV2", "SEV3", "SEV4")),
        ("SEV3", "pagerduty", None),  # acknowledged in PagerDuty
        ("SEV1", "bob", "SEV3"),  # acknowledged, then downgraded to a severity that may resolve itself
        ("SEV2", "bob", "SEV4"),
    ],
)
def test_only_an_unacknowledged_minor_incident_resolves_itself(severity, acknowledged_by, downgrade_to):
    """Above all: an acknowledged incident never resolves itself when its alerts clear."""
    life = alerting(severity, acknowledged_by)
    if downgrade_to:
        life.handle("downgrade", SeverityChange(by="bob", severity=downgrade_to, reason="contained"), ACKED_AT + MINUTE)
    phase = life.state.phase
    assert send(life, alert("resolved"), at=T0 + 10 * MINUTE) == ("joined", phase)
    s = life.state
    assert s.phase in (Phase.TRIAGE, Phase.STABILIZE) and s.metrics.resolved_at is None and not s.non_actionable


# --- re-delivery -------------------------------------------------------------------------


def test_a_redelivered_batch_counts_once():
    life = alerting("SEV2")
    send(life, alert(), at=T0 + MINUTE, batch_id="b-1")
    before = snapshot(life)
    assert send(life, alert(), at=T0 + 2 * MINUTE, batch_id="b-1") == ("joined", Phase.TRIAGE)
    assert snapshot(life) == before and life.state.alerts["f1"].count == 2
    send(life, alert(), at=T0 + 3 * MINUTE, batch_id="b-2")
    send(life, alert(), at=T0 + 4 * MINUTE)  # without a batch id every delivery counts
    assert life.state.alerts["f1"].count == 4
