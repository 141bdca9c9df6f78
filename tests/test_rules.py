"""The incident rules on their own: no Temporal, no integration, explicit `now`.

Every test here drives `Lifecycle` directly, as the workflow does, and takes
milliseconds. The helpers at the top are shared by `tests/test_rules_*.py`.
This file: the message table (every refusal and every transition), the
message-specific checks, and that the rules import nothing of the outside world.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel

from warroom.maintenance import HoldPages
from warroom.models import Change, IncidentInput, Phase, Severity
from warroom.responders import (
    Acknowledge, ActionItemRequest, Assign, DraftPostmortem, Mitigate, Note, PostmortemEvent, Reopen, Resolve, SeverityChange, StatusUpdate,
)
from warroom.policy import DEFAULT_SEVERITIES, Policy, SeverityPolicy
from warroom.rules import MESSAGES, Effect, Lifecycle, Operation, Refused

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # every incident here is declared then
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
ACKED_AT = T0 + 2 * MINUTE
RESOLVED_AT = T0 + 20 * MINUTE
LATER = T0 + timedelta(hours=5)  # after every step `in_phase` takes
ID = "inc-1"


# --- helpers shared by the test_rules_* files --------------------------------------------


def policy_with(severity: str, **changes: Any) -> Policy:
    """The default policy with one severity's demands changed (as `warroom.toml` would)."""
    sev = Severity(severity)
    return Policy(severities={**DEFAULT_SEVERITIES, sev: SeverityPolicy(**{**DEFAULT_SEVERITIES[sev].model_dump(), **changes})})


def declare(severity: str = "SEV2", policy: Policy | None = None, source: str = "manual") -> Lifecycle:
    """A declared and mobilized incident, at T0; a manual one has alice as commander."""
    by = "alice" if source == "manual" else source
    inp = IncidentInput(title="Checkout errors", service="checkout", severity=severity, declared_by=by, source=source)
    life = Lifecycle.declare(ID, inp, policy or Policy(), {"Temporal UI": f"http://ui/{ID}"}, T0)
    life.mobilize(T0)
    return life


def fire(life: Lifecycle, at: datetime) -> None:
    """What the workflow does when a deadline's timer fires at `at`."""
    life.fire_due(at + SECOND, at)


def run_until(life: Lifecycle, until: datetime) -> None:
    """Fire every timer due by `until`, each at its own time, as the workflow's do."""
    while (pending := life.pending()) and pending[0].next_fire <= until:
        fire(life, pending[0].next_fire)


def added(life: Lifecycle, action: Callable[[], Any]) -> list[Effect]:
    """The effects `action` queues."""
    before = len(life.outbox)
    action()
    return life.outbox[before:]


def of(effects: list[Effect], operation: Operation) -> list[Effect]:
    return [e for e in effects if e.operation is operation]


def resolve(life: Lifecycle, at: datetime = RESOLVED_AT) -> None:
    life.handle("resolve", Resolve(by="alice", summary="rolled back"), at)


def submit_and_review(life: Lifecycle) -> None:
    life.handle("postmortem", PostmortemEvent(by="alice", event="submitted", link="https://wiki/pm/1"), T0 + timedelta(hours=3))
    life.handle("postmortem", PostmortemEvent(by="alice", event="reviewed", no_action="a one-off"), T0 + timedelta(hours=4))


def in_phase(phase: Phase, severity: str = "SEV2", policy: Policy | None = None) -> Lifecycle:
    """An incident brought to `phase` through real messages and deadlines."""
    life = declare(severity, policy)
    steps: list[tuple[Phase, Callable[[], None]]] = [
        (Phase.STABILIZE, lambda: life.handle("acknowledge", Acknowledge(by="bob"), ACKED_AT)),
        (Phase.VERIFY, lambda: resolve(life)),
        (Phase.LEARN, lambda: run_until(life, RESOLVED_AT + life.policy.timing.monitoring_window)),
        (Phase.CLOSED, lambda: submit_and_review(life)),
    ]
    for reached, step in steps:
        if life.state.phase is phase:
            break
        step()
        assert life.state.phase is reached
    assert life.state.phase is phase
    return life


def alert(status: str = "firing", fingerprint: str = "f1") -> dict[str, str]:
    return {"source": "alertmanager", "dedup_key": "g1", "fingerprint": fingerprint, "name": f"HighErrorRate-{fingerprint}", "status": status}


def batch(*alerts: dict[str, str], batch_id: str | None = None) -> BaseModel:
    """An alert batch as the gateway sends it, in the model the message table names."""
    return MESSAGES["alerts"].model.model_validate({"alerts": list(alerts), "batch_id": batch_id})


def snapshot(life: Lifecycle) -> tuple[str, list[tuple[Any, ...]]]:
    """Everything a refusal must leave alone: the state's JSON and the queued effects."""
    effects = [(e.operation, e.key, e.summary, e.request.model_dump_json()) for e in life.outbox]
    return life.state.model_dump_json(), effects


def assert_refused(life: Lifecycle, name: str, msg: BaseModel, reason: str) -> None:
    """`check` and `handle` refuse with exactly `reason`, and change nothing."""
    before = snapshot(life)
    with pytest.raises(Refused) as raised:
        life.check(name, msg)
    assert str(raised.value) == reason
    with pytest.raises(Refused):
        life.handle(name, msg, LATER)
    assert snapshot(life) == before


# --- the message table -------------------------------------------------------------------

# A message of each kind that passes its own check in an incident `in_phase` built
# (SEV2, alice commander, bob acknowledged): only the phase can refuse it.
VALID: dict[str, BaseModel] = {
    "acknowledge": Acknowledge(by="carol"),
    "assign": Assign(by="alice", role="scribe", user="sam"),
    "note": Note(by="bob", text="error rate flat since the rollback"),
    "mitigate": Mitigate(by="bob", action="scale_up", description="twice the pods"),
    "update": StatusUpdate(by="alice", status="identified", message="bad deploy of v42"),
    "escalate": SeverityChange(by="alice", severity="SEV1", reason="all regions"),
    "downgrade": SeverityChange(by="alice", severity="SEV2", reason="one region"),
    "resolve": Resolve(by="alice", summary="rolled back"),
    "reopen": Reopen(by="bob", reason="errors are back"),
    "action_item": ActionItemRequest(by="alice", title="Canary deploys", owner="carol", due=(T0 + timedelta(days=14)).date()),
    "postmortem": PostmortemEvent(by="alice", event="submitted", link="https://wiki/pm/1"),
    "draft_postmortem": DraftPostmortem(by="alice"),
    "alerts": batch(alert("resolved")),
    "hold_pages": HoldPages(by="maintenance", until=T0 + timedelta(days=400), reason="db upgrade"),
}
# A downgrade needs a severity to come down from that still owes a postmortem
# (SEV2 -> SEV3 in learn would close the incident: no postmortem owed any more).
BUILT_AT = {"downgrade": "SEV1"}


def table_refusal(name: str, phase: Phase) -> str | None:
    """What the table says a message gets in `phase`: None when taken, else its refusal."""
    verb = MESSAGES[name]
    if phase is Phase.CLOSED:
        return f"incident {ID} is closed"
    if phase in verb.taken_in:
        return None
    return verb.refused_in.get(phase, verb.refused).format(id=ID, phase=phase.value)


def test_every_message_has_a_valid_example():
    assert set(VALID) == set(MESSAGES)


@pytest.mark.parametrize("phase", list(Phase), ids=str)
@pytest.mark.parametrize("name", list(MESSAGES))
def test_the_message_table_decides_refusal_and_phase(name, phase):
    life = in_phase(phase, BUILT_AT.get(name, "SEV2"))
    msg = VALID[name]
    reason = table_refusal(name, phase)
    if reason:
        assert_refused(life, name, msg, reason)
        return
    before = snapshot(life)
    life.check(name, msg)
    assert snapshot(life) == before  # an accepted check changes nothing either
    life.handle(name, msg, LATER)
    assert life.state.phase is MESSAGES[name].moves.get(phase, phase)


def test_the_phase_graph_messages_make():
    moves = {(name, a.value, b.value) for name, verb in MESSAGES.items() for a, b in verb.moves.items()}
    assert moves == {
        ("acknowledge", "triage", "stabilize"), ("mitigate", "triage", "stabilize"), ("update", "triage", "stabilize"),
        ("resolve", "triage", "verify"), ("resolve", "stabilize", "verify"), ("reopen", "verify", "stabilize"),
    }


def test_the_refusals_people_read():
    """The table's reasons, spelled out once, as responders see them."""
    expected = {
        ("update", Phase.VERIFY): "status updates are for open incidents; this one is in verify",
        ("resolve", Phase.LEARN): "incident is already resolved (phase learn)",
        ("reopen", Phase.STABILIZE): "incident is not resolved, there is nothing to reopen",
        ("reopen", Phase.LEARN): "incident has left verify; declare a new incident as a recurrence of this one",
        ("mitigate", Phase.LEARN): "the incident is in learn: mitigation is over; add an action item instead",
        ("postmortem", Phase.TRIAGE): "a postmortem follows resolution; resolve the incident first",
        ("alerts", Phase.LEARN): f"incident {ID} has left verify; a new alert opens a new incident",
        ("note", Phase.CLOSED): f"incident {ID} is closed",
    }
    assert {key: table_refusal(*key) for key in expected} == expected


def test_downgrading_in_learn_keeps_the_postmortem_duty_of_the_peak_severity():
    life = in_phase(Phase.LEARN, "SEV2")
    life.handle("downgrade", SeverityChange(by="alice", severity="SEV3", reason="minor after all"), LATER)
    assert life.state.phase is Phase.LEARN and life.state.postmortem.required


# --- the message-specific checks ---------------------------------------------------------


def test_assigning_a_role_to_its_holder_is_refused():
    life = in_phase(Phase.STABILIZE)
    assert_refused(life, "assign", Assign(by="bob", role="commander", user="alice"), "alice is already commander")
    assert life.handle("assign", Assign(by="alice", role="commander", user="bob"), LATER) == "handoff: commander alice -> bob"


@pytest.mark.parametrize(
    "name, to, reason",
    [
        ("escalate", "SEV2", "incident is already SEV2"),
        ("downgrade", "SEV2", "incident is already SEV2"),
        ("escalate", "SEV3", "SEV3 is not more severe than SEV2; use downgrade"),
        ("downgrade", "SEV1", "SEV1 is more severe than SEV2; use escalate"),
        ("escalate", "SEV1", None),
        ("downgrade", "SEV4", None),
    ],
)
def test_severity_changes_go_their_own_way(name, to, reason):
    life = in_phase(Phase.STABILIZE, "SEV2")
    msg = SeverityChange(by="alice", severity=to, reason="impact changed")
    if reason:
        assert_refused(life, name, msg, reason)
    else:
        life.handle(name, msg, LATER)
        assert life.state.severity == to


@pytest.mark.parametrize("days, accepted", [(-1, False), (0, True), (30, True)])
def test_an_action_item_cannot_be_due_before_the_declaration(days, accepted):
    life = in_phase(Phase.LEARN)
    due = T0.date() + timedelta(days=days)
    msg = ActionItemRequest(by="alice", title="Canary deploys", owner="carol", due=due)
    if not accepted:
        assert_refused(life, "action_item", msg, f"due date {due} is before the incident began")
        return
    life.handle("action_item", msg, LATER)
    assert [(i.number, i.due) for i in life.state.action_items] == [(1, due)]


def test_a_postmortem_is_reviewed_once_and_only_after_submission():
    life = in_phase(Phase.VERIFY)  # in verify a review does not close, so a second one can come
    reviewed = PostmortemEvent(by="alice", event="reviewed", no_action="the provider fixed it")
    assert_refused(life, "postmortem", reviewed, "postmortem has not been submitted yet")
    life.handle("postmortem", VALID["postmortem"], LATER)
    life.handle("postmortem", reviewed, LATER)
    assert life.state.postmortem.reviewed_at == LATER
    assert_refused(life, "postmortem", reviewed, "postmortem was already reviewed")
    # Reviewed during verify: closure still waits for the monitoring window, then follows at once.
    assert life.state.phase is Phase.VERIFY and life.state.metrics.closed_at is None
    assert [d.name for d in life.pending()] == ["monitoring_window"]
    run_until(life, LATER)
    assert life.state.phase is Phase.CLOSED and life.state.metrics.closed_at == RESOLVED_AT + life.policy.timing.monitoring_window


def test_a_mitigation_names_only_changes_the_incident_knows():
    life = in_phase(Phase.STABILIZE)
    unknown = Mitigate(by="bob", action="feature_flag", change_id="chg-9")
    assert_refused(life, "mitigate", unknown, f"unknown change chg-9: not one of this incident's suspects (none recorded); see `warroom show {ID}`")
    deploy = Change(id="chg-1", service="checkout", kind="deploy", summary="v42", who="dan", when=T0 - timedelta(hours=1))
    [listing] = of(life.outbox, Operation.LIST_RECENT_CHANGES)
    listing.then([deploy])
    assert_refused(life, "mitigate", unknown, f"unknown change chg-9: not one of this incident's suspects (chg-1); see `warroom show {ID}`")
    life.handle("mitigate", Mitigate(by="bob", action="feature_flag", change_id="chg-1"), LATER)
    assert life.state.mitigations[-1].change_id == "chg-1"


CHECKLIST = ["no_irreversible_migrations", "no_irreversible_side_effects", "known_good_target"]


@pytest.mark.parametrize(
    "checklist, unmet",
    [
        (None, CHECKLIST),
        *(({item: item != missing for item in CHECKLIST}, [missing]) for missing in CHECKLIST),
        ({}, CHECKLIST),  # an empty checklist claims nothing
        (dict.fromkeys(CHECKLIST, True), []),
    ],
)
def test_a_rollback_needs_its_whole_checklist(checklist, unmet):
    life = in_phase(Phase.STABILIZE)
    msg = Mitigate(by="bob", action="rollback", description="back to v41", checklist=checklist)
    if unmet:
        assert_refused(life, "mitigate", msg, "rollback refused, checklist not met: " + ", ".join(unmet))
        return
    life.handle("mitigate", msg, LATER)
    assert [(m.action.value, m.at) for m in life.state.mitigations] == [("rollback", LATER)]


def test_only_a_rollback_has_a_checklist():
    life = in_phase(Phase.STABILIZE)
    life.handle("mitigate", Mitigate(by="bob", action="failover", description="to eu-west"), LATER)
    assert life.state.mitigations[-1].action.value == "failover"


# --- the rules stand alone ---------------------------------------------------------------


def test_the_rules_import_no_temporal_no_activity_and_no_http_client():
    code = "import json, sys, warroom.rules; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    outside = [m for m in loaded if m.split(".")[0] in ("temporalio", "activities", "httpx") or m.startswith("warroom.activities")]
    assert "warroom.rules.lifecycle" in loaded and outside == []
