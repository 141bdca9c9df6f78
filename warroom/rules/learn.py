"""Learn: action items in the tracker, the postmortem draft, its blameless
check and review, and the archive record once the incident closes. Part of
`Lifecycle`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.models import ActionItem, ActionItemRequest, DraftPostmortem, Phase, PostmortemEvent, Role
from warroom.rules.effects import Effect, Operation
from warroom.rules.messages import Refused, checks, handles
from warroom.rules.requests import (
    ArchiveRequest, ChannelPost, CheckRequest, CheckResult, DirectMessage, DraftRef, DraftRequest, TrackerItem, TrackerRef,
)

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle


class LearnRules:
    # --- action items -----------------------------------------------------------------

    @checks("action_item")
    def check_action_item(self: Lifecycle, msg: ActionItemRequest) -> None:
        if msg.due < self.state.metrics.declared_at.date():
            raise Refused(f"due date {msg.due} is before the incident began")

    @handles("action_item")
    def on_action_item(self: Lifecycle, msg: ActionItemRequest, now: datetime) -> str:
        s = self.state
        item = ActionItem(number=len(s.action_items) + 1, title=msg.title, owner=msg.owner, due=msg.due)
        s.action_items.append(item)
        self.log(now, msg.by, "action_item", f"action item {item.number}: {item.title} (owner {item.owner}, due {item.due})")

        def created(ref: TrackerRef) -> None:
            item.tracker_key, item.tracker_url = ref.key, ref.url
            if ref.unassigned:
                self.log(now, "warroom", "action_item", f"{ref.key} is unassigned: {ref.unassigned}; assign {item.owner} by hand")

        owner = self.policy.people.get(item.owner)

        self.effect(
            Operation.CREATE_ACTION_ITEM,
            TrackerItem(
                incident_id=s.id, number=item.number, title=item.title, owner=item.owner, due=item.due,
                severity=s.severity, description=self.action_item_description(),
                assignee=owner.jira if owner else None, assignee_email=owner.email if owner else None,
            ),
            f"Create action item {item.number} in tracker",
            then=created,
        )
        return f"action item {item.number} recorded"

    def action_item_description(self: Lifecycle) -> str:
        s = self.state
        parts = [f"Follow-up of incident {s.id} ({s.title}).", s.links.get("Temporal UI", "")]
        if s.postmortem.draft_link:
            parts.append(f"Postmortem: {s.postmortem.draft_link}")
        return " ".join(p for p in parts if p)

    # --- the postmortem ---------------------------------------------------------------

    @checks("postmortem")
    def check_postmortem(self: Lifecycle, msg: PostmortemEvent) -> None:
        pm = self.state.postmortem
        if msg.event == "reviewed" and pm.submitted_at is None:
            raise Refused("postmortem has not been submitted yet")
        if msg.event == "reviewed" and pm.reviewed_at is not None:
            raise Refused("postmortem was already reviewed")

    @handles("postmortem")
    def on_postmortem(self: Lifecycle, msg: PostmortemEvent, now: datetime) -> str:
        pm = self.state.postmortem
        if msg.event == "submitted":
            pm.submitted_at, pm.submitted_link = now, msg.link or pm.submitted_link
            self.meet("postmortem_draft", now)
            text = "postmortem draft submitted" + (f": {msg.link}" if msg.link else "")
            self.check_blameless(pm.submitted_link or pm.draft_link, now)
        else:
            pm.reviewed_at = now
            self.meet("postmortem_review", now)
            text = "postmortem reviewed"
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
            Operation.CHECK_POSTMORTEM, CheckRequest(incident_id=self.state.id, link=link),
            "Check postmortem for blameful wording", then=checked,
        )

    def archive(self: Lifecycle) -> None:
        """The closed incident's record, after every other effect (the workflow holds it back until then)."""
        self.effect(Operation.ARCHIVE_INCIDENT, ArchiveRequest(state=self.state), "Archive incident record")
