"""What the report says about learning, beside the mean times: who commanded,
wrote and reviewed postmortems (seed 000 expects each engineer to do all
three), which postmortem duties were waived and why, and the drills, which
stay out of every other figure. Pure, like `warroom.report`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.models import IncidentState, Role

if TYPE_CHECKING:
    from warroom.report import Facts

_HANDOFF = re.compile(r"^handoff: commander (\S+) -> ")


class PersonRoles(BaseModel):
    commanded: int = 0
    wrote: int = 0
    reviewed: int = 0


class Waiver(BaseModel):
    incident: str
    peak_severity: str
    severity: str
    reason: str


class PastReport(BaseModel):
    """One closed incident's postmortem, for `warroom report --recent` (seed 000:
    "Read at least the last 20 incident reports")."""

    incident: str
    started_at: datetime
    severity: str  # the peak
    service: str
    title: str
    link: str
    reviewed: bool


def past_report(record: dict) -> PastReport | None:
    """The record's postmortem as a past report; None for a drill or an incident without one."""
    pm = record.get("postmortem") or {}
    link = pm.get("submitted_link") or pm.get("draft_link")
    if record.get("drill") or not link:
        return None
    return PastReport(
        incident=record["id"], started_at=record["metrics"]["started_at"], severity=record.get("peak_severity") or record["severity"],
        service=record["service"], title=record["title"], link=link, reviewed=pm.get("reviewed_at") is not None,
    )


def recent_table(reports: list[PastReport]) -> tuple[str, list[str], list[list[str]]]:
    return (
        f"The last {len(reports)} incident reports, newest first",
        ["incident", "started (UTC)", "peak severity", "service", "title", "postmortem", "reviewed"],
        [[r.incident, f"{r.started_at:%Y-%m-%d}", r.severity, r.service, r.title, r.link, "yes" if r.reviewed else "no"] for r in reports],
    )


class DrillRun(BaseModel):
    incident: str
    service: str
    started_at: datetime
    minutes_to_resolve: float | None
    participants: list[str]


def commanders(s: IncidentState) -> list[str]:
    """Everyone who held the commander role: the last holder and each one handed off from."""
    held = [m.group(1) for e in s.timeline if e.kind == "role" and (m := _HANDOFF.match(e.text))]
    if last := s.roles.get(Role.COMMANDER):
        held.append(last)
    return sorted(set(held))


def postmortem_people(s: IncidentState) -> tuple[list[str], list[str]]:
    """Who submitted the postmortem draft, and who recorded its review."""
    wrote = {e.actor for e in s.timeline if e.kind == "postmortem" and e.text.startswith("postmortem draft submitted")}
    reviewed = {e.actor for e in s.timeline if e.kind == "postmortem" and e.text.startswith("postmortem reviewed")}
    return sorted(wrote), sorted(reviewed)


def person_roles(incidents: Iterable[Facts]) -> dict[str, PersonRoles]:
    tally: dict[str, PersonRoles] = defaultdict(PersonRoles)
    for f in incidents:
        for user in f.commanders:
            tally[user].commanded += 1
        for user in f.wrote:
            tally[user].wrote += 1
        for user in f.reviewed:
            tally[user].reviewed += 1
    return dict(sorted(tally.items()))


def waivers(incidents: Iterable[Facts]) -> list[Waiver]:
    return [
        Waiver(incident=f.id, peak_severity=f.peak.value, severity=f.severity.value, reason=f.postmortem_waived)
        for f in incidents if f.postmortem_waived
    ]


def drills(incidents: Iterable[Facts]) -> list[DrillRun]:
    return [
        DrillRun(incident=f.id, service=f.service, started_at=f.started_at, minutes_to_resolve=f.times["time_to_resolve"],
                 participants=sorted(f.people))
        for f in sorted(incidents, key=lambda f: f.started_at) if f.drill
    ]


def tables(people: dict[str, PersonRoles], waived: list[Waiver], drilled: list[DrillRun]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The learning sections in the report's (title, header, rows) shape."""
    return [
        ("Incident roles per person", ["person", "commanded", "wrote postmortem", "reviewed postmortem"],
         [[k, str(v.commanded), str(v.wrote), str(v.reviewed)] for k, v in people.items()]),
        ("Postmortems waived", ["incident", "peak severity", "severity at close", "reason"],
         [[w.incident, w.peak_severity, w.severity, w.reason] for w in waived]),
        ("Drills (in no other figure)", ["drill", "service", "started (UTC)", "minutes to resolve", "participants"],
         [[d.incident, d.service, f"{d.started_at:%Y-%m-%d %H:%M}", "-" if d.minutes_to_resolve is None else f"{d.minutes_to_resolve:g}",
           ", ".join(d.participants)] for d in drilled]),
    ]
