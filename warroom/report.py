"""Figures across incidents, for the managers who read `warroom report`.

Pure: the figures of archived incidents in (`Facts`, taken from each record
when it is archived), numbers out; no clocks, no files. Seed 004
asks for these: MTTR and MTBF, on-call load spread fairly (night pages are the
human cost), postmortems on time, action items actually closed, and alerts
that page without anything to do (alert fatigue).

Durations are in minutes, MTBF and hours in incidents in hours. A mean over no
incidents is None, shown as "-": an absent figure, not a zero. Each mean says
over how many incidents it is taken (n=): time to detect only over those whose
start of impact is known, MTTR not over those nobody needed to act on. Severity
is each incident's peak. Drills are in no figure but their own section.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from warroom import learning
from warroom.models import IncidentState, Severity

NIGHT = (22, 7)  # 22:00-07:00 in each person's time zone ([people.<handle>] timezone, else UTC)


class Facts(BaseModel):
    """What a report needs of one closed incident, taken from its record once,
    when it is archived: a report over thousands of incidents reads these, small,
    instead of whole records (timelines, alerts, deadlines)."""

    id: str = ""
    service: str
    severity: Severity
    peak_severity: Severity | None = None
    started_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    times: dict[str, float | None]  # Metrics.summary(): minutes to detect, acknowledge, mitigate, resolve
    pages: list[tuple[str, datetime]]  # (person, when) of each page that reached a person
    people: dict[str, datetime]  # who took part, from when
    postmortem_required: bool
    postmortem_on_time: tuple[bool, bool]  # draft, review
    action_items: dict[int, str]  # number -> status; the follow-up's latest tracker status replaces the record's
    alerts: dict[str, int]  # alert name -> notifications
    non_actionable: bool
    drill: bool = False
    postmortem_waived: str | None = None
    commanders: list[str] = []
    wrote: list[str] = []
    reviewed: list[str] = []

    @property
    def peak(self) -> Severity:
        return self.peak_severity or self.severity

    @classmethod
    def of(cls, s: IncidentState) -> Facts:
        def on_time(name: str) -> bool:
            d = s.deadlines.get(name)
            return bool(d and d.met_at and d.met_at <= d.due)

        alerts: dict[str, int] = defaultdict(int)
        for a in s.alerts.values():
            alerts[a.name] += a.count
        m = s.metrics
        wrote, reviewed = learning.postmortem_people(s)
        return cls(
            id=s.id, service=s.service, severity=s.severity, peak_severity=s.peak_severity, started_at=m.started_at, resolved_at=m.resolved_at, closed_at=m.closed_at,
            times=m.summary(), pages=[(p.user, p.at) for p in s.pages if p.reached_person], people=people(s),
            postmortem_required=s.postmortem.required,
            postmortem_on_time=(on_time("postmortem_draft"), on_time("postmortem_review")),
            action_items={i.number: i.status for i in s.action_items}, alerts=alerts, non_actionable=s.non_actionable,
            drill=s.drill is not None, postmortem_waived=s.postmortem.waived, commanders=learning.commanders(s), wrote=wrote, reviewed=reviewed,
        )


class Durations(BaseModel):
    incidents: int
    mttd: float | None
    mtta: float | None
    mttm: float | None
    mttr: float | None
    n: dict[str, int] = {}  # figure -> how many incidents its mean is over


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
    mtbf_gaps: dict[str, int] = {}  # service -> how many gaps between (merged) incidents its MTBF is over
    on_call: dict[str, PersonLoad]
    postmortems: PostmortemCompletion
    action_items: CloseRate
    action_items_by_team: dict[str, CloseRate]
    action_items_by_service: dict[str, CloseRate]
    alert_fatigue: list[AlertNoise]
    trend: list[TrendPoint]
    people: dict[str, learning.PersonRoles] = {}
    waivers: list[learning.Waiver] = []
    drills: list[learning.DrillRun] = []


def _mean(values: Iterable[float | None], digits: int = 1) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), digits) if present else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


FIGURES = {"mttd": "time_to_detect", "mtta": "time_to_acknowledge", "mttm": "time_to_mitigate", "mttr": "time_to_resolve"}


def durations(incidents: list[Facts]) -> Durations:
    """Mean times; MTTR leaves out incidents nobody needed to act on (they resolved on their own)."""
    values = {
        figure: [f.times[time] for f in incidents if f.times[time] is not None and not (figure == "mttr" and f.non_actionable)]
        for figure, time in FIGURES.items()
    }
    return Durations(incidents=len(incidents), **{k: _mean(v) for k, v in values.items()}, n={k: len(v) for k, v in values.items()})


def _grouped(incidents: list[Facts], key) -> dict[str, list[Facts]]:
    groups: dict[str, list[Facts]] = defaultdict(list)
    for f in incidents:
        groups[key(f)].append(f)
    return dict(sorted(groups.items()))


def failure_gaps(incidents: list[Facts]) -> list[float]:
    """Hours the service ran between failures: incidents' [start, resolution]
    intervals merged where they overlap, then the gaps between them. Never negative."""
    merged: list[list[datetime]] = []
    for f in sorted(incidents, key=lambda f: f.started_at):
        end = max(f.resolved_at or f.closed_at or f.started_at, f.started_at)
        if merged and f.started_at <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([f.started_at, end])
    return [(nxt[0] - prev[1]) / timedelta(hours=1) for prev, nxt in zip(merged, merged[1:])]


def mtbf_hours(incidents: list[Facts]) -> float | None:
    """Mean time between failures of one service (seed 003): the mean of `failure_gaps`."""
    return _mean(failure_gaps(incidents))


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


def on_call_load(
    incidents: list[Facts], night: tuple[int, int] = NIGHT, zones: dict[str, str] | None = None
) -> dict[str, PersonLoad]:
    """Pages, night pages (night where the person lives: `zones` maps people to time zones), incidents, hours."""
    tally: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0])  # pages, night pages, incidents, hours
    for f in incidents:
        for user, at in f.pages:
            tally[user][0] += 1
            tally[user][1] += is_night(at.astimezone(ZoneInfo((zones or {}).get(user, "UTC"))), night)
        end = f.resolved_at or f.closed_at
        for user, joined in f.people.items():
            tally[user][2] += 1
            if end:
                tally[user][3] += max((end - joined) / timedelta(hours=1), 0.0)
    load = {user: PersonLoad(pages=p, night_pages=n, incidents=i, hours=round(h, 2)) for user, (p, n, i, h) in tally.items()}
    return dict(sorted(load.items(), key=lambda kv: (-kv[1].pages, -kv[1].hours, kv[0])))


def postmortem_completion(incidents: list[Facts]) -> PostmortemCompletion:
    required = [f.postmortem_on_time for f in incidents if f.postmortem_required]
    return PostmortemCompletion(
        required=len(required), drafted_on_time=sum(d for d, _ in required), reviewed_on_time=sum(r for _, r in required),
        on_time_rate=_rate(sum(d and r for d, r in required), len(required)),
    )


def close_rates(pairs: Iterable[tuple[str, str]]) -> dict[str, CloseRate]:
    """(group, status) pairs to a close rate per group."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group, status in pairs:
        counts[group][0] += 1
        counts[group][1] += status == "done"
    return {g: CloseRate(total=t, done=d, rate=_rate(d, t)) for g, (t, d) in sorted(counts.items())}


def alert_fatigue(incidents: list[Facts]) -> list[AlertNoise]:
    """Per alert name: how often it opened incidents nobody needed to act on."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for f in incidents:
        for name, notifications in f.alerts.items():
            rows[name][0] += 1
            rows[name][1] += notifications
            rows[name][2] += f.non_actionable
    noise = [
        AlertNoise(name=n, incidents=i, notifications=c, non_actionable=na, non_actionable_share=round(na / i, 3))
        for n, (i, c, na) in rows.items()
    ]
    return sorted(noise, key=lambda a: (-a.non_actionable, -a.notifications, a.name))


def trend(incidents: list[Facts]) -> list[TrendPoint]:
    weeks = _grouped(incidents, lambda f: (f.started_at.date() - timedelta(days=f.started_at.weekday())).isoformat())
    return [TrendPoint(week=date.fromisoformat(w), incidents=len(group), mttr=durations(group).mttr) for w, group in weeks.items()]


def build(
    incidents: list[Facts],
    until: datetime,
    since: timedelta | None = None,
    teams: dict[str, str] | None = None,
    night: tuple[int, int] = NIGHT,
    zones: dict[str, str] | None = None,
) -> Report:
    """The report over incidents that started in [until - since, until]; drills apart."""
    start = until - since if since else None
    window = [f for f in incidents if (start is None or f.started_at >= start) and f.started_at <= until]
    chosen = [f for f in window if not f.drill]
    team_of = lambda service: (teams or {}).get(service) or "unassigned"  # noqa: E731
    items = [(f.service, status) for f in chosen for status in f.action_items.values()]
    return Report(
        since=start,
        until=until,
        overall=durations(chosen),
        by_severity={k: durations(v) for k, v in _grouped(chosen, lambda f: f.peak.value).items()},
        by_service={k: durations(v) for k, v in _grouped(chosen, lambda f: f.service).items()},
        mtbf_hours={k: mtbf_hours(v) for k, v in _grouped(chosen, lambda f: f.service).items()},
        mtbf_gaps={k: len(failure_gaps(v)) for k, v in _grouped(chosen, lambda f: f.service).items()},
        on_call=on_call_load(chosen, night, zones),
        postmortems=postmortem_completion(chosen),
        action_items=close_rates(("all", status) for _, status in items).get("all", CloseRate(total=0, done=0, rate=None)),
        action_items_by_team=close_rates((team_of(service), status) for service, status in items),
        action_items_by_service=close_rates(items),
        alert_fatigue=alert_fatigue(chosen),
        trend=trend(chosen),
        people=learning.person_roles(chosen),
        waivers=learning.waivers(chosen),
        drills=learning.drills(window),
    )


# --- rendering ----------------------------------------------------------------------


def _counted(value: float | None, n: int | None) -> str:
    """A mean with the count it is over: `12.5 (n=4)`."""
    return _fmt(value) if n is None else f"{_fmt(value)} (n={n})"


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.0%}" if percent else f"{value:g}"


def tables(r: Report) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report as (title, header, rows): one shape for the terminal and markdown."""
    dur_header = ["incidents", "MTTD (min)", "MTTA (min)", "time to mitigate (min)", "MTTR (min)"]

    def dur_row(d: Durations) -> list[str]:
        return [str(d.incidents), *(_counted(getattr(d, k), d.n.get(k)) for k in FIGURES)]

    pm = r.postmortems
    return [
        ("By peak severity", ["peak severity", *dur_header],
         [[k, *dur_row(v)] for k, v in r.by_severity.items()] + [["all", *dur_row(r.overall)]]),
        ("By service", ["service", *dur_header, "MTBF (h)"],
         [[k, *dur_row(v), _counted(r.mtbf_hours.get(k), r.mtbf_gaps.get(k))] for k, v in r.by_service.items()]),
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
        *learning.tables(r.people, r.waivers, r.drills),
    ]


def to_markdown(r: Report) -> str:
    since = f"{r.since:%Y-%m-%d}" if r.since else "the first incident"
    return "\n".join([f"# Incident report, {since} to {r.until:%Y-%m-%d}\n", *(markdown_table(*table) for table in tables(r))])


def markdown_table(title: str, header: list[str], rows: list[list[str]]) -> str:
    lines = [f"## {title}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows), ""])
