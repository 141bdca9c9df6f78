"""Deadlines: the durable promises of an incident and what happens when one
comes due. Part of `Lifecycle`.

A deadline's `due` is what people see; `next_fire` is when the workflow acts
(a reminder ahead of a postmortem deadline fires before it is due). The
workflow sleeps on a durable timer until the earliest `next_fire` and calls
`fire_due` when that timer fires: what a deadline does depends on its schedule,
never on the clock. The severity's policy decides which deadlines exist:
`apply_policy` (re)arms them on declaration, escalation, downgrade and reopening.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from warroom.durations import humanize
from warroom.models import PAGERDUTY, Deadline, PageRecord, Phase, PublicStatus, Role
from warroom.rules import wording
from warroom.rules.effects import Operation
from warroom.rules.messages import ACTIVE
from warroom.rules.requests import UPDATE_BUTTONS, ChannelArchive, PageRequest, PageResult, PageUpdate

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

LEADS = (Role.COMMANDER, Role.OPS_LEAD, Role.COMMS_LEAD)
CADENCE_WHEN_UNSET = timedelta(hours=1)  # a reminder fired for a severity that has no cadence
ROLES_CHECK_WHEN_UNSET = timedelta(minutes=15)


class DeadlineRules:
    # --- the bookkeeping -------------------------------------------------------------

    def deadline(self: Lifecycle, name: str, due: datetime, summary: str, ahead: timedelta | None = None, step: int = 0) -> None:
        self.state.deadlines[name] = Deadline(
            name=name, due=due, next_fire=due - ahead if ahead else due, summary=summary, reminders=step
        )

    def meet(self: Lifecycle, name: str, now: datetime) -> None:
        d = self.state.deadlines.get(name)
        if d and d.met_at is None:
            d.met_at = now

    def pending(self: Lifecycle) -> list[Deadline]:
        """Unmet deadlines, the next to fire first."""
        return sorted((d for d in self.state.deadlines.values() if d.met_at is None), key=lambda d: d.next_fire)

    def fire_due(self: Lifecycle, due_by: datetime, now: datetime) -> None:
        """Act at `now` on every deadline due by `due_by`; the workflow passes a
        moment past the due time of the timer that fired, so deadlines a moment
        apart fire together instead of costing a timer each."""
        for d in self.pending():
            if d.next_fire <= due_by:
                self.fire(d, now)

    def fire(self: Lifecycle, d: Deadline, now: datetime) -> None:
        match d.name:
            case "status_update":
                self.remind_status_update(d, now)
            case "page":
                self.page_step(d.reminders, now)
            case "pages_held":
                self.meet("pages_held", now)
            case "roles":
                self.remind_roles(d, now)
            case "monitoring_window":
                self.end_monitoring_window(d, now)
            case "postmortem_draft":
                self.remind_postmortem(d, now, "draft")
            case "postmortem_review":
                self.remind_postmortem(d, now, "review")
            case "business_day":
                self.nudge_business_day(d, now)
            case "executive_summary":
                self.send_executive_summary(d, now)
            case _:
                raise ValueError(f"unknown deadline {d.name}")

    # --- what the severity demands ----------------------------------------------------

    def apply_policy(self: Lifecycle, now: datetime) -> None:
        """(Re)apply the severity's demands: bridge, cadence, paging, role reminders, postmortem duty."""
        s = self.state
        self.note_peak_severity()
        if s.phase in ACTIVE:
            if self.rules.bridge:
                self.open_bridge(now)
            self.arm_cadence(now, keep_earlier=True)
            if self.rules.page and s.metrics.acknowledged_at is None and "page" not in s.deadlines:
                self.page_step(0, now)
            if not self.rules.page:
                self.stop_paging()
            self.arm_business_day_nudge(now)
            if self.rules.roles_required_within and "roles" not in s.deadlines:
                self.deadline("roles", now + self.rules.roles_required_within, "Check incident roles are staffed")
            self.check_roles_met(now)
            self.arm_executive_summary(now)
        else:
            self.apply_postmortem_duty(now)
        self.maybe_close(now)

    def arm_cadence(self: Lifecycle, now: datetime, keep_earlier: bool = False) -> None:
        """The next status update is due one cadence from now (or stays due
        earlier, when the policy is re-applied without a new update)."""
        cadence = self.rules.update_cadence
        if cadence is None or self.state.phase not in ACTIVE:
            self.state.deadlines.pop("status_update", None)
            return
        due = now + cadence
        current = self.state.deadlines.get("status_update")
        if keep_earlier and current and current.due <= due:
            return
        self.deadline("status_update", due, f"Status update due ({self.state.severity}, every {humanize(cadence)})")

    def remind_status_update(self: Lifecycle, d: Deadline, now: datetime) -> None:
        """Overdue: remind whoever communicates, then again one cadence later."""
        who = self.state.roles.get(Role.COMMS_LEAD) or self.state.roles.get(Role.COMMANDER)
        late = humanize(now - d.due) if now > d.due else "now"
        self.log(now, "warroom", "reminder", f"status update overdue ({late}); reminded {who or 'everyone'}")
        self.post(wording.update_overdue(self.state, self.mention(who), late), "Remind: status update overdue", UPDATE_BUTTONS)
        d.reminders += 1
        d.next_fire = now + (self.rules.update_cadence or CADENCE_WHEN_UNSET)

    def check_roles_met(self: Lifecycle, now: datetime) -> None:
        if all(r in self.state.roles for r in LEADS):
            self.meet("roles", now)

    def remind_roles(self: Lifecycle, d: Deadline, now: datetime) -> None:
        missing = [r.value for r in LEADS if r not in self.state.roles]
        self.log(now, "warroom", "reminder", "unassigned roles: " + ", ".join(missing))
        who = self.state.roles.get(Role.COMMANDER)
        self.post(wording.roles_missing(self.state, self.mention(who), missing), "Remind: roles unassigned")
        d.reminders += 1
        d.next_fire = now + (self.rules.roles_required_within or ROLES_CHECK_WHEN_UNSET)

    # --- paging -------------------------------------------------------------------------

    def page_step(self: Lifecycle, step: int, now: datetime) -> None:
        """Page this step of the service's escalation; the next step is a deadline."""
        s = self.state
        steps = self.policy.escalation(s.service)
        target = steps[step].target
        if held := self.pages_held(now):  # a maintenance window holds pages: this one waits for its end
            self.deadline("page", held, f"Page {target} on-call for {s.service} after maintenance", step=step)
            return
        s.metrics.pages_sent += 1
        self.log(now, "warroom", "page", f"paging {target} on-call (step {step + 1})")
        key = self.next_key()
        self.effect(
            Operation.PAGE,
            self.page_request(target, step, now, key),
            f"Page {target} on-call for {s.service}",
            then=lambda result: self._paged(now, target, step, result),
            key=key,
        )
        if step + 1 < len(steps):
            nxt = steps[step + 1]
            self.deadline("page", now + nxt.after, f"Page {nxt.target} on-call for {s.service} if unacknowledged", step=step + 1)
        else:
            s.deadlines.pop("page", None)

    def page_request(self: Lifecycle, target: str, step: int, now: datetime, key: str, canary: bool = False) -> PageRequest:
        """What a page of this incident carries (the channel is added as it goes out)."""
        s = self.state
        return PageRequest(
            incident_id=s.id, service=s.service, severity=s.severity, title=s.title, target=target, step=step, at=now,
            incident_url=s.links.get("Temporal UI"), idempotency_key=key, canary=canary,
        )

    def _paged(self: Lifecycle, now: datetime, target: str, step: int, result: PageResult) -> None:
        s = self.state
        result = result.model_copy(update={"user": self.policy.people.handle(result.user)})
        s.pages.append(PageRecord(at=now, target=target, user=result.user, step=step, via=result.via))
        self.log(now, "warroom", "paged", f"paged {result.user} ({target}) via {result.via}")
        if result.unreached:
            why = f"could not reach {result.user} by direct message ({result.unreached}); paged in the incident channel instead"
            self.log(now, "warroom", "unreachable", why)
        if result.via != PAGERDUTY:
            self.invite(now, result.user)
        else:  # catch PagerDuty up on what happened while the page was on its way
            if s.metrics.acknowledged_at is not None:
                self.update_pager("acknowledge")
            if s.phase not in ACTIVE:
                self.update_pager("resolve")

    def update_pager(self: Lifecycle, action: Literal["acknowledge", "resolve"]) -> None:
        """Tell PagerDuty, if a page went through it, so it stops escalating as warroom does."""
        s = self.state
        if all(p.reached_person for p in s.pages):
            return
        self.effect(Operation.UPDATE_PAGE, PageUpdate(incident_id=s.id, action=action), f"{action.title()} the PagerDuty incident")

    def stop_paging(self: Lifecycle) -> None:
        self.state.deadlines.pop("page", None)

    # --- verify and closure -----------------------------------------------------------

    def close_customer_side(self: Lifecycle, now: datetime) -> None:
        """The window passed: status page resolved, final update, channel archived; to learn."""
        s = self.state
        self.log(now, "warroom", "verify", "monitoring window passed cleanly; customer-facing side closed")
        self.publish(PublicStatus.RESOLVED, now)
        self.post(self.update_text("Resolved", s.resolution or "resolved", now), "Post final update")
        if s.postmortem.required:
            self.draft_postmortem(now, replace=False)
        self.effect(Operation.ARCHIVE_CHANNEL, ChannelArchive(incident_id=s.id, channel=s.channel), "Archive incident channel")
        self.move({Phase.VERIFY: Phase.LEARN})
        self.apply_postmortem_duty(now)
        self.maybe_close(now)

    def remind_postmortem(self: Lifecycle, d: Deadline, now: datetime, what: str) -> None:
        """Ahead of the deadline the owner; from then on owner and commander, every `overdue_every`."""
        s = self.state
        owner = self.postmortem_owner()
        ahead = d.next_fire < d.due
        if ahead:
            recipients = [owner]
            d.next_fire = d.due
        else:
            recipients = sorted({owner, s.roles.get(Role.COMMANDER)} - {None})
            d.next_fire = now + self.policy.timing.overdue_every
        text = wording.postmortem_due(s, what, d, now, ahead)
        d.reminders += 1
        self.log(now, "warroom", "reminder", f"{text}; reminded {', '.join(recipients)}")
        for user in recipients:
            self.notify(user, f":memo: {text}. Record it with `warroom postmortem {s.id}`.", f"Remind {user}: postmortem {what}")

    def maybe_close(self: Lifecycle, now: datetime) -> None:
        s = self.state
        if s.phase is Phase.LEARN and (not s.postmortem.required or s.postmortem.reviewed_at):
            self.move({Phase.LEARN: Phase.CLOSED})
            s.metrics.closed_at = now
            for d in self.pending():
                s.deadlines.pop(d.name)
            self.log(now, "warroom", "closed", "incident closed")
            self.announce(wording.announcement(s, "closed"))
            self.archive()
