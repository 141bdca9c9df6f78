"""The public side of an incident and its stakeholders, in the rules alone:
what reaches the status page and when, who may publish, components, the
announcements channel and the executive summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_rules import ACKED_AT, ID, MINUTE, RESOLVED_AT, T0, added, declare, fire, of, resolve, run_until
from warroom.models import IncidentInput
from warroom.responders import Acknowledge, Assign, Note, SeverityChange, StatusUpdate
from warroom.policy import Policy, ServiceConfig
from warroom.public_policy import StakeholderConfig, StatusPageConfig
from warroom.rules import Lifecycle, Operation

INTERNAL = "The issue has been identified as bad deploy of payments-api 41. We are implementing a fix."
CHECKOUT = Policy(services={"checkout": ServiceConfig(components=["Checkout", "API"])})


def alert_opened(severity: str = "SEV2", policy: Policy | None = None) -> Lifecycle:
    inp = IncidentInput(title="HighErrorRate on payments-api", service="checkout", severity=severity, source="alertmanager")
    life = Lifecycle.declare(ID, inp, policy or CHECKOUT, {}, T0)
    life.mobilize(T0)
    return life


def published(life: Lifecycle, action=None):
    effects = added(life, action) if action else life.outbox
    return [e.request for e in of(effects, Operation.PUBLISH_STATUS)]


def update(life: Lifecycle, by: str = "alice", at=T0 + 5 * MINUTE, **fields):
    fields.setdefault("status", "identified")
    fields.setdefault("message", INTERNAL)
    return life.handle("update", StatusUpdate(by=by, **fields), at)


def test_an_alert_opened_sev2_goes_public_at_its_first_acknowledgement_not_before():
    life = alert_opened()
    assert published(life) == [] and not life.is_public
    first = next(e.request for e in life.outbox if e.operation is Operation.OPEN_CHANNEL).first_post.text
    assert "**Status page:** not public yet: SEV2 goes public once someone acknowledges" in first
    [post] = published(life, lambda: life.handle("acknowledge", Acknowledge(by="bob"), ACKED_AT))
    assert (post.status, post.title) == ("investigating", "Partial outage: Checkout, API")
    assert post.message == "We are currently investigating reports of issues with Checkout, API. Our team is actively working on a resolution."
    assert "public on the status page now" in life.state.timeline[-1].text
    assert published(life, lambda: life.handle("acknowledge", Acknowledge(by="carol"), ACKED_AT + MINUTE)) == []


def test_an_alert_opened_sev1_waits_for_a_person_a_declared_sev1_does_not():
    assert published(alert_opened("SEV1")) == []
    [post] = published(declare("SEV1", CHECKOUT))
    assert (post.status, post.title, post.components) == ("investigating", "Major outage: Checkout, API",
                                                          {"Checkout": "major_outage", "API": "major_outage"})


def test_an_internal_message_never_goes_public_the_status_change_does_in_the_seeds_words():
    life = declare("SEV1", CHECKOUT)
    [post] = published(life, lambda: update(life))
    assert post.status == "identified"
    assert post.message == "The issue has been identified. We are implementing a fix."
    assert "payments-api" not in post.model_dump_json()
    assert published(life, lambda: update(life, message="still rolling back")) == [], "same status, no public text: nothing"


def test_a_publishers_public_text_name_and_components_go_out_as_chosen():
    life = declare("SEV1", CHECKOUT)  # alice declared it: commander, a publisher by default
    [post] = published(life, lambda: update(
        life, public="Checkout is failing for about 15% of attempts; a fix is rolling out.",
        public_title="Checkout failures", components="Checkout=partial_outage,API=operational",
    ))
    assert (post.title, post.message) == ("Checkout failures", "Checkout is failing for about 15% of attempts; a fix is rolling out.")
    assert post.components == {"Checkout": "partial_outage", "API": "operational"}


def test_a_non_publishers_public_text_is_refused_and_the_internal_part_goes_through():
    life = declare("SEV1", CHECKOUT)
    before = life.state.comms.model_copy()
    receipts = []
    effects = added(life, lambda: receipts.append(
        update(life, by="mallory", public="All good!", public_title="Nothing", components="API=operational", eta="10 min")
    ))
    assert receipts == ["update posted (identified); public part refused: mallory is not a publisher (publishers: comms_lead, commander)"]
    assert of(effects, Operation.PUBLISH_STATUS) == [] and of(effects, Operation.POST), "the page untouched, the channel told"
    assert (life.state.comms.public_title, life.state.comms.components) == (before.public_title, before.components)
    assert life.state.comms.eta == "10 min", "the template lines are internal"
    assert life.state.timeline[-1].kind == "refused"
    # Once mallory holds a publishing role, the same text goes out.
    life.handle("assign", Assign(by="alice", role="comms_lead", user="mallory"), T0 + 6 * MINUTE)
    [post] = published(life, lambda: update(life, by="mallory", public="We found it.", at=T0 + 7 * MINUTE))
    assert post.message == "We found it."


def test_publishers_are_configurable_as_people():
    policy = CHECKOUT.model_copy(update={"status_page": StatusPageConfig(publishers=["pat"])})
    life = declare("SEV1", policy)
    assert "refused" in update(life, public="x")  # alice is commander, no longer a publisher
    [post] = published(life, lambda: update(life, by="pat", status="monitoring", public="Fixed, watching."))
    assert post.message == "Fixed, watching."


def test_manual_publishing_waits_for_a_publishers_text_then_follows_status_changes():
    policy = CHECKOUT.model_copy(update={"status_page": StatusPageConfig(publish_on={"SEV1": "manual"})})
    life = declare("SEV1", policy)
    assert published(life) == [] and published(life, lambda: update(life)) == []
    [post] = published(life, lambda: update(life, status="identified", public="We know what it is."))
    assert (post.status, post.message) == ("identified", "We know what it is.")
    [post] = published(life, lambda: update(life, status="monitoring"))
    assert post.message == "A fix has been implemented and we are monitoring the results."


def test_components_follow_the_severity_and_recover_at_resolution():
    life = alert_opened("SEV3")
    life.handle("acknowledge", Acknowledge(by="bob"), ACKED_AT)
    assert published(life)[-1].components == {"Checkout": "degraded_performance", "API": "degraded_performance"}
    assert published(life)[-1].title == "Degraded performance: Checkout, API"
    [post] = published(life, lambda: life.handle("escalate", SeverityChange(by="bob", severity="SEV1", reason="all down"), ACKED_AT + MINUTE))
    assert (post.message, post.title, post.components["API"]) == (None, "Major outage: Checkout, API", "major_outage")
    [post] = published(life, lambda: resolve(life))
    assert post.status == "monitoring" and set(post.components.values()) == {"operational"}


def test_update_changes_the_impact_help_needed_and_eta_lines():
    life = declare("SEV2", CHECKOUT)
    [post] = of(added(life, lambda: update(life, impact="checkout fails for 15%", help_needed="a DBA", eta="30 min")), Operation.POST)
    text = post.request.text
    assert "**Impact:** checkout fails for 15%" in text and "**Help needed:** a DBA" in text and "**ETA:** 30 min" in text
    assert "**Status page:** not public yet" in text
    assert life.state.impact.description == "checkout fails for 15%"


ANNOUNCE = StakeholderConfig(announce="#incidents", executives=["vp-eng", "#exec"], executive_every=timedelta(minutes=45))


def test_the_announcements_channel_gets_one_line_per_declare_severity_change_resolve_and_close():
    life = declare("SEV3", CHECKOUT.model_copy(update={"stakeholders": ANNOUNCE}))
    life.handle("acknowledge", Acknowledge(by="bob"), ACKED_AT)
    life.handle("note", Note(by="bob", text="looking"), ACKED_AT)
    # Down and back up: a SEV3 at its peak owes no postmortem, so it closes.
    life.handle("downgrade", SeverityChange(by="bob", severity="SEV4", reason="workaround found"), ACKED_AT + MINUTE)
    life.handle("escalate", SeverityChange(by="bob", severity="SEV3", reason="the workaround fails"), ACKED_AT + 2 * MINUTE)
    resolve(life)
    run_until(life, RESOLVED_AT + timedelta(minutes=31))
    lines = [e.request for e in of(life.outbox, Operation.ANNOUNCE)]
    assert {line.channel.name for line in lines} == {"incidents"}
    assert [line.text for line in lines] == [
        f"{ID} · SEV3 · checkout: declared (IC alice) · Checkout errors",
        f"{ID} · SEV4 · checkout: downgraded SEV3 -> SEV4: workaround found (IC alice) · Checkout errors",
        f"{ID} · SEV3 · checkout: escalated SEV4 -> SEV3: the workaround fails (IC alice) · Checkout errors",
        f"{ID} · SEV3 · checkout: resolved: rolled back (IC alice) · Checkout errors",
        f"{ID} · SEV3 · checkout: closed (IC alice) · Checkout errors",
    ]


def test_the_sev1_executive_summary_comes_on_its_own_cadence_until_resolution():
    life = declare("SEV1", CHECKOUT.model_copy(update={"stakeholders": ANNOUNCE}))
    assert life.state.deadlines["executive_summary"].due == T0 + timedelta(minutes=45)
    update(life, eta="an hour", impact="checkout down for everyone")
    sent = added(life, lambda: fire(life, T0 + timedelta(minutes=45)))
    [dm], [post] = of(sent, Operation.DIRECT_MESSAGE), of(sent, Operation.ANNOUNCE)
    assert dm.request.user == "vp-eng" and post.request.channel.name == "exec"
    text = dm.request.text
    assert "**Impact:** checkout down for everyone" in text and "**ETA:** an hour" in text
    assert "**Customer effect:** status page shows 'Major outage: Checkout, API' (identified)" in text
    assert "**Next update:** 10:30 UTC" in text
    assert life.state.deadlines["executive_summary"].due == T0 + timedelta(minutes=90)
    resolve(life, T0 + timedelta(minutes=50))
    assert "executive_summary" not in life.state.deadlines


def test_no_executive_summary_below_sev1_or_without_executives():
    assert "executive_summary" not in declare("SEV2", CHECKOUT.model_copy(update={"stakeholders": ANNOUNCE})).state.deadlines
    assert "executive_summary" not in declare("SEV1", CHECKOUT).state.deadlines


@pytest.mark.parametrize("value", ["Checkout=sideways", "=major_outage"])
def test_unknown_component_states_are_refused_by_the_model(value):
    with pytest.raises(ValueError):
        StatusUpdate(by="alice", status="identified", message="x", components=value)
