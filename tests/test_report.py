"""Report figures against a small archive computed by hand, and `warroom report`
reading it from each kind of database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from warroom import report
from warroom.metrics import Metrics
from warroom.models import (
    ActionItem, AlertRecord, Deadline, Impact, IncidentState, PageRecord, Phase, Postmortem, Role, Severity,
    TimelineEntry,
)
from cli.main import run_cli
from store.archive import Archive
from store.db import Database


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def incident(iid, service, sev, started, declared, acked, mitigated, resolved, *, source="alertmanager", pages=(),
             roles=None, timeline=(), alerts=(), non_actionable=False, items=(), postmortem=None, deadlines=()) -> IncidentState:
    return IncidentState(
        id=iid, title=iid, service=service, severity=sev, phase=Phase.CLOSED, impact=Impact(), source=source,
        metrics=Metrics(started_at=t(started), declared_at=t(declared), acknowledged_at=acked and t(acked),
                        mitigated_at=t(mitigated), resolved_at=t(resolved), closed_at=t(resolved) + timedelta(days=6)),
        pages=[PageRecord(at=t(at), target="primary", user=user) for at, user in pages],
        roles=roles or {},
        timeline=[TimelineEntry(at=t(at), actor=actor, kind="note", text="-") for at, actor in timeline],
        alerts={f"{iid}-{n}": AlertRecord(fingerprint=f"{iid}-{n}", name=name, source="alertmanager", status="resolved",
                                           count=count, first_seen=t(started), last_seen=t(resolved)) for n, (name, count) in enumerate(alerts)},
        non_actionable=non_actionable,
        action_items=[ActionItem(number=n + 1, title="x", owner="o", due=date(2026, 4, 1), status=st) for n, st in enumerate(items)],
        postmortem=postmortem or Postmortem(),
        deadlines={d.name: d for d in deadlines},
    )


def deadline(name, due, met):
    return Deadline(name=name, due=t(due), next_fire=t(due), summary=name, met_at=t(met))


# Minutes: detect (declared-started), acknowledge (acked-declared), mitigate and resolve (from started).
#   A checkout SEV1  TTD 10  TTA 5   TTM 40  TTR 60   page pat 02:10 (night); draft on time, review late; items done+open
#   B checkout SEV2  TTD 2   TTA 10  TTM 30  TTR 60   page pat 14:02 (day), manual; draft and review on time; item done
#   C search   SEV3  TTD 0   TTA -   TTM 20  TTR 20   nobody acked, ProbeFailed x4, non-actionable
#   D search   SEV3  TTD 6   TTA 5   TTM 30  TTR 60   page rae 03:06 (night), ProbeFailed x1
#   OLD checkout, six months earlier: outside --since 90d
ARCHIVE = [
    incident("inc-a", "checkout", Severity.SEV1, "2026-03-02 02:00", "2026-03-02 02:10", "2026-03-02 02:15", "2026-03-02 02:40", "2026-03-02 03:00",
             pages=[("2026-03-02 02:10", "pat")], roles={Role.COMMANDER: "pat"}, timeline=[("2026-03-02 02:10", "alertmanager"), ("2026-03-02 02:15", "pat")],
             alerts=[("HighErrorRate", 3)], items=["done", "open"], postmortem=Postmortem(required=True),
             deadlines=[deadline("postmortem_draft", "2026-03-03 03:00", "2026-03-03 01:00"),
                        deadline("postmortem_review", "2026-03-07 03:00", "2026-03-08 10:00")]),
    incident("inc-b", "checkout", Severity.SEV2, "2026-03-09 14:00", "2026-03-09 14:02", "2026-03-09 14:12", "2026-03-09 14:30", "2026-03-09 15:00",
             source="manual", pages=[("2026-03-09 14:02", "pat")], roles={Role.COMMANDER: "pat"}, timeline=[("2026-03-09 14:02", "pat")],
             items=["done"], postmortem=Postmortem(required=True),
             deadlines=[deadline("postmortem_draft", "2026-03-10 15:00", "2026-03-10 09:00"),
                        deadline("postmortem_review", "2026-03-14 15:00", "2026-03-13 10:00")]),
    incident("inc-c", "search", Severity.SEV3, "2026-03-10 23:00", "2026-03-10 23:00", None, "2026-03-10 23:20", "2026-03-10 23:20",
             timeline=[("2026-03-10 23:00", "alertmanager")], alerts=[("ProbeFailed", 4)], non_actionable=True),
    incident("inc-d", "search", Severity.SEV3, "2026-03-12 03:00", "2026-03-12 03:06", "2026-03-12 03:11", "2026-03-12 03:30", "2026-03-12 04:00",
             pages=[("2026-03-12 03:06", "rae")], roles={Role.COMMANDER: "rae"}, timeline=[("2026-03-12 03:11", "rae")], alerts=[("ProbeFailed", 1)]),
    incident("inc-old", "checkout", Severity.SEV1, "2025-09-01 10:00", "2025-09-01 10:00", "2025-09-01 10:00", "2025-09-01 12:00", "2025-09-01 12:00",
             pages=[("2025-09-01 10:00", "pat")], items=["open"]),
]
UNTIL = t("2026-03-20 00:00")


@pytest.fixture
def r() -> report.Report:
    return report.build([report.Facts.of(s) for s in ARCHIVE], UNTIL, timedelta(days=90), teams={"checkout": "payments"})


def test_mean_times_by_severity_and_service(r):
    as_tuple = lambda d: (d.incidents, d.mttd, d.mtta, d.mttm, d.mttr)  # noqa: E731
    assert as_tuple(r.by_severity["SEV1"]) == (1, 10, 5, 40, 60)
    assert as_tuple(r.by_severity["SEV2"]) == (1, 2, 10, 30, 60)
    assert as_tuple(r.by_severity["SEV3"]) == (2, 3, 5, 25, 60)        # MTTA from D alone: C was never acknowledged
    assert as_tuple(r.overall) == (4, 4.5, 6.7, 30, 60)               # MTTA (5+10+5)/3; MTTR (60+60+60)/3: C needed no action
    assert as_tuple(r.by_service["checkout"]) == (2, 6, 7.5, 35, 60)
    assert as_tuple(r.by_service["search"]) == (2, 3, 5, 25, 60)
    assert r.overall.n == {"mttd": 4, "mtta": 3, "mttm": 4, "mttr": 3}


def test_mtbf_is_resolution_to_next_start_per_service(r):
    # checkout: A resolved 03-02 03:00, B started 03-09 14:00: 7 d 11 h = 179 h
    # search: C resolved 03-10 23:20, D started 03-12 03:00: 27 h 40 m = 27.7 h
    assert r.mtbf_hours == {"checkout": 179.0, "search": 27.7}


def test_on_call_load_counts_pages_night_pages_and_hours(r):
    # pat: paged 02:10 (night) and 14:02 (day); in A 02:10-03:00 (50 m), in B 14:02-15:00 (58 m): 1.8 h
    # rae: paged 03:06 (night); in D 03:06-04:00 (54 m): 0.9 h. alertmanager is a machine, not a person.
    assert {k: (v.pages, v.night_pages, v.incidents, v.hours) for k, v in r.on_call.items()} == {
        "pat": (2, 1, 2, 1.8), "rae": (1, 1, 1, 0.9)}
    assert list(r.on_call) == ["pat", "rae"], "heaviest load first"
    assert report.is_night(t("2026-03-02 02:10"), (1, 3)) and not report.is_night(t("2026-03-02 23:10"), (1, 3))


def test_postmortems_action_items_and_alert_fatigue(r):
    assert r.postmortems.model_dump() == {"required": 2, "drafted_on_time": 2, "reviewed_on_time": 1, "on_time_rate": 0.5}
    assert (r.action_items.total, r.action_items.done, r.action_items.rate) == (3, 2, 0.667)
    assert r.action_items_by_team["payments"].rate == 0.667 and set(r.action_items_by_service) == {"checkout"}
    assert [(a.name, a.incidents, a.notifications, a.non_actionable, a.non_actionable_share) for a in r.alert_fatigue] == [
        ("ProbeFailed", 2, 5, 1, 0.5), ("HighErrorRate", 1, 3, 0, 0.0)]


def test_weekly_trend(r):
    assert [(p.week, p.incidents, p.mttr) for p in r.trend] == [(date(2026, 3, 2), 1, 60), (date(2026, 3, 9), 3, 60)]


def test_markdown_has_one_table_per_section(r):
    text = report.to_markdown(r)
    assert text.startswith("# Incident report, 2025-12-20 to 2026-03-20")
    assert "| SEV3 | 2 | 3 (n=2) | 5 (n=1) | 25 (n=2) | 60 (n=1) |" in text
    assert "| search | 2 | 3 (n=2) | 5 (n=1) | 25 (n=2) | 60 (n=1) | 27.7 (n=1) |" in text
    assert "| ProbeFailed | 2 | 5 | 1 | 50% |" in text


@pytest.fixture
async def archived(database_url):
    """ARCHIVE in a database of each kind."""
    archive = Archive(Database(database_url))
    for s in ARCHIVE:
        await archive.put(s)
    return database_url


def test_cli_reads_the_archive_in_each_format_and_plots(archived, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("WARROOM_DATABASE_URL", archived)
    chart = tmp_path / "trend.png"
    assert run_cli(["report", "--since", "all", "--format", "json", "--plot", str(chart)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["incidents"] == 5 and data["on_call"]["pat"]["pages"] == 3
    same = report.build([report.Facts.of(s) for s in ARCHIVE], datetime.fromisoformat(data["until"])).model_dump(mode="json")
    assert data == same, "the database gives the report the records give"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run_cli(["report", "--format", "table"]) == 0
    assert "Alert fatigue" in capsys.readouterr().out
    assert run_cli(["report", "--since", "soon"]) == 1


def test_cli_report_refuses_a_database_that_was_never_migrated(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WARROOM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WARROOM_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    assert run_cli(["report"]) == 1
    assert "warroom db upgrade" in capsys.readouterr().err
