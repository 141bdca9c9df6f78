"""The postmortem asks the seeds' questions, links action items to the factor
they address, says only facts under "what went well", and the blameless check
looks for the incident's own participants."""

from __future__ import annotations

import pytest

from warroom import blameless, postmortem
from warroom.models import MitigationRecord, TimelineEntry
from warroom.rules.learn import participants
from tests.test_postmortem import at, incident, section  # noqa: F401 (the fixture)


def test_the_draft_asks_the_seed_questions(incident):
    text = postmortem.render(incident, at(600))
    whys = section(text, "Why did it happen? (five whys)")
    assert "1. Why did this happen: customers cannot pay?" in whys and "5. Why?" in whys
    better = section(text, "What can we do better?")
    for question in ("prevent it?", "detect it faster? (it took 4m from first symptom", "recover faster? (it took 35m"):
        assert question in better
    notified = section(text, "Were the right people notified?")
    assert "- Paged pat (primary, step 1) at 09:04 UTC via chat" in notified
    assert "- Paged bob (secondary, step 2) at 09:09 UTC via chat" in notified
    assert "- Acknowledged by bob, 6m after declaration" in notified
    assert "Who should have been reached sooner" in notified


def test_action_items_name_the_factor_they_address_or_the_draft_asks(incident):
    linked = postmortem.render(incident, at(600))
    assert "Which contributing factor" not in section(linked, "Open questions")
    incident.action_items[0].addresses = None
    unlinked = postmortem.render(incident, at(600))
    assert "| _which contributing factor?_ |" in section(unlinked, "Action items")
    assert "Which contributing factor does action item 1 address?" in section(unlinked, "Open questions")


def test_what_went_well_holds_only_the_mitigation_recovery_followed(incident):
    well = section(postmortem.render(incident, at(600)), "What went well")
    assert "the mitigation that preceded recovery: rollback by carol: back to v41" in well
    assert "scale_up" not in well, "a mitigation that did not restore service did not go well"


def test_after_a_reopening_only_a_later_mitigation_counts(incident):
    incident.timeline.append(TimelineEntry(at=at(40), actor="bob", kind="reopen", text="reopened: errors are back"))
    incident.mitigations.append(MitigationRecord(at=at(50), by="dave", action="failover", description="to eu-west"))
    incident.metrics.resolved_at = at(60)
    text = postmortem.render(incident, at(600))
    assert "failover by dave: to eu-west" in section(text, "What went well")
    assert "rollback" not in section(text, "What went well")


def test_updates_count_as_on_time_only_without_an_overdue_reminder(incident):
    incident.metrics.updates_posted = 3
    assert "status updates went out on time (3 posted, none overdue)" in section(postmortem.render(incident, at(600)), "What went well")
    incident.timeline.append(TimelineEntry(at=at(30), actor="warroom", kind="reminder", text="status update overdue by 5m"))
    assert "status updates" not in section(postmortem.render(incident, at(600)), "What went well")


def test_unknown_start_means_unknown_time_to_detect(incident):
    incident.metrics.start_known = False
    text = postmortem.render(incident, at(600))
    assert "- Time to detect: unknown" in section(text, "Detection")
    assert "when impact began is unknown" in section(text, "What can we do better?")


@pytest.mark.parametrize("sentence", [
    "The outage was caused by bob.",
    "bob deployed a change that broke checkout.",
    "Bob deployed a change that broke checkout.",
    "Errors started because of carol.",
    "carol ran a migration which took down the orders database.",
    "bob caused the outage.",
])
def test_a_participant_as_the_subject_of_a_cause_is_caught(sentence):
    (finding,) = blameless.check(sentence, ["bob", "carol"])
    assert finding.phrase in sentence and finding.hint


@pytest.mark.parametrize("sentence", [
    "bob rolled back to v41.",
    "The outage was caused by Redis running out of memory.",
    "bobby deployed a change that broke checkout.",  # not a participant, and no capital to say it is a name
    "carol noticed the queue was growing.",
])
def test_participants_doing_their_job_are_not_flagged(sentence):
    assert blameless.check(sentence, ["bob", "carol"]) == []


def test_the_check_gets_participants_from_the_timeline_roles_and_pages(incident):
    assert participants(incident) == ["bob", "carol", "pat", "sam"]
    assert blameless.check(postmortem.render(incident, at(600)), participants(incident)) == []
