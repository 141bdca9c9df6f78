"""Pages held for maintenance (`--silence-open`), in the rules: the next
escalation step waits for the window's end, then pages; ending early releases
at once; acknowledging meanwhile stops it; closed phases refuse the hold."""

from __future__ import annotations

from datetime import timedelta

from tests.test_rules import MINUTE, T0, declare, in_phase, of, run_until
from warroom.maintenance import HoldPages
from warroom.models import Phase
from warroom.responders import Acknowledge
from warroom.rules import Operation, Refused

HOUR = timedelta(hours=1)


def pages(life) -> list[tuple[object, str]]:
    return [(e.request.at, e.request.target) for e in of(life.outbox, Operation.PAGE)]


def hold(life, until, at):
    return life.handle("hold_pages", HoldPages(by="maintenance", until=until, reason="db upgrade"), at)


def test_a_hold_delays_the_next_page_to_the_windows_end_then_escalation_goes_on():
    life = declare("SEV1")  # primary paged at T0, secondary due at +5m
    hold(life, T0 + 2 * HOUR, T0 + MINUTE)
    assert life.state.deadlines["page"].due == T0 + 2 * HOUR and life.state.deadlines["pages_held"].due == T0 + 2 * HOUR
    run_until(life, T0 + 2 * HOUR - MINUTE)
    assert pages(life) == [(T0, "primary")], "nothing pages while maintenance holds"
    run_until(life, T0 + 3 * HOUR)
    assert pages(life)[:3] == [(T0, "primary"), (T0 + 2 * HOUR, "secondary"), (T0 + 2 * HOUR + 10 * MINUTE, "manager")]
    assert any(e.kind == "maintenance" and "pages held for" in e.text and "db upgrade" in e.text for e in life.state.timeline)


def test_ending_the_window_early_releases_the_waiting_page_now():
    life = declare("SEV1")
    hold(life, T0 + 8 * HOUR, T0 + MINUTE)
    hold(life, T0 + 30 * MINUTE, T0 + 30 * MINUTE)  # the window ended early
    run_until(life, T0 + 30 * MINUTE)
    assert pages(life) == [(T0, "primary"), (T0 + 30 * MINUTE, "secondary")]


def test_acknowledging_during_the_hold_pages_nobody_later():
    life = declare("SEV1")
    hold(life, T0 + 2 * HOUR, T0 + MINUTE)
    life.handle("acknowledge", Acknowledge(by="bob"), T0 + 10 * MINUTE)
    run_until(life, T0 + 4 * HOUR)
    assert pages(life) == [(T0, "primary")]


def test_resolved_incidents_refuse_a_hold():
    life = in_phase(Phase.VERIFY, "SEV2")
    try:
        hold(life, T0 + 2 * HOUR, T0 + HOUR)
    except Refused as refused:
        assert "only for open incidents" in str(refused)
    else:
        raise AssertionError("a resolved incident took a page hold")
