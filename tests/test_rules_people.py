"""People in the rules (issue 19), without Temporal: one identity per person,
mentions that notify, invites on page and role, the fallback when a direct
message cannot reach someone, PagerDuty's acknowledgement, business hours and
night pages counted in the person's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tests.test_rules import ID, MINUTE, fire
from warroom.models import IncidentInput, Phase, Role
from warroom.responders import Assign, StatusUpdate
from warroom.pagerduty_events import PagerEvent, Reference
from warroom.people import BusinessHours, People
from warroom.policy import Policy
from warroom.report import Facts, on_call_load
from warroom.rules import Lifecycle, Operation
from warroom.rules.requests import ChannelInvite, DirectMessage, PageResult

DIRECTORY = {
    "alice": {"email": "alice@example.com", "slack": "U024BE7LH", "pagerduty": "PXPGF42", "timezone": "Europe/Berlin"},
    "erin": {"email": "erin@example.com", "slack": "UERIN01"},
    "dave": {"timezone": "America/New_York"},
}
NIGHT_AT_BERLIN = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)  # 02:00 in Berlin, a Wednesday


def policy(**extra) -> Policy:
    return Policy.model_validate({
        "people": DIRECTORY,
        "services": {"checkout": {"team": "payments", "responders": ["erin@example.com"]}},
        "teams": {"payments": {"slack_group": "SPAYOPS", "business_hours": {"timezone": "Europe/Berlin"}}},
        "rotations": {"primary": {"users": ["alice"], "start": "2026-01-05T09:00:00"}},
        **extra,
    })


def declared(severity: str = "SEV1", at: datetime = NIGHT_AT_BERLIN, by: str = "U024BE7LH", pol: Policy | None = None) -> Lifecycle:
    inp = IncidentInput(title="Checkout errors", service="checkout", severity=severity, declared_by=by)
    life = Lifecycle.declare(ID, inp, pol or policy(), {}, at)
    life.mobilize(at)
    return life


def effects(life: Lifecycle, operation: Operation) -> list:
    return [e for e in life.outbox if e.operation is operation]


def posts(life: Lifecycle) -> list[str]:
    return [e.request.text for e in effects(life, Operation.POST)]


def test_the_directory_maps_every_identity_to_one_handle():
    people = People.model_validate(DIRECTORY)
    for name in ("alice", "Alice@Example.com", "U024BE7LH", "PXPGF42"):
        assert people.handle(name) == "alice"
    assert people.handle("mallory") == "mallory", "an unknown name stays as it was"
    assert (people.mention("alice"), people.mention("dave"), people.mention("mallory")) == ("<@U024BE7LH>", "dave", "mallory")
    assert (people.address("erin"), people.address("dave")) == ("UERIN01", "dave")
    assert people.of_login("erin") == "erin" and people.timezone("dave") == "America/New_York"


def test_the_directory_refuses_a_name_where_slack_wants_an_id():
    with pytest.raises(ValidationError, match="not a Slack user id"):
        People.model_validate({"alice": {"slack": "alice"}})
    with pytest.raises(ValidationError, match="unknown time zone"):
        People.model_validate({"alice": {"timezone": "Mars/Olympus"}})


def test_messages_name_people_by_handle_whatever_they_were_given():
    life = declared()
    assert life.state.roles[Role.COMMANDER] == "alice", "declared by alice's Slack id"
    life.handle("assign", Assign(by="alice@example.com", role=Role.COMMS_LEAD, user="UERIN01"), NIGHT_AT_BERLIN)
    assert life.state.roles[Role.COMMS_LEAD] == "erin"
    assert life.state.timeline[-1].actor == "alice"


def test_a_cadence_reminder_mentions_the_comms_lead_and_nobody_is_plain_text():
    life = declared()
    life.handle("assign", Assign(by="alice", role=Role.COMMS_LEAD, user="erin"), NIGHT_AT_BERLIN)
    life.outbox.clear()
    fire(life, life.state.deadlines["status_update"].next_fire)
    assert any(text.startswith(":alarm_clock: <@UERIN01>: a status update is due") for text in posts(life))
    life.state.roles.clear()
    life.outbox.clear()
    fire(life, life.state.deadlines["status_update"].next_fire)
    assert any(text.startswith(":alarm_clock: <!subteam^SPAYOPS>:") for text in posts(life)), "the team's on-call group"


def test_whoever_is_paged_or_given_a_role_is_invited():
    life = declared()
    life.state.channel = None
    [page] = effects(life, Operation.PAGE)
    life.outbox.clear()
    page.then(PageResult(user="alice@example.com", via="chat"))
    assert life.state.pages[-1].user == "alice"
    [invite] = effects(life, Operation.INVITE)
    assert invite.request == ChannelInvite(incident_id=ID, users=["U024BE7LH"])
    life.outbox.clear()
    life.handle("assign", Assign(by="alice", role=Role.SCRIBE, user="dave"), NIGHT_AT_BERLIN)
    assert [e.request.users for e in effects(life, Operation.INVITE)] == [["dave"]]


def test_a_direct_message_that_cannot_reach_its_person_goes_to_the_channel_and_the_timeline():
    life = declared(severity="SEV3", at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    life.outbox.clear()
    life.notify("dave", "please look at the checkout dashboards", "Ask dave")
    [dm] = effects(life, Operation.DIRECT_MESSAGE)
    assert dm.request.address == "dave"
    life.integration_failed(dm, "Slack: dave has no Slack identity", datetime(2026, 3, 4, 10, 1, tzinfo=UTC))
    entry = life.state.timeline[-1]
    assert entry.kind == "unreachable" and "could not reach dave" in entry.text and "told the incident channel" in entry.text
    assert posts(life) == ["dave (direct message failed): please look at the checkout dashboards"]


def test_a_page_to_someone_without_chat_identity_is_recorded_as_unreachable():
    life = declared()
    [page] = effects(life, Operation.PAGE)
    page.then(PageResult(user="dave", via="channel", unreached="Slack: dave has no Slack identity"))
    assert [e.kind for e in life.state.timeline[-2:]] == ["paged", "unreachable"]


def test_an_acknowledgement_in_pagerduty_stops_escalation_and_names_the_commander():
    life = declared(by="warroom")
    life.state.roles.clear()
    assert "page" in life.state.deadlines
    life.outbox.clear()
    event = PagerEvent(event_id="e1", event_type="incident.acknowledged", agent_id="PXPGF42", agent_name="Alice Example")
    life.on_pager_event(event, NIGHT_AT_BERLIN + MINUTE)
    assert "page" not in life.state.deadlines and life.state.metrics.acknowledged_at is not None
    assert life.state.roles[Role.COMMANDER] == "alice"
    assert not effects(life, Operation.UPDATE_PAGE), "PagerDuty knows already"
    reassigned = PagerEvent(event_id="e2", event_type="incident.reassigned", assignees=[Reference(id="PZZZ", summary="Zed")])
    life.on_pager_event(reassigned, NIGHT_AT_BERLIN + 2 * MINUTE)
    assert life.state.timeline[-1].text == "reassigned in PagerDuty to Zed"
    entries = len(life.state.timeline)
    life.on_pager_event(event, NIGHT_AT_BERLIN + 3 * MINUTE)
    assert len(life.state.timeline) == entries, "a re-delivered event is taken once"


def test_whoever_chat_could_not_invite_is_named_in_the_timeline():
    life = declared()
    life.outbox.clear()
    life.handle("assign", Assign(by="alice", role=Role.SCRIBE, user="dave"), NIGHT_AT_BERLIN)
    [invite] = effects(life, Operation.INVITE)
    invite.then({"dave": "no Slack user id or e-mail address"})
    assert life.state.timeline[-1].text == "could not invite dave to the channel: no Slack user id or e-mail address"


def test_a_sev3_at_night_pages_nobody_and_nudges_the_team_at_nine():
    life = declared(severity="SEV3")
    assert not effects(life, Operation.PAGE)
    nudge = life.state.deadlines["business_day"]
    assert nudge.due == datetime(2026, 3, 4, 8, 0, tzinfo=UTC), "09:00 in Berlin"
    life.outbox.clear()
    fire(life, nudge.next_fire)
    assert [t for t in posts(life) if t.startswith(":sunrise: <!subteam^SPAYOPS>: SEV3")]
    assert [e.request.user for e in effects(life, Operation.DIRECT_MESSAGE)] == ["alice"], "and the on-call"
    assert life.state.deadlines["business_day"].met_at is not None


def test_no_nudge_in_business_hours_once_resolved_or_when_paging():
    assert "business_day" not in declared(severity="SEV3", at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC)).state.deadlines
    assert "business_day" not in declared(severity="SEV1").state.deadlines
    life = declared(severity="SEV3")
    life.handle("update", StatusUpdate(by="alice", status="identified", message="bad config"), NIGHT_AT_BERLIN)
    life.state.phase = Phase.VERIFY
    life.outbox.clear()
    fire(life, life.state.deadlines["business_day"].next_fire)
    assert not posts(life)


def test_business_hours_skip_the_weekend():
    hours = BusinessHours(timezone="Europe/Berlin")
    friday_night = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
    assert not hours.is_open(friday_night)
    assert hours.next_start(friday_night) == datetime(2026, 3, 9, 8, 0, tzinfo=UTC), "Monday 09:00 Berlin"


def test_night_pages_count_in_the_persons_time_zone():
    at = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)  # 04:00 in Berlin, 22:00 the day before in New York
    facts = Facts(
        service="checkout", severity="SEV2", started_at=at, resolved_at=at + timedelta(hours=1), closed_at=None, times={},
        pages=[("alice", at), ("dave", at), ("bob", datetime(2026, 3, 4, 12, 0, tzinfo=UTC))], people={},
        postmortem_required=False, postmortem_on_time=(True, True), action_items={}, alerts={}, non_actionable=False,
    )
    load = on_call_load([facts], (22, 7), {"alice": "Europe/Berlin", "dave": "America/New_York"})
    assert {who: l.night_pages for who, l in load.items()} == {"alice": 1, "dave": 1, "bob": 0}
    load = on_call_load([facts], (23, 6), {"alice": "Europe/Berlin", "dave": "America/New_York"})
    assert load["dave"].night_pages == 0 and load["alice"].night_pages == 1


def test_a_direct_message_carries_the_persons_chat_address():
    life = declared()
    life.outbox.clear()
    life.notify("alice", "hi", "Say hi")
    assert effects(life, Operation.DIRECT_MESSAGE)[0].request == DirectMessage(
        incident_id=ID, user="alice", text="hi", idempotency_key=effects(life, Operation.DIRECT_MESSAGE)[0].key, address="U024BE7LH"
    )


def test_a_rotations_business_hours_count_when_the_team_has_none():
    pol = policy(teams={}, rotations={"primary": {
        "users": ["alice"], "start": "2026-01-05T09:00:00", "business_hours": {"start": "08:00", "timezone": "America/New_York"},
    }})
    life = declared(severity="SEV3", pol=pol)  # 01:00 UTC: 20:00 in New York
    assert life.state.deadlines["business_day"].due == datetime(2026, 3, 4, 13, 0, tzinfo=UTC), "08:00 in New York"
