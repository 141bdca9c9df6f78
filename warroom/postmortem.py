"""A blameless postmortem draft, rendered from the incident's own record.

Seed 004's structure: timeline reconstruction, contributing factors, what went
well, action items with owners and due dates and the factor each addresses;
seed 003 phase 6 adds root cause; seed 001's questions: why (five whys), how we
detected it and whether the right people were notified, and what we can do to
prevent it, detect it faster and recover faster. "What went well" holds facts
only: the mitigation that preceded recovery, updates sent on time.
The facts warroom knows (times, alerts, mitigations, pages, reminders) are
filled in; the analysis people must write is left as prompts, so the draft is a
starting point for the review, not a verdict. Pure: same state, same text.

The draft is markdown with YAML front matter (title, date, severity, service,
status), ready to be saved as `<incident-id>.md` in an incident-reports
repository. The gateway serves it at `draft_url`: the link warroom shares.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

from warroom.durations import humanize
from warroom.models import IncidentState, MitigationRecord, Role

# Timeline kinds that are noise in a postmortem: refused messages are not events.
_SKIP = {"refused"}
_FACTOR_PROMPTS = [
    "Monitoring: did an alert fire on the symptom users saw, and how early?",
    "Testing and deployment: what let the change reach production?",
    "Runbooks and tooling: was the mitigation documented and quick to apply?",
    "Access and safeguards: what made the triggering action possible?",
]


def file_name(state: IncidentState) -> str:
    return f"{state.id}.md"


def draft_url(base: str, incident_id: str, secret: str | None = None) -> str:
    """Where the gateway serves an incident's draft; `base` is its public URL.
    With the link secret the URL carries the draft's key: whoever has the link
    (the channel, the DM, the tracker's issue) opens it without a token."""
    url = f"{base.rstrip('/')}/postmortems/{quote(incident_id, safe='')}"
    return f"{url}?key={link_key(secret, incident_id)}" if secret else url


def link_key(secret: str, incident_id: str) -> str:
    """The draft's key: an HMAC of its incident id, so one draft's link opens no other."""
    return hmac.new(secret.encode(), incident_id.encode(), hashlib.sha256).hexdigest()[:32]


def drafted_incident(link: str, base: str) -> str | None:
    """The incident whose draft `link` is, when it is the gateway's own (the page
    or its `.md`); None for any other link."""
    prefix = f"{base.rstrip('/')}/postmortems/"
    if not link.startswith(prefix):
        return None
    name = link.removeprefix(prefix).split("#", 1)[0].split("?", 1)[0].removesuffix(".md")
    return unquote(name) if name and "/" not in name else None


def render(state: IncidentState, generated_at: datetime) -> str:
    s = state
    sections = [
        _front_matter(s, generated_at),
        f"# Postmortem: {s.title}\n",
        "> Blameless: describe the conditions, systems and decisions that made this possible, "
        'never a person as the cause; e.g. "The deployment pipeline did not catch the regression before production".\n',
        _summary(s),
        _impact(s),
        _detection(s),
        _response(s),
        _timeline(s),
        _contributing_factors(s),
        _five_whys(s),
        _notified(s),
        _improvements(s),
        _went_well(s),
        _action_items(s),
        _open_questions(s),
    ]
    return "\n".join(sections).rstrip() + "\n"


def _front_matter(s: IncidentState, generated_at: datetime) -> str:
    authors = sorted({u for r, u in s.roles.items() if r in (Role.COMMANDER, Role.SCRIBE)})
    lines = [
        "---",
        f"title: {_yaml(s.title)}",
        f"incident: {s.id}",
        f"date: {s.metrics.declared_at:%Y-%m-%d}",
        f"severity: {s.severity.value}",
        f"service: {_yaml(s.service)}",
        "status: draft",
        f"authors: [{', '.join(_yaml(a) for a in authors)}]",
        f"generated_at: {generated_at:%Y-%m-%dT%H:%M:%SZ}",
    ]
    if s.recurrence_of:
        lines.append(f"recurrence_of: {s.recurrence_of}")
    return "\n".join([*lines, "---", ""])


def _summary(s: IncidentState) -> str:
    m = s.metrics
    duration = _span(m.started_at, m.resolved_at)
    lines = [
        "## Summary\n",
        f"{s.severity.value} incident on **{s.service}**, {m.started_at:%Y-%m-%d %H:%M} UTC"
        + (f", resolved after {duration}." if duration else ", not resolved yet."),
    ]
    if s.resolution:
        lines.append(f"Resolution: {s.resolution}")
    return "\n".join(lines) + "\n"


def _impact(s: IncidentState) -> str:
    i, m = s.impact, s.metrics
    flags = [
        label for flag, label in (
            (i.data_loss, "data loss"), (i.security_breach, "security breach"),
            (i.payments_or_auth_down, "payments or authentication down"),
        ) if flag
    ]
    lines = [
        "## Impact\n",
        f"- Who: {i.description or '_describe the affected users and features_'}",
        f"- How many: {i.user_share:.0%} of users" + ("" if i.workaround else ", no workaround"),
        f"- How long: {_span(m.started_at, m.resolved_at) or 'ongoing'} "
        f"({m.started_at:%Y-%m-%d %H:%M} to {f'{m.resolved_at:%Y-%m-%d %H:%M}' if m.resolved_at else 'now'} UTC)",
    ]
    if flags:
        lines.append(f"- Also: {', '.join(flags)}")
    if s.public_status:
        lines.append(f"- Status page: {s.public_status.value}")
    return "\n".join(lines) + "\n"


def _detection(s: IncidentState) -> str:
    m = s.metrics
    alerts = sorted(s.alerts.values(), key=lambda a: a.first_seen)
    if alerts:
        what = ", ".join(f"{a.name} ({a.source}, {a.count}x)" for a in alerts)
    else:
        declarer = next((e.actor for e in s.timeline if e.kind == "declared"), "a responder")
        what = f"declared by hand by {declarer}; no alert fired"
    return "\n".join([
        "## Detection\n",
        f"- What alerted: {what}",
        f"- Time to detect: {_span(m.started_at, m.declared_at) or '0s'} (first symptom to declaration)"
        if m.start_known else "- Time to detect: unknown (nobody said when impact began)",
    ]) + "\n"


def _response(s: IncidentState) -> str:
    m = s.metrics
    lines = [
        "## Response\n",
        f"- Time to acknowledge: {_span(m.declared_at, m.acknowledged_at) or 'never acknowledged'}",
        f"- Time to mitigate: {_span(m.started_at, m.mitigated_at) or 'not mitigated'}",
        f"- Time to resolve: {_span(m.started_at, m.resolved_at) or 'not resolved'}",
    ]
    worked = _recovery(s)
    lines.append("\n**What worked:** " + (_mitigation(worked) if worked else "_which action restored service?_"))
    tried = [_mitigation(r) for r in s.mitigations if r is not worked]
    if tried:
        lines.append("\n**Also tried:** " + "; ".join(tried))
    slow = _slow(s)
    lines.append("\n**What was slow:** " + ("; ".join(slow) if slow else "_where was time lost?_"))
    return "\n".join(lines) + "\n"


def _slow(s: IncidentState) -> list[str]:
    kinds = [e.kind for e in s.timeline]
    pages = [e for e in s.timeline if e.kind == "page"]
    reminders = [e.text for e in s.timeline if e.kind == "reminder"]
    slow = []
    if len(pages) > 1:
        slow.append(f"paging escalated {len(pages) - 1} time(s) before anyone acknowledged")
    if any("status update overdue" in t for t in reminders):
        slow.append("status updates went overdue")
    if any(t.startswith("unassigned roles") for t in reminders):
        slow.append("incident roles stayed unassigned past the policy's limit")
    if s.metrics.reopen_count:
        slow.append(f"reopened {s.metrics.reopen_count} time(s) after a resolution")
    if "integration_error" in kinds:
        slow.append("integrations failed during the response (see timeline)")
    return slow


def _timeline(s: IncidentState) -> str:
    rows = ["## Timeline\n", "All times UTC.\n", "| time | who | what |", "|---|---|---|"]
    rows += [
        f"| {e.at:%Y-%m-%d %H:%M:%S} | {_cell(e.actor)} | {_cell(e.text)} |"
        for e in s.timeline if e.kind not in _SKIP
    ]
    return "\n".join(rows) + "\n"


def _contributing_factors(s: IncidentState) -> str:
    lines = ["## Contributing factors\n", "_For each, ask what conditions made it possible._\n"]
    if any(e.kind == "mitigate" and "rollback" in e.text for e in s.timeline):
        lines.append("- A rollback restored service: which change was undone, and what let it reach production?")
    if s.recurrence_of:
        lines.append(f"- This recurs {s.recurrence_of}: why did its action items not prevent it?")
    lines += [f"- {p}" for p in _FACTOR_PROMPTS]
    return "\n".join(lines) + "\n"


def _went_well(s: IncidentState) -> str:
    m = s.metrics
    good = []
    if s.alerts:
        good.append(f"an alert detected it ({', '.join(sorted({a.name for a in s.alerts.values()}))})")
    if m.acknowledged_at and m.acknowledged_at - m.declared_at <= timedelta(minutes=5):
        good.append(f"acknowledged within {_span(m.declared_at, m.acknowledged_at)}")
    if all(r in s.roles for r in (Role.COMMANDER, Role.OPS_LEAD, Role.COMMS_LEAD)):
        good.append("commander, ops lead and comms lead were all staffed")
    if worked := _recovery(s):
        good.append(f"the mitigation that preceded recovery: {_mitigation(worked)}")
    if m.updates_posted and not any("status update overdue" in e.text for e in s.timeline if e.kind == "reminder"):
        good.append(f"status updates went out on time ({m.updates_posted} posted, none overdue)")
    lines = ["## What went well\n"] + [f"- {g}" for g in good]
    lines.append("- _what else worked and should be preserved?_")
    return "\n".join(lines) + "\n"


def _action_items(s: IncidentState) -> str:
    lines = ["## Action items\n"]
    if not s.action_items:
        lines.append("_None recorded yet: add them with `warroom action-item` (owner and due date required)._")
        return "\n".join(lines) + "\n"
    lines += ["| # | action | addresses | owner | due | tracker | status |", "|---|---|---|---|---|---|---|"]
    for i in s.action_items:
        tracker = f"[{i.tracker_key}]({i.tracker_url})" if i.tracker_url else i.tracker_key or ""
        factor = _cell(i.addresses) if i.addresses else "_which contributing factor?_"
        lines.append(f"| {i.number} | {_cell(i.title)} | {factor} | {_cell(i.owner)} | {i.due} | {tracker} | {i.status} |")
    return "\n".join(lines) + "\n"


def _recovery(s: IncidentState) -> MitigationRecord | None:
    """The last mitigation before the final resolution, after any reopening: the one recovery followed."""
    reopened = max((e.at for e in s.timeline if e.kind == "reopen"), default=None)
    resolved = s.metrics.resolved_at
    if resolved is None:
        return None
    held = [r for r in s.mitigations if r.at <= resolved and (reopened is None or r.at >= reopened)]
    return held[-1] if held else None


def _mitigation(r: MitigationRecord) -> str:
    return f"{r.action.value} by {r.by}" + (f": {r.description}" if r.description else "")


def _five_whys(s: IncidentState) -> str:
    symptom = (s.impact.description or s.title).rstrip(".")
    lines = [
        "## Why did it happen? (five whys)\n",
        "_Ask why until the answer is a condition you can change, not a person; one chain per contributing factor._\n",
        f"1. Why did this happen: {symptom}? _..._",
        *(f"{n}. Why? _..._" for n in range(2, 6)),
    ]
    return "\n".join(lines) + "\n"


def _notified(s: IncidentState) -> str:
    m = s.metrics
    lines = ["## Were the right people notified?\n"]
    lines += [f"- Paged {p.user} ({p.target}, step {p.step + 1}) at {p.at:%H:%M} UTC via {p.via}" for p in s.pages]
    if not s.pages:
        lines.append("- Nobody was paged")
    acker = next((e.actor for e in s.timeline if e.kind == "acknowledge"), None)
    if acker and m.acknowledged_at:
        lines.append(f"- Acknowledged by {acker}, {_span(m.declared_at, m.acknowledged_at)} after declaration")
    roles = ", ".join(f"{r.value.replace('_', ' ')} {u}" for r, u in s.roles.items())
    lines.append(f"- Roles: {roles or 'none assigned'}")
    lines.append("- _Who should have been reached sooner, and who was woken without need?_")
    return "\n".join(lines) + "\n"


def _improvements(s: IncidentState) -> str:
    m = s.metrics
    detect = f"it took {_span(m.started_at, m.declared_at)} from first symptom to declaration" if m.start_known else "when impact began is unknown"
    recover = f"it took {_span(m.started_at, m.resolved_at) or 'an unknown time'} from first symptom to resolution"
    return "\n".join([
        "## What can we do better?\n",
        "_Each answer becomes an action item that addresses a contributing factor (`warroom action-item --addresses`)._\n",
        "- What can we do to prevent it? _..._",
        f"- What can we do to detect it faster? ({detect}) _..._",
        f"- What can we do to recover faster? ({recover}) _..._",
    ]) + "\n"


def _open_questions(s: IncidentState) -> str:
    questions = []
    if s.non_actionable:
        questions.append("Every alert resolved on its own: should this alert page at all?")
    if s.metrics.reopen_count:
        questions.append("Why did the first resolution not hold?")
    if not s.action_items:
        questions.append("Which action items address the contributing factors?")
    elif unlinked := [str(i.number) for i in s.action_items if not i.addresses]:
        questions.append(f"Which contributing factor does action item {', '.join(unlinked)} address?")
    questions.append("What root cause does the review agree on, and what would have detected it sooner?")
    return "\n".join(["## Open questions\n", *(f"- {q}" for q in questions)]) + "\n"


def _span(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    return humanize(max(end - start, timedelta(0)))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar: titles hold colons and quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
