"""The learn loop cannot be skipped: the postmortem duty follows the peak
severity (a downgrade keeps it unless the commander waives it with a reason),
and a review records the agreed action items or why no action is needed."""

from __future__ import annotations

from datetime import timedelta

from warroom.models import Phase
from warroom.responders import ActionItemRequest, PostmortemEvent, Resolve, SeverityChange
from tests.test_rules import LATER, RESOLVED_AT, T0, assert_refused, declare, in_phase, run_until

DUE = (T0 + timedelta(days=14)).date()


def downgraded_after_resolution() -> object:
    """A SEV1 resolved, then downgraded to SEV3, then past its monitoring window."""
    life = declare("SEV1")
    life.handle("resolve", Resolve(by="alice", summary="failed over"), RESOLVED_AT)
    life.handle("downgrade", SeverityChange(by="alice", severity="SEV3", reason="fewer users than feared"), RESOLVED_AT + timedelta(minutes=1))
    run_until(life, RESOLVED_AT + life.policy.timing.monitoring_window + timedelta(minutes=1))
    return life


def test_a_downgrade_after_resolution_keeps_the_postmortem_duty_of_the_peak_severity():
    life = downgraded_after_resolution()
    s = life.state
    assert (s.severity, s.peak_severity) == ("SEV3", "SEV1")
    assert s.phase is Phase.LEARN, "the loophole: a downgraded SEV1 closed at once with no postmortem"
    assert s.postmortem.required and {"postmortem_draft", "postmortem_review"} <= set(s.deadlines)


def test_only_the_commander_waives_a_downgraded_duty_and_only_with_a_reason():
    life = downgraded_after_resolution()
    assert_refused(life, "postmortem", PostmortemEvent(by="bob", event="waived", reason="noise"), "only the incident commander (alice) can waive the postmortem")
    assert_refused(life, "postmortem", PostmortemEvent(by="alice", event="waived"), "a waiver needs a reason (--reason)")
    life.handle("postmortem", PostmortemEvent(by="alice", event="waived", reason="a test alert; no user saw it"), LATER)
    s = life.state
    assert s.phase is Phase.CLOSED and not s.postmortem.required and s.postmortem.waived == "a test alert; no user saw it"
    assert "postmortem waived (peak SEV1, now SEV3): a test alert; no user saw it" in [e.text for e in s.timeline]


def test_an_incident_at_its_peak_cannot_waive_its_postmortem():
    life = in_phase(Phase.LEARN, "SEV2")
    assert_refused(life, "postmortem", PostmortemEvent(by="alice", event="waived", reason="busy"), "a SEV2 incident owes a postmortem; only the duty a downgrade left can be waived")
    sev3 = in_phase(Phase.VERIFY, "SEV3")
    assert_refused(sev3, "postmortem", PostmortemEvent(by="alice", event="waived", reason="why not"), "no postmortem is owed")


def test_a_review_without_action_items_or_a_reason_is_refused_and_the_incident_stays_open():
    life = in_phase(Phase.LEARN, "SEV1")
    life.handle("postmortem", PostmortemEvent(by="alice", event="submitted", link="https://wiki/pm/1"), LATER)
    assert_refused(life, "postmortem", PostmortemEvent(by="alice", event="reviewed"), (
        "a review records the action items it agreed: add them first (`warroom action-item`), "
        "or say why no action is needed (--no-action REASON)"
    ))
    assert life.state.phase is Phase.LEARN

    life.handle("action_item", ActionItemRequest(by="alice", title="Alert on queue depth", owner="carol", due=DUE,
                                                 addresses="no alert on the queue backlog"), LATER)
    life.handle("postmortem", PostmortemEvent(by="alice", event="reviewed"), LATER)
    s = life.state
    assert s.phase is Phase.CLOSED and s.postmortem.agreed_items == [1]
    assert s.action_items[0].addresses == "no alert on the queue backlog"
    assert "postmortem reviewed; agreed action items 1" in [e.text for e in s.timeline]


def test_a_review_may_record_that_no_action_is_needed_with_its_reason():
    life = in_phase(Phase.LEARN, "SEV2")
    life.handle("postmortem", PostmortemEvent(by="alice", event="submitted"), LATER)
    life.handle("postmortem", PostmortemEvent(by="alice", event="reviewed", no_action="the vendor fixed the root cause"), LATER)
    s = life.state
    assert s.phase is Phase.CLOSED and s.postmortem.no_action == "the vendor fixed the root cause"
    assert s.timeline[-2].text == "postmortem reviewed; no action needed: the vendor fixed the root cause"


def test_escalating_again_after_a_waiver_brings_the_duty_back():
    life = declare("SEV1")
    life.handle("resolve", Resolve(by="alice", summary="failed over"), RESOLVED_AT)
    life.handle("downgrade", SeverityChange(by="alice", severity="SEV3", reason="looked minor"), RESOLVED_AT)
    life.handle("postmortem", PostmortemEvent(by="alice", event="waived", reason="a test alert"), RESOLVED_AT)
    assert not life.state.postmortem.required
    life.handle("escalate", SeverityChange(by="alice", severity="SEV2", reason="it was real after all"), RESOLVED_AT)
    run_until(life, RESOLVED_AT + life.policy.timing.monitoring_window + timedelta(minutes=1))
    assert life.state.phase is Phase.LEARN and life.state.postmortem.required
