"""Figures across incidents, for the managers who read `warroom report`.

Pure: archived incident records in, numbers out; no clocks, no files. Seed 004
asks for these: MTTR and MTBF, on-call load spread fairly (night pages are the
human cost), postmortems on time, action items actually closed, and alerts
that page without anything to do (alert fatigue).

Durations are in minutes, MTBF and hours in incidents in hours. A mean over no
incidents is None, shown as "-": an absent figure, not a zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel

from warroom.models import IncidentState

NIGHT = (22, 7)  # 22:00-07:00 UTC


class Durations(BaseModel):
    incidents: int
    mttd: float | None
    mtta: float | None
    mttm: float | None
    mttr: float | None


class CloseRate(BaseModel):
    total: int
    done: int
    rate: float | None


class PersonLoad(BaseModel):
    pages: int = 0
    night_pages: int = 0
    incidents: int = 0
    hours: float = 0.0


class PostmortemCompletion(BaseModel):
    required: int
    drafted_on_time: int
    reviewed_on_time: int
    on_time_rate: float | None


class AlertNoise(BaseModel):
    name: str
    incidents: int
    notifications: int
    non_actionable: int
    non_actionable_share: float


class TrendPoint(BaseModel):
    week: date
    incidents: int
    mttr: float | None


class Report(BaseModel):
    since: datetime | None
    until: datetime
    overall: Durations
    by_severity: dict[str, Durations]
    by_service: dict[str, Durations]
    mtbf_hours: dict[str, float | None]
    on_call: dict[str, PersonLoad]
    postmortems: PostmortemCompletion
    action_items: CloseRate
    action_items_by_team: dict[str, CloseRate]
    action_items_by_service: dict[str, CloseRate]
    alert_fatigue: list[AlertNoise]
    trend: list[TrendPoint]


def _mean(values: Iterable[float | None], digits: int = 1) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), digits) if present else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def durations(incidents: list[IncidentState]) -> Durations:
    summaries = [s.metrics.summary() for s in incidents]
    return Durations(
        incidents=len(incidents),
        mttd=_mean(x["time_to_detect"] for x in summaries),
        mtta=_mean(x["time_to_acknowledge"] for x in summaries),
        mttm=_mean(x["time_to_mitigate"] for x in summaries),
        mttr=_mean(x["time_to_resolve"] for x in summaries),
    )


def _grouped(incidents: list[IncidentState], key) -> dict[str, list[IncidentState]]:
    groups: dict[str, list[IncidentState]] = defaultdict(list)
    for s in incidents:
        groups[key(s)].append(s)
    return dict(sorted(groups.items()))


def mtbf_hours(incidents: list[IncidentState]) -> float | None:
    """Mean time from one incident's resolution to the next one's start, same service."""
    ordered = sorted(incidents, key=lambda s: s.metrics.started_at)
    gaps = [
        (nxt.metrics.started_at - (prev.metrics.resolved_at or prev.metrics.started_at)) / timedelta(hours=1)
        for prev, nxt in zip(ordered, ordered[1:])
    ]
    return _mean(gaps)


def is_night(at: datetime, night: tuple[int, int] = NIGHT) -> bool:
    start, end = night
    return at.hour >= start or at.hour < end if start > end else start <= at.hour < end


def people(s: IncidentState) -> dict[str, datetime]:
    """Each person who took part and when they joined: roles, timeline actors, pages.
    The system and alert sources are not people."""
    machines = {"warroom", s.source, *(a.source for a in s.alerts.values())} - {"manual"}
    joined: dict[str, datetime] = {}
    for e in s.timeline:
        if e.actor not in machines:
            joined.setdefault(e.actor, e.at)
    for p in [p for p in s.pages if p.reached_person]:
        joined[p.user] = min(joined.get(p.user, p.at), p.at)
    for user in s.roles.values():
        joined.setdefault(user, s.metrics.declared_at)
    return joined


def on_call_load(incidents: list[IncidentState], night: tuple[int, int] = NIGHT) -> dict[str, PersonLoad]:
    load: dict[str, PersonLoad] = defaultdict(PersonLoad)
    for s in incidents:
        for p in [p for p in s.pages if p.reached_person]:
            load[p.user].pages += 1
            load[p.user].night_pages += is_night(p.at, night)
        end = s.metrics.resolved_at or s.metrics.closed_at
        for user, joined in people(s).items():
            load[user].incidents += 1
            if end:
                load[user].hours += max((end - joined) / timedelta(hours=1), 0.0)
    for person in load.values():
        person.hours = round(person.hours, 2)
    return dict(sorted(load.items(), key=lambda kv: (-kv[1].pages, -kv[1].hours, kv[0])))


def postmortem_completion(incidents: list[IncidentState]) -> PostmortemCompletion:
    required = [s for s in incidents if s.postmortem.required]

    def on_time(s: IncidentState, name: str) -> bool:
        d = s.deadlines.get(name)
        return bool(d and d.met_at and d.met_at <= d.due)

    drafted = sum(on_time(s, "postmortem_draft") for s in required)
    reviewed = sum(on_time(s, "postmortem_review") for s in required)
    both = sum(on_time(s, "postmortem_draft") and on_time(s, "postmortem_review") for s in required)
    return PostmortemCompletion(required=len(required), drafted_on_time=drafted, reviewed_on_time=reviewed, on_time_rate=_rate(both, len(required)))


def close_rates(pairs: Iterable[tuple[str, str]]) -> dict[str, CloseRate]:
    """(group, status) pairs to a close rate per group."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group, status in pairs:
        counts[group][0] += 1
        counts[group][1] += status == "done"
    return {g: CloseRate(total=t, done=d, rate=_rate(d, t)) for g, (t, d) in sorted(counts.items())}


def alert_fatigue(incidents: list[IncidentState]) -> list[AlertNoise]:
    """Per alert name: how often it opened incidents nobody needed to act on."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in incidents:
        for name in {a.name for a in s.alerts.values()}:
            rows[name][0] += 1
            rows[name][2] += s.non_actionable
        for a in s.alerts.values():
            rows[a.name][1] += a.count
    noise = [
        AlertNoise(name=n, incidents=i, notifications=c, non_actionable=na, non_actionable_share=round(na / i, 3))
        for n, (i, c, na) in rows.items()
    ]
    return sorted(noise, key=lambda a: (-a.non_actionable, -a.notifications, a.name))


def trend(incidents: list[IncidentState]) -> list[TrendPoint]:
    weeks = _grouped(incidents, lambda s: (s.metrics.started_at.date() - timedelta(days=s.metrics.started_at.weekday())).isoformat())
    return [TrendPoint(week=date.fromisoformat(w), incidents=len(group), mttr=durations(group).mttr) for w, group in weeks.items()]


def build(
    incidents: list[IncidentState],
    until: datetime,
    since: timedelta | None = None,
    teams: dict[str, str] | None = None,
    night: tuple[int, int] = NIGHT,
) -> Report:
    """The report over incidents that started in [until - since, until]."""
    start = until - since if since else None
    chosen = [s for s in incidents if (start is None or s.metrics.started_at >= start) and s.metrics.started_at <= until]
    team_of = lambda service: (teams or {}).get(service) or "unassigned"  # noqa: E731
    items = [(s, i) for s in chosen for i in s.action_items]
    return Report(
        since=start,
        until=until,
        overall=durations(chosen),
        by_severity={k: durations(v) for k, v in _grouped(chosen, lambda s: s.severity.value).items()},
        by_service={k: durations(v) for k, v in _grouped(chosen, lambda s: s.service).items()},
        mtbf_hours={k: mtbf_hours(v) for k, v in _grouped(chosen, lambda s: s.service).items()},
        on_call=on_call_load(chosen, night),
        postmortems=postmortem_completion(chosen),
        action_items=close_rates(("all", i.status) for _, i in items).get("all", CloseRate(total=0, done=0, rate=None)),
        action_items_by_team=close_rates((team_of(s.service), i.status) for s, i in items),
        action_items_by_service=close_rates((s.service, i.status) for s, i in items),
        alert_fatigue=alert_fatigue(chosen),
        trend=trend(chosen),
    )


# --- rendering ----------------------------------------------------------------------


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:g}"


def tables(r: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report as (title, header, rows): one shape for the terminal and markdown."""
    dur_header = ["incidents", "MTTD (min)", "MTTA (min)", "time to mitigate (min)", "MTTR (min)"]

    def dur_row(d: Durations) -> list[str]:
        return [str(d.incidents), _fmt(d.mttd), _fmt(d.mtta), _fmt(d.mttm), _fmt(d.mttr)]

    pm = r.postmortems
    return [
        ("By severity", ["severity", *dur_header], [[k, *dur_row(v)] for k, v in r.by_severity.items()] + [["all", *dur_row(r.overall)]]),
        ("By service", ["service", *dur_header, "MTBF (h)"], [[k, *dur_row(v), _fmt(r.mtbf_hours.get(k))] for k, v in r.by_service.items()]),
        ("On-call load", ["person", "pages", "night pages", "incidents", "hours in incidents"],
         [[k, str(v.pages), str(v.night_pages), str(v.incidents), _fmt(v.hours)] for k, v in r.on_call.items()]),
        ("Postmortems", ["required", "draft on time", "review on time", "on-time rate"],
         [[str(pm.required), str(pm.drafted_on_time), str(pm.reviewed_on_time), _fmt(pm.on_time_rate, percent=True)]]),
        ("Action items", ["team / service", "total", "done", "close rate"],
         [[f"team {k}", str(v.total), str(v.done), _fmt(v.rate, True)] for k, v in r.action_items_by_team.items()]
         + [[f"service {k}", str(v.total), str(v.done), _fmt(v.rate, True)] for k, v in r.action_items_by_service.items()]
         + [["all", str(r.action_items.total), str(r.action_items.done), _fmt(r.action_items.rate, True)]]),
        ("Alert fatigue", ["alert", "incidents", "notifications", "non-actionable", "non-actionable share"],
         [[a.name, str(a.incidents), str(a.notifications), str(a.non_actionable), _fmt(a.non_actionable_share, True)] for a in r.alert_fatigue]),
    ]


def to_markdown(r: Report) -> str:
    since = f"{r.since:%Y-%m-%d}" if r.since else "the first incident"
    parts = [f"# Incident report, {since} to {r.until:%Y-%m-%d}\n"]
    for title, header, rows in tables(r):
        parts.append(f"## {title}\n")
        parts.append("| " + " | ".join(header) + " |")
        parts.append("|" + "---|" * len(header))
        parts += ["| " + " | ".join(row) + " |" for row in rows]
        parts.append("")
    return "\n".join(parts)
