"""What warroom says: the seeds' update templates, the channel topic, the
Temporal UI's current details and the reminders, from the incident's state."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.durations import humanize
from warroom.models import Change, Deadline, IncidentState, PublicStatus, Role
from warroom.rules.messages import ACTIVE

LABELS = {
    Role.COMMANDER: "IC",
    Role.OPS_LEAD: "Ops",
    Role.COMMS_LEAD: "Comms",
    Role.SCRIBE: "Scribe",
}
# Most incidents follow a change: the ones this long before declaration are the first suspects.
SUSPECT_HOURS = 24

# Seed 003 §5, "External Status Updates".
PUBLIC_WORDING = {
    PublicStatus.INVESTIGATING: "We are currently investigating reports of issues with {service}. "
    "Our team is actively working on a resolution.",
    PublicStatus.IDENTIFIED: "The issue has been identified as {cause}. We are implementing a fix.",
    PublicStatus.MONITORING: "A fix has been implemented and we are monitoring the results.",
    PublicStatus.RESOLVED: "The issue has been resolved and all systems are operational.",
}


def public_wording(status: PublicStatus, service: str, cause: str = "") -> str:
    """The seed's public text for `status`. Without a cause chosen for the public,
    "identified" says no more than that: the internal cause never goes out."""
    if status is PublicStatus.IDENTIFIED and not cause:
        return "The issue has been identified. We are implementing a fix."
    return PUBLIC_WORDING[status].format(service=service, cause=cause.rstrip("."))


def public_line(s: IncidentState, since: datetime | None, publish_on: str, severity_public: bool) -> str:
    """The update template's status-page line: what is public, and what is not yet."""
    if since:
        return f"public since {since:%H:%M UTC} ({s.public_status or s.comms.status})"
    if s.phase not in ACTIVE:
        return "never made public"
    if publish_on == "manual" or not severity_public:
        return f"not public: {s.severity} goes public only with a publisher's public text (`warroom update --public`)"
    when = "once someone acknowledges" if s.source != "manual" or publish_on == "acknowledge" else "at declaration"
    return f"not public yet: {s.severity} goes public {when}, or with a publisher's public text"


def update_text(s: IncidentState, cadence: timedelta | None, status: str, action: str, now: datetime, public: str) -> str:
    """Seed 003 §5, the internal status update template, with help needed, ETA and the status page."""
    cadence = cadence if s.phase in ACTIVE else None
    nxt = (now + cadence).strftime("%H:%M UTC") if cadence else "at resolution" if s.phase in ACTIVE else "none"
    roles = " | ".join(f"**{LABELS[r]}:** {s.roles[r]}" for r in Role if r in s.roles) or "**IC:** unassigned"
    return (
        f":rotating_light: *Incident Update: {s.title}*\n"
        f"**Current Status:** {status}\n"
        f"**Severity:** {s.severity}\n"
        f"**Impact:** {s.impact.description or 'being assessed'}\n"
        f"**Current Action:** {action}\n"
        f"**Help needed:** {s.comms.help_needed or 'none'}\n"
        f"**ETA:** {s.comms.eta or 'unknown'}\n"
        f"**Status page:** {public}\n"
        f"**Next Update:** {nxt}\n"
        f"{roles}"
    )


def announcement(s: IncidentState, what: str) -> str:
    """A line for the announcements channel."""
    ic = s.roles.get(Role.COMMANDER, "unassigned")
    return f"{s.id} · {s.severity} · {s.service}: {what} (IC {ic}) · {s.title}"


def executive_summary(s: IncidentState, customer_effect: str, next_at: datetime) -> str:
    """Seed 003: the comms lead updates the executive team; what they need, not the channel's detail."""
    return (
        f":briefcase: *Executive summary: {s.id} ({s.severity}, {s.phase.value})* {s.title}\n"
        f"**Impact:** {s.impact.description or 'being assessed'}\n"
        f"**Customer effect:** {customer_effect}\n"
        f"**ETA:** {s.comms.eta or 'unknown'}\n"
        f"**Next update:** {next_at:%H:%M UTC}"
    )


def topic(s: IncidentState) -> str:
    ic = s.roles.get(Role.COMMANDER, "unassigned")
    status = (s.public_status.value if s.public_status else s.phase.value).title()
    return f"{s.severity} | {status} | IC: {ic} | {s.title}"[:250]


def suspects_text(s: IncidentState, changes: list[Change]) -> str:
    lines = "\n".join(f"• `{c.id}` {c.describe()}" + (f" <{c.link}>" if c.link else "") for c in changes)
    return (
        f":mag: *First suspects*: changes to {s.service} in the {SUSPECT_HOURS} h before declaration, newest first\n"
        f"{lines}\nUndo one with `warroom mitigate {s.id} rollback --change <id> ...`"
    )


def update_overdue(s: IncidentState, who: str, late: str) -> str:
    return f":alarm_clock: {who}: a status update is due (overdue {late}). Use `warroom update {s.id}`."


def roles_missing(s: IncidentState, who: str, missing: list[str]) -> str:
    return f":raising_hand: {who}: {s.severity} needs " + ", ".join(missing) + " assigned (`warroom assign`)."


def business_day_nudge(s: IncidentState, who: str) -> str:
    return (
        f":sunrise: {who}: {s.severity} {s.id} came in outside business hours and is still open: {s.title}. "
        f"Pick it up with `warroom ack {s.id}`."
    )


def postmortem_due(s: IncidentState, what: str, d: Deadline, now: datetime, ahead: bool) -> str:
    """`ahead`: the reminder before the deadline; else it is due now or overdue."""
    if ahead:
        return f"postmortem {what} for {s.id} is due in {humanize(max(d.due - now, timedelta(0)))}"
    late = now - d.due
    return f"postmortem {what} for {s.id} is " + (f"overdue by {humanize(late)}" if late >= timedelta(minutes=1) else "due now")


def draft_link(incident_id: str, link: str) -> str:
    return f":memo: Postmortem draft for {incident_id}, written from the timeline: {link}"


def details(s: IncidentState, nxt: Deadline | None) -> str:
    """Markdown for the Temporal UI's current details: the incident at a glance."""
    roles = ", ".join(f"{LABELS[r]} {s.roles[r]}" for r in Role if r in s.roles) or "no commander yet"
    lines = [
        f"## {s.severity} · {s.phase.value} · {s.service}",
        f"**{s.title}**",
        f"- Roles: {roles}",
        f"- Status page: {s.public_status.value if s.public_status else 'not posted'}",
        f"- Alerts: {len(s.alerts)} ({sum(a.count for a in s.alerts.values())} notifications)",
    ]
    if s.channel:
        lines.append(f"- Channel: #{s.channel.name}")
    if s.bridge:
        lines.append(f"- Bridge: {s.bridge.url}")
    if s.suspects:
        lines.append(f"- Suspects: {len(s.suspects)} recent change(s), newest {s.suspects[0].id}")
    if nxt:
        lines.append(f"- Next: {nxt.summary} at {nxt.next_fire:%Y-%m-%d %H:%M} UTC")
    if s.last_update:
        lines.append(f"- Last update: {s.last_update}")
    if s.recurrence_of:
        lines.append(f"- Recurrence of {s.recurrence_of}")
    return "\n".join(lines)
