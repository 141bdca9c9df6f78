"""Deadline arithmetic of the incident rules, to the second: status-update
cadence, monitoring window, postmortem deadlines and their reminders, paging
escalation and the roles reminder. No Temporal; `now` is explicit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_rules import (
    ACKED_AT, MINUTE, RESOLVED_AT, SECOND, T0, added, declare, fire, in_phase, of, policy_with, run_until,
)
from warroom.models import Phase, Severity
from warroom.responders import Acknowledge, Assign, PostmortemEvent, SeverityChange, StatusUpdate
from warroom.policy import EscalationStep, Policy, ServiceConfig, Timing
from warroom.rules import Operation

HOUR = timedelta(hours=1)


def status_due(life):
    d = life.state.deadlines["status_update"]
    return d.due, d.next_fire


def change_severity(life, name, severity, at):
    life.handle(name, SeverityChange(by="alice", severity=severity, reason="impact changed"), at)


def update(life, at):
    life.handle("update", StatusUpdate(by="alice", status="identified", message="bad deploy"), at)


# --- the status-update cadence -----------------------------------------------------------


@pytest.mark.parametrize("severity, cadence", [("SEV1", 30 * MINUTE), ("SEV2", 60 * MINUTE), ("SEV3", None), ("SEV4", None)])
def test_the_default_cadence_per_severity(severity, cadence):
    assert Policy().for_severity(Severity(severity)).update_cadence == cadence
    life = declare(severity)
    if cadence is None:
        assert "status_update" not in life.state.deadlines
    else:
        assert status_due(life) == (T0 + cadence, T0 + cadence)


def test_a_configured_cadence_replaces_the_default():
    life = declare("SEV1", policy_with("SEV1", update_cadence="PT15M"))
    assert status_due(life) == (T0 + 15 * MINUTE, T0 + 15 * MINUTE)


@pytest.mark.parametrize(
    "severity, cadence, policy",
    [("SEV1", 30 * MINUTE, None), ("SEV2", 60 * MINUTE, None), ("SEV1", 15 * MINUTE, policy_with("SEV1", update_cadence="15m"))],
)
def test_an_overdue_update_is_reminded_again_one_cadence_after_each_reminder(severity, cadence, policy):
    life = declare(severity, policy)
    due = T0 + cadence
    posts = added(life, lambda: fire(life, due))
    assert any("status update is due" in p.request.text for p in of(posts, Operation.POST))
    d = life.state.deadlines["status_update"]
    assert (d.due, d.next_fire, d.reminders) == (due, due + cadence, 1)
    fire(life, due + cadence)
    assert (d.due, d.next_fire, d.reminders) == (due, due + 2 * cadence, 2)


def test_an_update_resets_the_cadence_even_after_reminders():
    life = declare("SEV1")
    update(life, T0 + 5 * MINUTE)
    assert status_due(life) == (T0 + 35 * MINUTE, T0 + 35 * MINUTE)
    fire(life, T0 + 35 * MINUTE)
    update(life, T0 + 50 * MINUTE)
    d = life.state.deadlines["status_update"]
    assert (d.due, d.next_fire, d.reminders, d.met_at) == (T0 + 80 * MINUTE, T0 + 80 * MINUTE, 0, None)


@pytest.mark.parametrize(
    "declared, name, to, at, due, reminded_again",
    [
        ("SEV2", "escalate", "SEV1", 10, 40, 70),  # the faster cadence brings the update forward
        ("SEV2", "escalate", "SEV1", 45, 60, 90),  # now + 30 min is later: the earlier due stays, then 30 min
        ("SEV1", "downgrade", "SEV2", 10, 30, 90),  # the earlier due stays, then the slower 60 min
    ],
)
def test_a_severity_change_keeps_the_earlier_due_and_then_follows_the_new_cadence(declared, name, to, at, due, reminded_again):
    """Minutes after T0: the change `at`, the next update `due`, the reminder after it."""
    life = declare(declared)
    change_severity(life, name, to, T0 + at * MINUTE)
    assert status_due(life) == (T0 + due * MINUTE, T0 + due * MINUTE)
    fire(life, T0 + due * MINUTE)
    assert life.state.deadlines["status_update"].next_fire == T0 + reminded_again * MINUTE
    cadence = life.rules.update_cadence
    update(life, T0 + (due + 5) * MINUTE)
    assert status_due(life) == (T0 + (due + 5) * MINUTE + cadence,) * 2


def test_downgrading_to_a_severity_without_cadence_drops_the_update_deadline():
    life = declare("SEV2")
    change_severity(life, "downgrade", "SEV3", T0 + 10 * MINUTE)
    assert "status_update" not in life.state.deadlines


# --- the monitoring window ---------------------------------------------------------------


@pytest.mark.parametrize("window", [None, timedelta(minutes=45), timedelta(hours=2)])
def test_the_monitoring_window_is_exactly_as_long_as_configured(window):
    policy = Policy(timing=Timing(monitoring_window=window)) if window else Policy()
    window = window or 30 * MINUTE
    life = in_phase(Phase.VERIFY, policy=policy)
    d = life.state.deadlines["monitoring_window"]
    assert (d.due, d.next_fire) == (RESOLVED_AT + window, RESOLVED_AT + window)
    fire(life, RESOLVED_AT + window - 2 * SECOND)  # a timer a moment early closes nothing
    assert life.state.phase is Phase.VERIFY
    fire(life, RESOLVED_AT + window)
    assert life.state.phase is Phase.LEARN and d.met_at == RESOLVED_AT + window


# --- postmortem deadlines ----------------------------------------------------------------


@pytest.mark.parametrize(
    "timing",
    [Timing(), Timing(postmortem_draft_due="12h", postmortem_review_due="3d", remind_before="2h", overdue_every="6h")],
    ids=["default", "configured"],
)
@pytest.mark.parametrize("what, due_after", [("draft", "postmortem_draft_due"), ("review", "postmortem_review_due")])
def test_postmortem_deadlines_remind_ahead_then_every_overdue_period(timing, what, due_after):
    life = in_phase(Phase.VERIFY, "SEV2", Policy(timing=timing))
    life.handle("assign", Assign(by="alice", role="scribe", user="sam"), RESOLVED_AT)
    if what == "review":  # the draft is in, only the review is owed
        life.handle("postmortem", PostmortemEvent(by="sam", event="submitted"), RESOLVED_AT + MINUTE)
    d = life.state.deadlines[f"postmortem_{what}"]
    due = RESOLVED_AT + getattr(timing, due_after)
    assert (d.due, d.next_fire) == (due, due - timing.remind_before)

    def reminded(at):
        return sorted(e.request.user for e in of(added(life, lambda: run_until(life, at)), Operation.DIRECT_MESSAGE))

    assert reminded(due - timing.remind_before - SECOND) == []
    assert reminded(due - timing.remind_before) == ["sam"]  # ahead: the owner
    assert d.next_fire == due
    assert reminded(due) == ["alice", "sam"]  # due: owner and commander
    assert d.next_fire == due + timing.overdue_every
    assert reminded(due + 2 * timing.overdue_every) == ["alice", "alice", "sam", "sam"]
    assert (d.next_fire, d.reminders) == (due + 3 * timing.overdue_every, 4)


# --- paging --------------------------------------------------------------------------------

CUSTOM_STEPS = [
    EscalationStep(target="payments-primary"),
    EscalationStep(target="payments-secondary", after="3m"),
    EscalationStep(target="vp", after="20m"),
]


def page_times(steps):
    """Each step pages `after` the previous one."""
    at, times = T0, []
    for step in steps:
        at += step.after
        times.append((at, step.target))
    return times


@pytest.mark.parametrize("steps", [None, CUSTOM_STEPS], ids=["default", "configured"])
def test_paging_escalates_step_by_step_at_each_offset(steps):
    policy = Policy(services={"checkout": ServiceConfig(escalation=steps)}) if steps else Policy()
    expected = page_times(policy.escalation("checkout"))
    life = declare("SEV1", policy)
    run_until(life, expected[-1][0] + HOUR)
    pages = [(e.request.at, e.request.target, e.request.step) for e in of(life.outbox, Operation.PAGE)]
    assert pages == [(at, target, step) for step, (at, target) in enumerate(expected)]
    assert "page" not in life.state.deadlines and life.state.metrics.pages_sent == len(expected)


@pytest.mark.parametrize("acked_after, pages", [(MINUTE, 1), (7 * MINUTE, 2)])
def test_acknowledging_stops_the_escalation(acked_after, pages):
    life = declare("SEV1")
    run_until(life, T0 + acked_after)
    life.handle("acknowledge", Acknowledge(by="bob"), T0 + acked_after)
    assert "page" not in life.state.deadlines
    run_until(life, T0 + 2 * HOUR)
    assert len(of(life.outbox, Operation.PAGE)) == pages


def test_escalating_an_unacknowledged_incident_to_a_paging_severity_pages():
    life = declare("SEV3")
    assert of(life.outbox, Operation.PAGE) == []
    change_severity(life, "escalate", "SEV1", T0 + 10 * MINUTE)
    [page] = of(life.outbox, Operation.PAGE)
    assert (page.request.target, page.request.at) == ("primary", T0 + 10 * MINUTE)
    assert life.state.deadlines["page"].due == T0 + 15 * MINUTE


def test_escalating_an_acknowledged_incident_pages_nobody():
    life = in_phase(Phase.STABILIZE, "SEV3")
    assert of(added(life, lambda: change_severity(life, "escalate", "SEV1", ACKED_AT + MINUTE)), Operation.PAGE) == []


# --- the roles reminder ------------------------------------------------------------------


@pytest.mark.parametrize("severity, within", [("SEV1", 10 * MINUTE), ("SEV2", 15 * MINUTE)])
def test_unstaffed_roles_are_reminded_every_period_until_staffed(severity, within):
    assert Policy().for_severity(Severity(severity)).roles_required_within == within
    life = declare(severity)
    d = life.state.deadlines["roles"]
    assert (d.due, d.next_fire) == (T0 + within, T0 + within)
    posts = of(added(life, lambda: run_until(life, T0 + 2 * within)), Operation.POST)
    assert sum("needs ops_lead, comms_lead assigned" in p.request.text for p in posts) == 2
    assert (d.next_fire, d.reminders) == (T0 + 3 * within, 2)
    life.handle("assign", Assign(by="alice", role="ops_lead", user="carol"), T0 + 2 * within + MINUTE)
    assert d.met_at is None
    life.handle("assign", Assign(by="alice", role="comms_lead", user="dave"), T0 + 2 * within + 2 * MINUTE)
    assert d.met_at == T0 + 2 * within + 2 * MINUTE and d not in life.pending()
