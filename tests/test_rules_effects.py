"""What the incident rules ask of the outside world, as effects: what
mobilizing queues, their keys, and how `ready()` sends them once the channel is
known. No Temporal; nothing runs but the rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.test_rules import (
    ACKED_AT, RESOLVED_AT, T0, VALID, added, declare, in_phase, of, policy_with, resolve, run_until, submit_and_review,
)
from warroom.models import ChannelRef, Phase
from warroom.responders import Acknowledge, Assign, DraftPostmortem, StatusUpdate
from warroom.policy import BridgeConfig, Policy
from warroom.rules import Operation
from warroom.rules.requests import DraftRef, OpenChannel, PageRequest, RecentChanges, StatusPost, TrackerRef

OPENING = [Operation.OPEN_CHANNEL, Operation.LIST_RECENT_CHANGES]
CHANNEL = ChannelRef(id="C1", name="incident-2024-05-06-checkout-errors")
WITH_BRIDGE = Policy(bridge=BridgeConfig(url="https://meet.example.com/{incident_id}"))


def open_channel(life):
    [opening] = of(life.outbox, Operation.OPEN_CHANNEL)
    opening.then(CHANNEL)


@pytest.mark.parametrize(
    "severity, policy, then",
    [
        ("SEV1", None, [Operation.PUBLISH_STATUS, Operation.PAGE]),  # a person declared it: public at once
        ("SEV2", None, [Operation.PAGE]),  # public once acknowledged
        ("SEV3", None, []),
        ("SEV4", None, []),
        ("SEV1", policy_with("SEV1", public=False, page=False), []),
        ("SEV4", policy_with("SEV4", public=True, page=True), [Operation.PAGE]),  # publish_on manual
    ],
)
def test_mobilizing_queues_what_the_severity_demands(severity, policy, then):
    life = declare(severity, policy)
    assert [e.operation for e in life.outbox] == OPENING + then


def test_each_mobilizing_effect_carries_its_operations_request():
    life = declare("SEV1")
    by_operation = {e.operation: e.request for e in life.outbox}
    expected = {
        Operation.OPEN_CHANNEL: (OpenChannel, "chat"), Operation.LIST_RECENT_CHANGES: (RecentChanges, "changes"),
        Operation.PUBLISH_STATUS: (StatusPost, "status_page"), Operation.PAGE: (PageRequest, "paging"),
    }
    assert {op: (type(req), op.integration) for op, req in by_operation.items()} == expected
    opening, changes = by_operation[Operation.OPEN_CHANNEL], by_operation[Operation.LIST_RECENT_CHANGES]
    assert (opening.declared_on, opening.severity, opening.topic) == (T0.date(), "SEV1", "SEV1 | Triage | IC: alice | Checkout errors")
    [queued] = of(life.outbox, Operation.OPEN_CHANNEL)
    assert life.ready(queued).topic == "SEV1 | Investigating | IC: alice | Checkout errors", "the topic as the channel opens"
    assert (changes.service, changes.since, changes.until) == ("checkout", T0 - timedelta(hours=24), T0)
    assert (by_operation[Operation.PUBLISH_STATUS].status, by_operation[Operation.PAGE].target) == ("investigating", "primary")


def test_every_effect_of_a_whole_incident_has_its_own_idempotency_key():
    life = declare("SEV1", WITH_BRIDGE)
    open_channel(life)
    run_until(life, T0 + timedelta(minutes=40))  # pages, overdue update and roles reminders
    life.handle("acknowledge", Acknowledge(by="bob"), T0 + timedelta(minutes=41))
    life.handle("assign", Assign(by="bob", role="ops_lead", user="carol"), T0 + timedelta(minutes=42))
    life.handle("update", StatusUpdate(by="bob", status="identified", message="bad deploy"), T0 + timedelta(minutes=43))
    resolve(life, T0 + timedelta(minutes=50))
    run_until(life, T0 + timedelta(days=3))  # window, then postmortem reminders
    submit_and_review(life)
    assert life.state.phase is Phase.CLOSED
    keys = [e.key for e in life.outbox]
    assert len(life.outbox) > 30 and len(keys) == len(set(keys))
    carried = [e.request.idempotency_key for e in life.outbox if hasattr(e.request, "idempotency_key")]
    assert carried == [e.key for e in life.outbox if hasattr(e.request, "idempotency_key")]
    [opening] = of(life.outbox, Operation.OPEN_CHANNEL)
    assert opening.request.first_post.idempotency_key not in keys


def test_ready_fills_in_the_channel_once_it_is_known():
    life = declare("SEV1", WITH_BRIDGE)
    life.handle("acknowledge", Acknowledge(by="bob"), ACKED_AT)
    [post, *_] = of(life.outbox, Operation.POST)
    [topic] = of(life.outbox, Operation.SET_TOPIC)
    [bookmark] = of(life.outbox, Operation.BOOKMARK)
    assert life.ready(post).channel is None  # a post goes out without a channel, wherever posts go then
    assert life.ready(topic) is None and life.ready(bookmark) is None
    open_channel(life)
    assert [life.ready(e).channel for e in (post, topic, bookmark)] == [CHANNEL] * 3
    assert post.request.channel is None  # filled in as it goes out, not in the queue


def test_a_draft_requested_before_the_channel_opened_is_shared_in_the_channel_with_its_url():
    life = declare("SEV3")
    life.handle("draft_postmortem", DraftPostmortem(by="bob"), T0 + timedelta(minutes=1))
    [write] = of(life.outbox, Operation.WRITE_POSTMORTEM_DRAFT)
    [share] = [e for e in of(life.outbox, Operation.POST) if e.shares_draft]
    assert life.ready(share) is None, "nothing to share before the draft is written"
    open_channel(life)
    write.then(DraftRef(url=f"https://warroom.example.com/postmortems/{life.state.id}", written=True))
    sent = life.ready(share)
    assert sent.channel == CHANNEL and sent.text.endswith(f": https://warroom.example.com/postmortems/{life.state.id}")


@pytest.mark.parametrize("channel", [None, CHANNEL])
def test_the_channel_is_archived_only_when_there_is_one(channel):
    life = in_phase(Phase.VERIFY, "SEV3")
    if channel:
        open_channel(life)
    [archive] = of(added(life, lambda: run_until(life, RESOLVED_AT + timedelta(minutes=30))), Operation.ARCHIVE_CHANNEL)
    assert life.state.phase is Phase.CLOSED
    ready = life.ready(archive)
    assert (ready and ready.channel) == channel


def test_closing_queues_one_archive_record_last_with_the_state_as_it_goes_out():
    life = in_phase(Phase.LEARN)
    life.handle("action_item", VALID["action_item"], T0 + timedelta(hours=2))
    [item] = of(life.outbox, Operation.CREATE_ACTION_ITEM)
    submit_and_review(life)
    item.then(TrackerRef(key="WR-1"))  # the tracker answers after the incident closed
    [record] = of(life.outbox, Operation.ARCHIVE_INCIDENT)
    assert life.outbox[-1] is record
    archived = life.ready(record).state
    assert archived.phase is Phase.CLOSED and archived.action_items[0].tracker_key == "WR-1"
