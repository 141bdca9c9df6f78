"""A drill runs the whole lifecycle but reaches only its participants, marked
DRILL everywhere; a runbook link reaches the channel and the links."""

from __future__ import annotations

from datetime import timedelta

from warroom.drills import Drill
from warroom.models import IncidentInput
from warroom.responders import Acknowledge, ActionItemRequest, Assign, Resolve
from warroom.policy import Policy, ServiceConfig
from warroom.rules import Lifecycle, Operation
from tests.test_rules import ID, LATER, T0

PARTICIPANTS = ["dana", "eli"]


def drill(policy: Policy | None = None) -> Lifecycle:
    policy = policy or Policy(services={"checkout": ServiceConfig(responders=["ann", "ben"], runbook="https://runbooks/checkout")})
    inp = IncidentInput(title="Checkout down", service="checkout", severity="SEV1", declared_by="dana",
                        drill=Drill(participants=PARTICIPANTS))
    life = Lifecycle.declare(ID, inp, policy, {"Temporal UI": f"http://ui/{ID}"}, T0)
    life.mobilize(T0)
    return life


def sent(life: Lifecycle) -> list[tuple[Operation, object]]:
    """Every queued effect as it would go out, the skipped ones left out."""
    out = [(e.operation, life.ready(e)) for e in life.outbox]
    life.outbox.clear()
    return [(op, req) for op, req in out if req is not None]


def test_a_drill_is_marked_in_its_title_channel_and_every_message_and_timeline_entry():
    life = drill()
    life.handle("acknowledge", Acknowledge(by="eli"), T0 + timedelta(minutes=2))
    life.handle("resolve", Resolve(by="dana", summary="failed over"), T0 + timedelta(minutes=20))
    out = sent(life)
    assert life.state.title == "DRILL: Checkout down"
    (channel,) = [req for op, req in out if op is Operation.OPEN_CHANNEL]
    assert channel.title.startswith("DRILL") and channel.topic.startswith("DRILL") and channel.first_post.text.startswith("DRILL")
    assert channel.invite == ["dana", "eli"], "the service's responders are not pulled into a drill"
    posts = [req.text for op, req in out if op in (Operation.POST, Operation.DIRECT_MESSAGE)]
    assert posts and all(text.startswith("DRILL") for text in posts)
    assert all(e.text.startswith("DRILL") for e in life.state.timeline)


def test_a_drill_publishes_nothing_pages_only_participants_and_files_no_issue():
    life = drill()
    life.handle("resolve", Resolve(by="dana", summary="failed over"), T0 + timedelta(minutes=20))
    life.handle("action_item", ActionItemRequest(by="dana", title="Practice failover", owner="eli", due=LATER.date()), LATER)
    queued = [e.operation for e in life.outbox]
    assert Operation.PUBLISH_STATUS in queued and Operation.CREATE_ACTION_ITEM in queued  # the rules run as for real...
    out = sent(life)
    ops = [op for op, _ in out]
    assert Operation.PUBLISH_STATUS not in ops and Operation.UPDATE_PAGE not in ops and Operation.CREATE_ACTION_ITEM not in ops
    pages = [req for op, req in out if op is Operation.PAGE]
    assert pages and all(p.drill and p.target in PARTICIPANTS for p in pages)  # ...but nothing leaves the drill


def test_direct_messages_reach_only_participants_and_role_holders():
    life = drill()
    life.handle("assign", Assign(by="dana", role="comms_lead", user="fay"), T0 + timedelta(minutes=1))
    sent(life)
    life.notify("fay", "you are comms lead", "DM fay")
    life.notify("ann", "the real on-call", "DM ann")
    assert [req.user for _, req in sent(life)] == ["fay"]


def test_a_drill_label_files_drill_items_with_the_label():
    policy = Policy.model_validate({"drills": {"tracker_label": "drill"}})
    life = drill(policy)
    sent(life)
    life.handle("action_item", ActionItemRequest(by="dana", title="Practice failover", owner="eli", due=LATER.date()), LATER)
    (item,) = [req for op, req in sent(life) if op is Operation.CREATE_ACTION_ITEM]
    assert "drill" in item.labels and item.title.startswith("DRILL")


def test_the_runbook_is_in_the_links_and_the_channel():
    life = drill()
    out = sent(life)
    assert life.state.links["Runbook"] == "https://runbooks/checkout"
    (channel,) = [req for op, req in out if op is Operation.OPEN_CHANNEL]
    assert channel.bookmarks["Runbook"] == "https://runbooks/checkout"
    assert any("Runbook for checkout: https://runbooks/checkout" in req.text for op, req in out if op is Operation.POST)
    alerted = IncidentInput(title="Disk full", service="checkout", runbook="https://runbooks/disk")
    life = Lifecycle.declare(ID, alerted, Policy(services={"checkout": ServiceConfig(runbook="https://runbooks/checkout")}), {}, T0)
    assert life.state.links["Runbook"] == "https://runbooks/disk", "the alert's own runbook is the more specific"
