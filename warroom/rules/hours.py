"""Business hours (seed 003, SEV3: "Business hours. Fix it tomorrow morning").
Part of `Lifecycle`.

A severity that pages nobody, declared (or downgraded to) outside its team's
(or its first on-call rotation's) business hours, wakes nobody at night; a durable timer nudges the team at the
start of the next business day if the incident is still open then: the
channel, mentioning the team's on-call group (or the on-call), and the on-call
by direct message.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.models import Deadline
from warroom.rules import wording
from warroom.rules.messages import ACTIVE

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

NUDGE = "business_day"


class BusinessHoursRules:
    def arm_business_day_nudge(self: Lifecycle, now: datetime) -> None:
        s = self.state
        team = self.policy.service(s.service).team or "the team"
        hours = self.policy.business_hours(s.service)
        if self.rules.page or hours is None or s.phase not in ACTIVE:
            s.deadlines.pop(NUDGE, None)
            return
        if NUDGE in s.deadlines or hours.is_open(now):
            return
        start = hours.next_start(now)
        self.deadline(NUDGE, start, f"Nudge {team} at the start of its business day")
        text = f"outside {team}'s business hours: nobody is paged; {team} is nudged at {start:%Y-%m-%d %H:%M} UTC if still open"
        self.log(now, "warroom", "business_hours", text)

    def nudge_business_day(self: Lifecycle, d: Deadline, now: datetime) -> None:
        s = self.state
        d.met_at = now
        if s.phase not in ACTIVE:
            return
        target = self.policy.escalation(s.service)[0].target
        on_call = self.policy.people.handle(self.policy.resolve_target(s.service, target, now))
        has_group = self.policy.team(s.service).slack_group is not None
        who = self.everyone() if has_group or on_call == target else self.mention(on_call)
        text = wording.business_day_nudge(s, who)
        self.log(now, "warroom", "reminder", f"business day started with the incident open; nudged {on_call if on_call != target else who}")
        self.post(text, "Nudge the team: business day started")
        if on_call != target:  # a rotation's person, not a bare step name
            self.notify(on_call, text, f"Nudge {on_call}: business day started")
