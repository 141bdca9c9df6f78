"""The canary incident's rules: one page to the canary target (flagged, so it
never goes through PagerDuty), then closed, whatever came of the page; nothing
else: no channel, status page, cadence, postmortem or archive. No Temporal."""

from __future__ import annotations

from datetime import timedelta

from tests.test_rules import ID, T0, of
from warroom.models import IncidentInput, Phase
from warroom.responders import Acknowledge
from warroom.policy import Policy
from warroom.rules import Lifecycle, Operation
from warroom.rules.requests import PageResult

PAGED_AT = T0 + timedelta(seconds=3)


def canary() -> Lifecycle:
    inp = IncidentInput(title="WarroomCanary", service="warroom-canary", severity="SEV4", source="generic",
                        declared_by="generic", canary="canary-bot")
    life = Lifecycle.declare(ID, inp, Policy(), {}, T0)
    life.mobilize(T0)
    return life


def test_a_canary_queues_one_page_to_its_target_and_nothing_else():
    life = canary()
    [page] = life.outbox
    assert page.operation is Operation.PAGE
    assert (page.request.target, page.request.canary, page.request.step) == ("canary-bot", True, 0)
    assert life.state.deadlines == {}


def test_once_paged_a_canary_closes_with_the_page_and_its_delivery_time():
    life = canary()
    [page] = life.outbox
    life.outbox.clear()
    page.then(PageResult(user="canary-bot", via="chat", delivered_at=PAGED_AT))
    s = life.state
    assert s.phase is Phase.CLOSED and s.metrics.closed_at == T0
    assert [(p.user, p.delivered_at) for p in s.pages] == [("canary-bot", PAGED_AT)]
    assert s.timeline[-1].text == "canary paged canary-bot via chat; canary closed"
    assert not of(life.outbox, Operation.ARCHIVE_INCIDENT), "a canary stays out of the archive and every report"


def test_a_canary_whose_page_failed_closes_too_even_when_someone_acknowledged_it():
    life = canary()
    [page] = life.outbox
    life.handle("acknowledge", Acknowledge(by="bob"), T0 + timedelta(seconds=1))
    assert life.state.phase is Phase.STABILIZE
    page.failed("Slack: channel_not_found")
    assert life.state.phase is Phase.CLOSED and life.state.pages == []
    assert "canary page failed: Slack: channel_not_found" in life.state.timeline[-1].text
