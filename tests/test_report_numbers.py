"""The report's numbers as the seeds define them: MTBF from non-overlapping
failure intervals, time to detect only where the start of impact is known, MTTR
without incidents nobody acted on, severity at its peak, drills apart, and who
commanded, wrote and reviewed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, strategies as st

from warroom import report
from warroom.drills import Drill
from warroom.metrics import Metrics
from warroom.models import Impact, IncidentState, Phase, Postmortem, Role, Severity, TimelineEntry

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def state(iid: str, start: float, end: float, *, service: str = "api", severity: str = "SEV2", **fields) -> IncidentState:
    known = fields.pop("start_known", True)
    return IncidentState(
        id=iid, title=iid, service=service, severity=severity, phase=Phase.CLOSED, impact=Impact(), source="manual",
        metrics=Metrics(started_at=at(start), declared_at=at(start) + timedelta(minutes=10), start_known=known,
                        resolved_at=at(end), closed_at=at(end + 1)),
        **fields,
    )


def facts(*states: IncidentState) -> list[report.Facts]:
    return [report.Facts.of(s) for s in states]


def test_mtbf_merges_overlapping_incidents_and_equals_the_hand_computed_value():
    # 10-12 and 11-13 overlap, 11:30-11:45 lies inside: one failure 10-13. Then 17-18, then 26-27 (02:00 next day).
    # Gaps: 13 -> 17 = 4 h, 18 -> 26 = 8 h; MTBF 6 h over 2 gaps. (Start to previous resolution gave -1 h and -1.5 h.)
    incidents = facts(state("x", 10, 12), state("y", 11, 13), state("z", 11.5, 11.75), state("w", 17, 18), state("v", 26, 27))
    r = report.build(incidents, at(48))
    assert (r.mtbf_hours["api"], r.mtbf_gaps["api"]) == (6.0, 2)
    assert "| api | 5 |" in report.to_markdown(r) and "| 6 (n=2) |" in report.to_markdown(r)


@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 50)), min_size=2, max_size=30))
def test_mtbf_is_never_negative(spans):
    incidents = facts(*(state(f"i{n}", start, start + length) for n, (start, length) in enumerate(spans)))
    assert all(gap >= 0 for gap in report.failure_gaps(incidents))
    mtbf = report.mtbf_hours(incidents)
    assert mtbf is None or mtbf >= 0


def test_time_to_detect_counts_only_incidents_whose_start_is_known():
    r = report.build(facts(state("known", 1, 2), state("unknown", 3, 4, start_known=False)), at(48))
    assert (r.overall.mttd, r.overall.n["mttd"], r.overall.n["mttr"]) == (10, 1, 2)


def test_mttr_leaves_out_incidents_nobody_needed_to_act_on():
    r = report.build(facts(state("real", 1, 2), state("noise", 3, 13, non_actionable=True)), at(48))
    assert (r.overall.mttr, r.overall.n["mttr"]) == (60, 1)


def test_figures_are_by_peak_severity():
    downgraded = state("d", 1, 2, severity="SEV3", peak_severity="SEV1")
    r = report.build(facts(downgraded), at(48))
    assert set(r.by_severity) == {"SEV1"} and report.tables(r)[0][1][0] == "peak severity"


def test_drills_leave_every_figure_unchanged_and_have_their_own_section():
    real = facts(state("a", 1, 2, roles={Role.COMMANDER: "pat"}), state("b", 30, 31, service="db"))
    drill = facts(state("drill", 10, 11, drill=Drill(participants=["sam"]), roles={Role.COMMANDER: "sam"}))
    without, with_drill = report.build(real, at(48)), report.build(real + drill, at(48))
    assert without.model_dump(exclude={"drills"}) == with_drill.model_dump(exclude={"drills"})
    assert [(d.incident, d.minutes_to_resolve, d.participants) for d in with_drill.drills] == [("drill", 60, ["sam"])]
    assert "Drills (in no other figure)" in report.to_markdown(with_drill)


def test_people_who_commanded_wrote_and_reviewed_and_the_waivers():
    log = [
        TimelineEntry(at=at(1), actor="pat", kind="role", text="handoff: commander pat -> ann"),
        TimelineEntry(at=at(30), actor="sam", kind="postmortem", text="postmortem draft submitted"),
        TimelineEntry(at=at(40), actor="ann", kind="postmortem", text="postmortem reviewed; agreed action items 1"),
    ]
    reviewed = state("r", 1, 2, roles={Role.COMMANDER: "ann"}, timeline=log)
    waived = state("w", 5, 6, severity="SEV3", peak_severity="SEV1", roles={Role.COMMANDER: "pat"},
                   postmortem=Postmortem(waived="a test alert, no user saw it"))
    r = report.build(facts(reviewed, waived), at(48))
    assert {k: (v.commanded, v.wrote, v.reviewed) for k, v in r.people.items()} == {
        "ann": (1, 0, 1), "pat": (2, 0, 0), "sam": (0, 1, 0)}
    assert [(w.incident, w.peak_severity, w.severity, w.reason) for w in r.waivers] == [
        ("w", "SEV1", "SEV3", "a test alert, no user saw it")]
    assert r.by_severity["SEV1"].incidents == 1 and Severity.SEV3 not in r.by_severity
