"""Learn: action items in the tracker, the postmortem draft, its blameless
check and review, and the archive record once the incident closes. Part of
`Lifecycle`.

The postmortem duty follows the incident's peak severity: a SEV1 downgraded to
SEV3 still owes one, unless its commander waives it with a reason. A review
records the action items it agreed, or why no action is needed (seed 001: "A
post-mortem without action items is a waste"). Items agreed after closure go
through the archive and the follow-up workflow (`gateway/late_items.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.models import PAGERDUTY, ActionItem, IncidentState, Phase, Role, Severity, TimelineEntry
from warroom.responders import ActionItemRequest, DraftPostmortem, PostmortemEvent
from warroom.people import Person
from warroom.report import people
from warroom.rules.effects import Effect, Operation
from warroom.rules.messages import RESOLVED, Refused, checks, handles
from warroom.rules.requests import (
    ArchiveRequest, ChannelPost, CheckRequest, CheckResult, DirectMessage, DraftRef, DraftRequest, TrackerItem, TrackerRef,
)

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle


class LearnRules:
    # --- action items -----------------------------------------------------------------

    @checks("action_item")
    def check_action_item(self: Lifecycle, msg: ActionItemRequest) -> None:
        check_due(self.state, msg)

    @handles("action_item")
    def on_action_item(self: Lifecycle, msg: ActionItemRequest, now: datetime) -> str:
        s = self.state
        item = ActionItem(number=len(s.action_items) + 1, title=msg.title, owner=msg.owner, due=msg.due, addresses=msg.addresses)
        s.action_items.append(item)
        self.log(now, msg.by, "action_item", item_text(item))

        def created(ref: TrackerRef) -> None:
            item.tracker_key, item.tracker_url = ref.key, ref.url
            if ref.unassigned:
                self.log(now, "warroom", "action_item", f"{ref.key} is unassigned: {ref.unassigned}; assign {item.owner} by hand")

        owner = self.policy.people.get(item.owner)
        self.effect(
            Operation.CREATE_ACTION_ITEM, tracker_item(s, item, owner=owner), f"Create action item {item.number} in tracker", then=created,
        )
        return f"action item {item.number} recorded"

    # --- the postmortem duty ---------------------------------------------------------

    def note_peak_severity(self: Lifecycle) -> None:
        s = self.state
        s.peak_severity = min(s.peak_severity or s.severity, s.severity, key=lambda sev: sev.rank)

    @property
    def peak(self: Lifecycle) -> Severity:
        return self.state.peak_severity or self.state.severity

    def apply_postmortem_duty(self: Lifecycle, now: datetime) -> None:
        """The peak severity's duty, unless waived (a submitted one stays owed);
        its deadlines count from resolution."""
        s = self.state
        pm = s.postmortem
        owed = self.rules.postmortem or self.policy.for_severity(self.peak).postmortem and not pm.waived
        pm.required = owed or pm.required and pm.submitted_at is not None
        if not (pm.required and s.metrics.resolved_at and s.phase in RESOLVED):
            return
        t = self.policy.timing
        resolved = s.metrics.resolved_at
        if pm.submitted_at is None and "postmortem_draft" not in s.deadlines:
            self.deadline("postmortem_draft", resolved + t.postmortem_draft_due, "Postmortem draft due", ahead=t.remind_before)
        if pm.reviewed_at is None and "postmortem_review" not in s.deadlines:
            self.deadline("postmortem_review", resolved + t.postmortem_review_due, "Postmortem review due", ahead=t.remind_before)

    # --- the postmortem ---------------------------------------------------------------

    @checks("postmortem")
    def check_postmortem(self: Lifecycle, msg: PostmortemEvent) -> None:
        s, pm = self.state, self.state.postmortem
        if msg.event == "reviewed":
            if pm.submitted_at is None:
                raise Refused("postmortem has not been submitted yet")
            if pm.reviewed_at is not None:
                raise Refused("postmortem was already reviewed")
            if not s.action_items and not msg.no_action:
                raise Refused(
                    "a review records the action items it agreed: add them first (`warroom action-item`), "
                    "or say why no action is needed (--no-action REASON)"
                )
        if msg.event == "waived":
            commander = s.roles.get(Role.COMMANDER)
            if msg.by != commander:
                raise Refused(f"only the incident commander ({commander or 'none assigned'}) can waive the postmortem")
            if not msg.reason:
                raise Refused("a waiver needs a reason (--reason)")
            if not pm.required:
                raise Refused("no postmortem is owed")
            if self.rules.postmortem:
                raise Refused(f"a {s.severity} incident owes a postmortem; only the duty a downgrade left can be waived")
            if pm.submitted_at is not None:
                raise Refused("the postmortem is already submitted; record its review instead")

    @handles("postmortem")
    def on_postmortem(self: Lifecycle, msg: PostmortemEvent, now: datetime) -> str:
        s, pm = self.state, self.state.postmortem
        if msg.event == "submitted":
            pm.submitted_at, pm.submitted_link = now, msg.link or pm.submitted_link
            self.meet("postmortem_draft", now)
            text = "postmortem draft submitted" + (f": {msg.link}" if msg.link else "")
            self.check_blameless(pm.submitted_link or pm.draft_link, now)
        elif msg.event == "reviewed":
            pm.reviewed_at = now
            pm.agreed_items = [i.number for i in s.action_items]
            pm.no_action = msg.no_action
            self.meet("postmortem_review", now)
            agreed = f"agreed action items {', '.join(map(str, pm.agreed_items))}" if pm.agreed_items else ""
            text = "; ".join(p for p in ("postmortem reviewed", agreed, msg.no_action and f"no action needed: {msg.no_action}") if p)
        else:
            pm.waived, pm.required = msg.reason, False
            for name in ("postmortem_draft", "postmortem_review"):
                s.deadlines.pop(name, None)
            text = f"postmortem waived (peak {self.peak}, now {s.severity}): {msg.reason}"
        self.log(now, msg.by, "postmortem", text)
        self.maybe_close(now)
        return text

    @handles("draft_postmortem")
    def on_draft_postmortem(self: Lifecycle, msg: DraftPostmortem, now: datetime) -> str:
        self.log(now, msg.by, "postmortem", "postmortem draft requested")
        self.draft_postmortem(now, replace=True)
        return "postmortem draft requested; its link follows in the channel or a direct message"

    def postmortem_owner(self: Lifecycle) -> str:
        s = self.state
        return s.roles.get(Role.SCRIBE) or s.roles.get(Role.COMMANDER) or "the incident commander"

    def draft_postmortem(self: Lifecycle, now: datetime, replace: bool) -> None:
        """Write the draft from the timeline, then share its link: in the channel while
        it is open, else by direct message to whoever owns the postmortem. The link
        is queued with the draft, so it reaches the channel before the archive."""
        s = self.state

        def drafted(ref: DraftRef) -> None:
            s.postmortem.draft_link = ref.url

        self.effect(
            Operation.WRITE_POSTMORTEM_DRAFT, DraftRequest(state=s, generated_at=now, replace=replace),
            "Write postmortem draft", then=drafted,
        )
        key = self.next_key()
        if s.phase in (Phase.LEARN, Phase.CLOSED):
            owner = self.postmortem_owner()
            share = Effect(
                Operation.DIRECT_MESSAGE, DirectMessage(incident_id=s.id, user=owner, text="", idempotency_key=key),
                f"Send postmortem draft to {owner}", key, shares_draft=True,
            )
        else:
            share = Effect(
                Operation.POST, ChannelPost(incident_id=s.id, channel=s.channel, text="", idempotency_key=key),
                "Post postmortem draft link", key, shares_draft=True,
            )
        self.outbox.append(share)

    def check_blameless(self: Lifecycle, link: str | None, now: datetime) -> None:
        """Check a submitted postmortem the worker can read; warnings go to the timeline."""
        if not link:
            return

        def checked(result: CheckResult) -> None:
            if not result.checked:
                self.log(now, "warroom", "blameless", f"blameless check skipped: {result.reason}")
            elif not result.findings:
                self.log(now, "warroom", "blameless", "blameless check: no sentence puts the cause on a person")
            else:
                self.log(now, "warroom", "blameless", f"blameless check: {len(result.findings)} sentence(s) to reword")
                for finding in result.findings:
                    self.log(now, "warroom", "blameless", str(finding))

        self.effect(
            Operation.CHECK_POSTMORTEM, CheckRequest(incident_id=self.state.id, link=link, participants=participants(self.state)),
            "Check postmortem for blameful wording", then=checked,
        )

    def archive(self: Lifecycle) -> None:
        """The closed incident's record, after every other effect (the workflow holds it back until then)."""
        self.effect(Operation.ARCHIVE_INCIDENT, ArchiveRequest(state=self.state), "Archive incident record")


def item_text(item: ActionItem) -> str:
    """An action item as the timeline records it."""
    factor = f"; addresses: {item.addresses}" if item.addresses else ""
    return f"action item {item.number}: {item.title} (owner {item.owner}, due {item.due}{factor})"


def tracker_item(s: IncidentState, item: ActionItem, label: str | None = None, owner: Person | None = None) -> TrackerItem:
    """The tracker's issue for an action item, during the incident or after its closure;
    the owner's tracker account when the people directory knows them."""
    parts = [f"Follow-up of incident {s.id} ({s.title}).", s.links.get("Temporal UI", "")]
    if item.addresses:
        parts.append(f"Addresses: {item.addresses}.")
    if s.postmortem.draft_link:
        parts.append(f"Postmortem: {s.postmortem.draft_link}")
    return TrackerItem(
        incident_id=s.id, number=item.number, title=item.title, owner=item.owner, due=item.due, severity=s.severity,
        description=" ".join(p for p in parts if p), label=label,
        assignee=owner.jira if owner else None, assignee_email=owner.email if owner else None,
    )


def participants(s: IncidentState) -> list[str]:
    """The incident's people, from its timeline, roles and pages: names the blameless
    check looks for (handles like "bob" that no capital letter gives away)."""
    machines = {"api", "slack", "unknown", PAGERDUTY}
    return sorted(set(people(s)) - machines)


def check_due(s: IncidentState, msg: ActionItemRequest) -> None:
    if msg.due < s.metrics.declared_at.date():
        raise Refused(f"due date {msg.due} is before the incident began")


def add_after_closure(s: IncidentState, msg: ActionItemRequest, now: datetime) -> ActionItem:
    """An action item agreed after the incident closed (the review meeting's, say),
    added to its archived record; the follow-up workflow files it in the tracker."""
    check_due(s, msg)
    item = ActionItem(
        number=len(s.action_items) + 1, title=msg.title, owner=msg.owner, due=msg.due, addresses=msg.addresses, after_closure=True,
    )
    s.action_items.append(item)
    s.timeline.append(TimelineEntry(at=now, actor=msg.by, kind="action_item", text=item_text(item) + " (after closure)"))
    return item
