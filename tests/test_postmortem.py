"""The postmortem draft from a recorded incident, section by section, and the blameless check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from warroom import blameless, postmortem
from warroom.metrics import Metrics
from warroom.models import (
    ActionItem, AlertRecord, Impact, IncidentState, MitigationRecord, PageRecord, Phase, Postmortem, Role, Severity,
    TimelineEntry,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def incident() -> IncidentState:
    """A SEV1 on checkout: symptom at 09:00, alert and declaration 09:04, ack 09:06,
    rollback 09:20, resolved 09:35, two pages (the first went unanswered)."""
    entries = [
        (4, "alertmanager", "declared", "SEV1 opened from alertmanager alert: Checkout 500s (service checkout)"),
        (4, "alertmanager", "alert", "alert HighErrorRate firing: 5xx above 20%"),
        (4, "warroom", "page", "paging primary on-call (step 1)"),
        (9, "warroom", "page", "paging secondary on-call (step 2)"),
        (10, "bob", "acknowledge", "bob acknowledged and is incident commander"),
        (11, "bob", "refused", "resolve refused: summary: Field required"),
        (15, "bob", "mitigate", "mitigation scale_up: twice the pods"),
        (20, "carol", "mitigate", "mitigation rollback (undoes change chg-42): back to v41"),
        (35, "bob", "resolve", "resolved: rolled back to v41; monitoring for 30m"),
    ]
    return IncidentState(
        id="inc-0001", title="Checkout 500s", service="checkout", severity=Severity.SEV1, phase=Phase.LEARN,
        impact=Impact(user_share=0.4, workaround=False, payments_or_auth_down=True, description="customers cannot pay"),
        source="alertmanager",
        roles={Role.COMMANDER: "bob", Role.OPS_LEAD: "carol", Role.SCRIBE: "sam"},
        timeline=[TimelineEntry(at=at(m), actor=a, kind=k, text=t) for m, a, k, t in entries],
        alerts={"f1": AlertRecord(fingerprint="f1", name="HighErrorRate", source="alertmanager", status="resolved",
                                  count=7, first_seen=at(4), last_seen=at(30))},
        action_items=[ActionItem(number=1, title="Canary | checkout deploys", owner="carol", due=date(2026, 3, 16),
                                 addresses="a deploy reaches every user at once", tracker_key="WR-1", tracker_url="https://jira/WR-1")],
        mitigations=[
            MitigationRecord(at=at(15), by="bob", action="scale_up", description="twice the pods"),
            MitigationRecord(at=at(20), by="carol", action="rollback", description="back to v41", change_id="chg-42"),
        ],
        pages=[PageRecord(at=at(4), target="primary", user="pat"), PageRecord(at=at(9), target="secondary", user="bob", step=1)],
        metrics=Metrics(started_at=at(0), declared_at=at(4), acknowledged_at=at(10), mitigated_at=at(20), resolved_at=at(35)),
        postmortem=Postmortem(required=True),
        resolution="rolled back to v41",
    )


def section(text: str, title: str) -> str:
    """The body of `## title`, up to the next section."""
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_front_matter_makes_a_file_ready_for_an_incident_reports_repository(incident):
    text = postmortem.render(incident, at(600))
    front = text.split("---\n")[1]
    assert postmortem.file_name(incident) == "inc-0001.md"
    assert text.startswith("---\n")
    assert front.splitlines() == [
        'title: "Checkout 500s"', "incident: inc-0001", "date: 2026-03-02", "severity: SEV1",
        'service: "checkout"', "status: draft", 'authors: ["bob", "sam"]', "generated_at: 2026-03-02T19:00:00Z",
    ]
    assert "# Postmortem: Checkout 500s" in text


def test_summary_impact_and_detection_come_from_the_record(incident):
    text = postmortem.render(incident, at(600))
    assert "SEV1 incident on **checkout**, 2026-03-02 09:00 UTC, resolved after 35m." in section(text, "Summary")
    impact = section(text, "Impact")
    assert "- Who: customers cannot pay" in impact
    assert "- How many: 40% of users, no workaround" in impact
    assert "- How long: 35m (2026-03-02 09:00 to 2026-03-02 09:35 UTC)" in impact
    assert "- Also: payments or authentication down" in impact
    detection = section(text, "Detection")
    assert "HighErrorRate (alertmanager, 7x)" in detection
    assert "- Time to detect: 4m" in detection


def test_response_names_what_worked_and_what_was_slow(incident):
    response = section(postmortem.render(incident, at(600)), "Response")
    assert "- Time to acknowledge: 6m" in response
    assert "- Time to mitigate: 20m" in response
    assert "- Time to resolve: 35m" in response
    assert "**What worked:** rollback by carol: back to v41" in response
    assert "**Also tried:** scale_up by bob: twice the pods" in response
    assert "paging escalated 1 time(s) before anyone acknowledged" in response


def test_timeline_lists_events_in_utc_and_leaves_out_refused_messages(incident):
    timeline = section(postmortem.render(incident, at(600)), "Timeline")
    rows = [line for line in timeline.splitlines() if line.startswith("| 2026")]
    assert len(rows) == 8
    assert rows[0] == "| 2026-03-02 09:04:00 | alertmanager | SEV1 opened from alertmanager alert: Checkout 500s (service checkout) |"
    assert rows[-1] == "| 2026-03-02 09:35:00 | bob | resolved: rolled back to v41; monitoring for 30m |"
    assert "refused" not in timeline


def test_factors_went_well_action_items_and_open_questions(incident):
    text = postmortem.render(incident, at(600))
    assert "A rollback restored service" in section(text, "Contributing factors")
    well = section(text, "What went well")
    assert "an alert detected it (HighErrorRate)" in well
    assert "commander, ops lead and comms lead" not in well  # no comms lead was assigned
    items = section(text, "Action items")
    assert "| 1 | Canary \\| checkout deploys | a deploy reaches every user at once | carol | 2026-03-16 | [WR-1](https://jira/WR-1) | open |" in items
    questions = section(text, "Open questions")
    assert "root cause" in questions and "Which action items" not in questions


def test_the_draft_itself_passes_the_blameless_check(incident):
    assert blameless.check(postmortem.render(incident, at(600))) == []


BLAMEFUL = [
    "The engineer deployed broken code.",
    "Bob deployed broken code to production.",
    "@carol pushed a bad config to the load balancer.",
    "Alice forgot to run the migration before the deploy.",
    "Someone ignored the alert for two hours.",
    "The operator failed to follow the runbook.",
    "Erin broke the checkout service.",
    "The developer caused the outage by skipping tests.",
    "The outage was caused by human error.",
    "Dave was careless with the production console.",
    "This was a sloppy change.",
    "The on-call should have known the disk was filling up.",
    "It was Frank's fault.",
]
ANALYTICAL = [
    "The deployment pipeline did not catch the regression before production.",
    "Bob rolled back to v41 at 10:42 UTC.",
    "Alertmanager paged the primary on-call within a minute.",
    "The config change caused connection pool exhaustion.",
    "No check enforced running the migration before the deploy.",
    "The runbook had no step for draining the queue.",
    "Alice acknowledged the page and became incident commander.",
    "The canary stage was skipped because it was not required for config-only changes.",
    "Redis failover took 4 minutes because the sentinel quorum was misconfigured.",
    "We should add an alert on disk usage.",
    "The team restored service by failing over to the secondary region.",
    "Human-readable dashboards helped the responders.",
]


@pytest.mark.parametrize("sentence", BLAMEFUL)
def test_blameful_sentences_are_flagged_with_a_hint(sentence):
    findings = blameless.check(sentence)
    assert len(findings) == 1 and findings[0].hint and findings[0].phrase in sentence


@pytest.mark.parametrize("sentence", ANALYTICAL)
def test_analytical_sentences_are_not_flagged(sentence):
    assert blameless.check(sentence) == []


def test_the_seed_pair_gets_the_seed_rewording_as_hint():
    (finding,) = blameless.check("The engineer deployed broken code.")
    assert "The deployment pipeline did not catch the regression before production." in finding.hint


def test_findings_carry_line_numbers_and_skip_front_matter_and_code():
    text = "---\ntitle: Bob forgot\n---\n# Summary\n\n- Cache warmed. Bob forgot to renew the certificate.\n```\nhuman error\n```\n"
    (finding,) = blameless.check(text)
    assert (finding.line, finding.sentence) == (6, "Bob forgot to renew the certificate.")
