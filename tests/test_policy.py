"""Triage policy, durations and on-call rotations: pure rules, tested directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pathlib import Path

from warroom.durations import humanize, parse_duration
from warroom.models import Impact, Severity
from warroom.policy import DEFAULT_TRIAGE, Rotation, load_policy
from warroom.settings import Settings


@pytest.mark.parametrize(
    ("impact", "severity"),
    [
        (Impact(user_share=0.01, data_loss=True), Severity.SEV1),
        (Impact(security_breach=True), Severity.SEV1),
        (Impact(user_share=0.02, payments_or_auth_down=True), Severity.SEV1),
        (Impact(user_share=0.6), Severity.SEV1),
        (Impact(user_share=0.1, workaround=False), Severity.SEV2),
        (Impact(user_share=0.3), Severity.SEV2),
        (Impact(user_share=0.1, workaround=True), Severity.SEV3),
        (Impact(user_share=0.0), Severity.SEV4),
    ],
)
def test_default_triage_follows_the_seeds(impact, severity):
    assert load_policy(None).classify(impact) is severity


def test_severity_table_defaults():
    policy = load_policy(None)
    sev = policy.severities
    assert sev[Severity.SEV1].update_cadence == timedelta(minutes=30) and sev[Severity.SEV1].postmortem
    assert sev[Severity.SEV2].update_cadence == timedelta(minutes=60) and sev[Severity.SEV2].postmortem
    assert sev[Severity.SEV3].update_cadence is None and not sev[Severity.SEV3].postmortem
    assert not sev[Severity.SEV4].public and not sev[Severity.SEV4].page


def test_warroom_toml_overrides_field_by_field(tmp_path):
    path = tmp_path / "warroom.toml"
    path.write_text(
        """
[severities.SEV1]
update_cadence = "15m"

[timing]
monitoring_window = "PT45M"

[services.checkout]
team = "payments"
components = ["Checkout API"]

[rotations.payments-primary]
users = ["ann", "ben"]
start = "2026-01-05T09:00:00"
timezone = "Europe/Berlin"
"""
    )
    policy = Settings(config=path).policy
    assert policy.severities[Severity.SEV1].update_cadence == timedelta(minutes=15)
    assert policy.severities[Severity.SEV1].postmortem, "unset fields keep the seeds' defaults"
    assert policy.timing.monitoring_window == timedelta(minutes=45)
    assert policy.service("checkout").components == ["Checkout API"]
    assert policy.resolve_target("checkout", "primary", datetime(2026, 1, 5, 10, tzinfo=UTC)) == "ann"
    assert policy.resolve_target("checkout", "manager", datetime(2026, 1, 5, 10, tzinfo=UTC)) == "manager"


def test_a_bad_policy_file_says_what_is_wrong(tmp_path):
    path = tmp_path / "warroom.toml"
    path.write_text('[severities.SEV1]\nupdate_cadence = "soon"\n')
    with pytest.raises(ValueError, match="not a duration: 'soon'"):
        load_policy(path)


def test_rotation_hands_off_at_local_time_across_daylight_saving():
    rotation = Rotation(users=["ann", "ben"], start=datetime(2026, 3, 23, 9), timezone="Europe/Berlin", shift="7d")
    # Berlin moves to summer time on 29 March: the 09:00 handoff is 07:00 UTC on the 30th.
    assert rotation.on_call(datetime(2026, 3, 30, 6, 59, tzinfo=UTC)) == "ann"
    assert rotation.on_call(datetime(2026, 3, 30, 7, 1, tzinfo=UTC)) == "ben"


@pytest.mark.parametrize(
    ("text", "delta"),
    [("PT30M", timedelta(minutes=30)), ("P5D", timedelta(days=5)), ("30m", timedelta(minutes=30)),
     ("24h", timedelta(hours=24)), ("5d", timedelta(days=5)), ("90s", timedelta(seconds=90))],
)
def test_durations_in_both_spellings(text, delta):
    assert parse_duration(text) == delta


def test_settings_read_durations_from_the_environment(monkeypatch):
    monkeypatch.setenv("WARROOM_MONITORING_WINDOW", "10m")
    monkeypatch.setenv("WARROOM_POSTMORTEM_REVIEW_DUE", "P3D")
    policy = Settings().policy
    assert policy.timing.monitoring_window == timedelta(minutes=10)
    assert policy.timing.postmortem_review_due == timedelta(days=3)


def test_humanize_reads_like_a_person():
    assert humanize(timedelta(minutes=30)) == "30m"
    assert humanize(timedelta(hours=3, minutes=59, seconds=59)) == "4h"
    assert humanize(timedelta(days=1, hours=2)) == "1d 2h"


@pytest.mark.parametrize("value", ["sev1", "SEV 1", "1", 1, Severity.SEV1])
def test_severity_spellings(value):
    assert Severity.parse(value) is Severity.SEV1


def test_the_example_policy_file_loads():
    policy = load_policy(Path(__file__).parent.parent / "deploy" / "warroom.example.toml")
    assert policy.severities[Severity.SEV1].update_cadence == timedelta(minutes=15)
    assert [s.target for s in policy.escalation("checkout")] == ["primary", "secondary", "eng-manager"]
    assert policy.classify(Impact(payments_or_auth_down=True)) is Severity.SEV1
    assert policy.service("checkout").signals.ceilings() == {"errors": 0.01, "latency": 0.5}


def test_the_example_policy_keeps_every_default_triage_rule():
    """Restating [[triage]] replaces the defaults: the example must not drop data loss or security."""
    policy = load_policy(Path(__file__).parent.parent / "deploy" / "warroom.example.toml")
    assert policy.classify(Impact(user_share=0.001, data_loss=True)) is Severity.SEV1
    assert policy.classify(Impact(user_share=0.0, security_breach=True)) is Severity.SEV1
    defaults = {r.model_dump_json(exclude_none=True) for r in DEFAULT_TRIAGE}
    assert defaults <= {r.model_dump_json(exclude_none=True) for r in policy.triage}
