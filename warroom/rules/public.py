"""The incident's public side and its stakeholders. Part of `Lifecycle`.

Internal and public text stay apart: the channel gets every update's
`message`; the status page gets only what a publisher chose to say (`public`)
or, at a change of status, the seed's wording for it (003 §5), under a name
built from the components ("Partial outage: Checkout"), never the internal
title unless a publisher chose it. Seed 004 wants authority defined in
advance: `[status_page] publishers` names the roles and people whose public
text counts; anyone else's is refused and the rest of their update goes
through.

An incident goes public by itself when its severity's `publish_on` says so:
at a person's declaration, or at the first acknowledgement (seed 003: verify,
then declare; an alert is verified once someone looks at it); `manual` waits
for a publisher's text. Components take the status the severity implies (or
the one a publisher set) and are operational again from resolution.

Stakeholders beyond the channel: one line per declare, severity change,
resolve and close in the announcements channel, and for the severities that
call for it the executive summary on its own cadence, a durable deadline.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warroom.durations import humanize
from warroom.models import ChannelRef, Deadline, PublicStatus
from warroom.responders import StatusUpdate
from warroom.public_state import SEVERITY, ComponentStatus
from warroom.rules import wording
from warroom.rules.effects import Operation
from warroom.rules.messages import ACTIVE
from warroom.rules.requests import ChannelPost, StatusPost

if TYPE_CHECKING:
    from warroom.public_policy import PublishOn
    from warroom.rules.lifecycle import Lifecycle

# What a component is in while an incident of this status-page impact lasts.
IMPLIED = {
    "critical": ComponentStatus.MAJOR_OUTAGE,
    "major": ComponentStatus.PARTIAL_OUTAGE,
    "minor": ComponentStatus.DEGRADED_PERFORMANCE,
    "none": ComponentStatus.DEGRADED_PERFORMANCE,
}
WORST_FIRST = sorted(ComponentStatus, key=SEVERITY.__getitem__, reverse=True)[:-1]  # operational is no state to name
RECOVERED = (PublicStatus.MONITORING, PublicStatus.RESOLVED)
EXECUTIVE_SUMMARY = "executive_summary"


def is_channel(who: str) -> bool:
    """`#name`, or a Slack channel id (C or G and upper-case letters and digits)."""
    return who.startswith("#") or re.fullmatch(r"[CG][A-Z0-9]{8,}", who) is not None


class PublicRules:
    # --- when the incident is public ------------------------------------------------------

    @property
    def is_public(self: Lifecycle) -> bool:
        return self.state.comms.public_since is not None

    def publish_on(self: Lifecycle) -> PublishOn:
        return self.policy.status_page.publish_on[self.state.severity]

    def public_due(self: Lifecycle) -> bool:
        """Whether the severity's `publish_on` says the incident should be on
        the status page by now and it is not: a person declared it (`declare`)
        or someone acknowledged it (`declare` or `acknowledge`)."""
        s = self.state
        if self.is_public or s.phase not in ACTIVE or not self.rules.public:
            return False
        mode = self.publish_on()
        verified = s.metrics.acknowledged_at is not None or (mode == "declare" and s.source == "manual")
        return mode != "manual" and verified

    def go_public_if_due(self: Lifecycle, now: datetime) -> bool:
        if due := self.public_due():
            self.go_public(now)
        return due

    def go_public(self: Lifecycle, now: datetime, text: str | None = None) -> None:
        s = self.state
        s.comms.public_since = now
        self.log(now, "warroom", "public", f"on the status page as {self.public_name()!r}")
        self.publish(PublicStatus(s.comms.status), now, text)

    def refusal_to_publish(self: Lifecycle, by: str) -> str | None:
        """Why `by` may not speak in public, or None when they may."""
        publishers = self.policy.status_page.publishers
        held = {role.value for role, who in self.state.roles.items() if who == by}
        if by in publishers or held & set(publishers):
            return None
        return f"{by} is not a publisher (publishers: {', '.join(publishers) or 'nobody'})"

    # --- what the page shows ------------------------------------------------------------

    def affected(self: Lifecycle) -> dict[str, ComponentStatus]:
        """The service's components and those a publisher named, in the status
        a publisher set or else the one the severity implies."""
        s = self.state
        implied = IMPLIED[self.rules.status_impact]
        named: dict[str, ComponentStatus | None] = dict.fromkeys(self.policy.service(s.service).components)
        return {name: status or implied for name, status in (named | s.comms.components).items()}

    def public_name(self: Lifecycle) -> str:
        """A publisher's title, else `<worst state>: <components>`."""
        s = self.state
        if s.comms.public_title:
            return s.comms.public_title
        affected = self.affected()
        hit = {name: status for name, status in affected.items() if status is not ComponentStatus.OPERATIONAL}
        worst = next((st for st in WORST_FIRST if st in hit.values()), IMPLIED[self.rules.status_impact])
        return f"{worst.label}: {', '.join(hit) or s.service}"

    def publish(self: Lifecycle, status: PublicStatus, now: datetime, text: str | None = None, quiet: bool = False) -> None:
        """The status page follows `status` if the incident is public: a
        publisher's `text`, else the seed's wording; `quiet`, only its name and
        components change."""
        s = self.state
        s.comms.status = status.value
        if not self.is_public:
            return
        s.public_status = status
        affected = self.affected()
        message = None if quiet else text or wording.public_wording(status, ", ".join(affected) or s.service)
        if status in RECOVERED:
            affected = dict.fromkeys(affected, ComponentStatus.OPERATIONAL)

        def published(ref: Any) -> None:
            s.status_page = ref

        key = self.next_key()
        self.effect(
            Operation.PUBLISH_STATUS,
            StatusPost(
                incident_id=s.id, page_ref=s.status_page, title=self.public_name(), service=s.service, status=status,
                message=message, impact=self.rules.status_impact, components=affected, idempotency_key=key,
            ),
            f"Status page: {status.value}" + (" (name and components)" if quiet else ""),
            then=published,
            key=key,
        )

    def public_line(self: Lifecycle, now: datetime) -> str:
        """What the channel is told about the status page (public from `now` if it is due)."""
        since = self.state.comms.public_since or (now if self.public_due() else None)
        return wording.public_line(self.state, since, self.publish_on(), self.rules.public)

    # --- an update's public part ----------------------------------------------------------

    def take_update(self: Lifecycle, msg: StatusUpdate, now: datetime) -> str:
        """Apply an update's template lines and public part; what the receipt adds."""
        s = self.state
        for line in ("help_needed", "eta"):
            if (value := getattr(msg, line)) is not None:
                setattr(s.comms, line, value or None)
        if msg.impact:
            s.impact.description = msg.impact
        status = PublicStatus(msg.status)
        changed = status != (s.public_status if self.is_public else PublicStatus(s.comms.status))
        public_part = msg.public or msg.public_title or msg.components
        if public_part and (reason := self.refusal_to_publish(msg.by)):
            self.log(now, msg.by, "refused", f"public part refused: {reason}")
            s.comms.status = status.value  # the page is untouched: not even the seed's wording goes out
            return f"; public part refused: {reason}"
        if msg.public_title:
            s.comms.public_title = msg.public_title
        if msg.components:
            s.comms.components.update(msg.components)
        if msg.public and not self.is_public:
            s.comms.status = status.value
            self.go_public(now, msg.public)
            return "; published (the incident is public now)"
        if msg.public or changed:
            self.publish(status, now, msg.public)
            return "; published" if self.is_public else "; not public yet"
        if public_part and self.is_public:
            self.publish(status, now, quiet=True)
            return "; public name and components updated"
        return "; public name and components kept for when it goes public" if public_part else ""

    # --- stakeholders -------------------------------------------------------------------

    def announce(self: Lifecycle, text: str) -> None:
        """One line in the announcements channel, if there is one."""
        if channel := self.policy.stakeholders.announce:
            self.post_elsewhere(channel, text, "Announce to stakeholders")

    def post_elsewhere(self: Lifecycle, channel: str, text: str, summary: str) -> None:
        """A post in a channel that is not the incident's: a Slack id, or a name."""
        ref = ChannelRef(id=channel, name=channel.lstrip("#"))
        key = self.next_key()
        req = ChannelPost(incident_id=self.state.id, channel=ref, text=text, idempotency_key=key)
        self.effect(Operation.ANNOUNCE, req, f"{summary} in {channel}", key=key)

    def arm_executive_summary(self: Lifecycle, now: datetime) -> None:
        """The severities that call for it get an executive summary every
        `executive_every` while the incident is active."""
        s = self.state
        cfg = self.policy.stakeholders
        if not (cfg.executives and s.severity in cfg.executive_severities and s.phase in ACTIVE):
            s.deadlines.pop(EXECUTIVE_SUMMARY, None)
        elif EXECUTIVE_SUMMARY not in s.deadlines:
            every = humanize(cfg.executive_every)
            self.deadline(EXECUTIVE_SUMMARY, now + cfg.executive_every, f"Executive summary ({s.severity}, every {every})")

    def send_executive_summary(self: Lifecycle, d: Deadline, now: datetime) -> None:
        s = self.state
        cfg = self.policy.stakeholders
        d.due = d.next_fire = d.next_fire + cfg.executive_every  # on its schedule, however late this runs
        d.reminders += 1
        text = wording.executive_summary(s, self.customer_effect(), d.due)
        self.log(now, "warroom", "executive_summary", "executive summary to " + ", ".join(cfg.executives))
        for who in cfg.executives:
            if is_channel(who):
                self.post_elsewhere(who, text, "Executive summary")
            else:
                self.notify(who, text, f"Executive summary to {who}")

    def customer_effect(self: Lifecycle) -> str:
        s = self.state
        if not self.is_public:
            return "not on the status page yet"
        hit = ", ".join(f"{name} {status.label.lower()}" for name, status in self.affected().items())
        shown = (s.public_status or PublicStatus.INVESTIGATING).value
        return f"status page shows {self.public_name()!r} ({shown})" + (f"; {hit}" if hit else "")
