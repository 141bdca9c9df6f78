"""The incident state machine, free of Temporal: messages in, state and effects out.

`Lifecycle` holds the incident state and the policy snapshot. Each responder
message has a `check_<name>` (refuse with a reason, change nothing) and an
`on_<name>` (change state, queue effects). Effects are side effects the workflow
runs as activities, in order; deadlines are the durable timers it sleeps on.
Everything here must be deterministic: time comes in as `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel

from activities.archive import ArchiveActivities, ArchiveRequest
from activities.changes import ChangeActivities, RecentChanges
from activities.chat import (
    ChannelArchive, ChannelBookmark, ChannelPost, ChannelTopic, ChatActivities, DirectMessage, FirstPost, OpenChannel,
)
from activities.paging import PageRequest, PageResult, PageUpdate, PagingActivities
from activities.postmortem import CheckRequest, DraftRequest, PostmortemActivities
from activities.routing import RoutingActivities
from activities.signals import SignalActivities, SnapshotRequest
from activities.statuspage import StatusPageActivities, StatusPost, public_wording
from activities.tracker import TrackerActivities, TrackerItem
from warroom.durations import humanize
from warroom.models import (
    PAGERDUTY,
    OnwardAlerts,
    OnwardRouting,
    Acknowledge,
    ActionItem,
    ActionItemRequest,
    AlertBatch,
    AlertRecord,
    AlertRouting,
    Assign,
    Bridge,
    Change,
    Deadline,
    Impact,
    DraftPostmortem,
    IncidentInput,
    IncidentState,
    Message,
    Metrics,
    Mitigate,
    MitigationAction,
    MitigationRecord,
    Note,
    PageRecord,
    Phase,
    PostmortemEvent,
    PublicStatus,
    Reopen,
    Resolve,
    Role,
    Severity,
    SeverityChange,
    StatusUpdate,
    TimelineEntry,
)
from warroom.policy import Policy, SeverityPolicy
from warroom.signals import SignalQueries, SignalSnapshot, Verdict, judge


class Refused(Exception):
    """A message that would break the incident's rules; the reason is for people."""


@dataclass
class Effect:
    """One activity to run. `build` makes its argument at run time (so a post made
    right after the channel opens sees the channel), or None to skip it; `then`
    takes the result, `failed` the reason when the activity failed for good."""

    activity: Callable[..., Any]
    build: Callable[[str], BaseModel | None]
    summary: str
    key: str
    then: Callable[[Any], None] | None = None
    failed: Callable[[str], None] | None = None
    local: bool = False  # a quick call run as a local activity: no activity or workflow task of its own


# Effects run in lanes, one at a time per lane, lanes side by side. What ends up
# in the channel shares its lane, so it stays in order; the archive is a barrier
# that waits for everything before it. The recent changes wait in the chat lane
# too: their list goes to the channel, and reading them must not compete with
# the channel, the status page and the page in an incident's first second.
BARRIER = "barrier"
LANES = {
    ChatActivities: "chat", PostmortemActivities: "chat", ChangeActivities: "chat", StatusPageActivities: "status",
    PagingActivities: "paging", TrackerActivities: "tracker", RoutingActivities: "routing", SignalActivities: "signals",
    ArchiveActivities: BARRIER,
}


def lane_of(activity: Callable[..., Any]) -> str:
    owner = activity.__qualname__.split(".")[0]
    return next((lane for cls, lane in LANES.items() if cls.__name__ == owner), owner)


# Re-delivered alert batches remembered per incident, to count each once.
RECENT_BATCHES = 50
# When the golden signals cannot be read at the end of the verify window, keep
# verifying a little longer; after that, close on the clean window with a warning
# (a Prometheus outage must not keep incidents open forever).
SIGNALS_RECHECK_EVERY = timedelta(minutes=5)
SIGNALS_RECHECKS = 3
# A check whose answer never came is asked again after this (longer than the
# activity's 10-minute schedule-to-close deadline, so normally never).
SIGNALS_CHECK_TIMEOUT = timedelta(minutes=15)
WINDOW_END = "end of verify window"

CHAT_ACTIVITIES = {
    ChatActivities.open_channel,
    ChatActivities.post_to_channel,
    ChatActivities.set_channel_topic,
    ChatActivities.archive_channel,
    ChatActivities.send_direct_message,
    ChatActivities.bookmark_channel,
}
# Most incidents follow a change: the ones this long before declaration are the first suspects.
SUSPECT_HOURS = 24
SUSPECT_WINDOW = timedelta(hours=SUSPECT_HOURS)
BRIDGE_TITLE = "War-room bridge"
ACTIVE = (Phase.TRIAGE, Phase.STABILIZE)
RESOLVED = (Phase.VERIFY, Phase.LEARN)
LEADS = (Role.COMMANDER, Role.OPS_LEAD, Role.COMMS_LEAD)
LABELS = {
    Role.COMMANDER: "IC",
    Role.OPS_LEAD: "Ops",
    Role.COMMS_LEAD: "Comms",
    Role.SCRIBE: "Scribe",
}


class Lifecycle:
    def __init__(self, state: IncidentState, policy: Policy):
        self.state = state
        self.policy = policy
        self.outbox: list[Effect] = []
        # Decide what a firing deadline does from its schedule, not from the
        # clock (the workflow's OWN_TIMERS patch).
        self.fire_on_schedule = False
        # Acknowledge and resolve go on to PagerDuty (off while replaying incidents from before).
        self.pager_events = False
        self.golden_signals = False  # the workflow's GOLDEN_SIGNALS patch: snapshots and the verify gate
        # Suspects, rollbacks naming a change and the bridge: off for incidents
        # started before them (see INVESTIGATION_AIDS in workflows/incident.py).
        self.investigation_aids = False
        self.first_post_with_channel = False  # the workflow's FIRST_POST_WITH_CHANNEL patch
        self.local_change_reads = False  # its LOCAL_CHANGE_READS patch

    # --- construction ----------------------------------------------------------------

    @classmethod
    def declare(
        cls, incident_id: str, inp: IncidentInput, policy: Policy, links: dict[str, str], now: datetime
    ) -> Lifecycle:
        classified = policy.classify(inp.impact)
        severity = inp.severity or classified
        state = IncidentState(
            id=incident_id,
            title=inp.title,
            service=inp.service,
            severity=severity,
            phase=Phase.TRIAGE,
            impact=inp.impact,
            source=inp.source,
            recurrence_of=inp.recurrence_of,
            links=links,
            metrics=Metrics(started_at=min(inp.started_at or now, now), declared_at=now),
        )
        life = cls(state, policy)
        how = "declared" if inp.source == "manual" else f"opened from {inp.source} alert"
        life.log(now, inp.declared_by, "declared", f"{severity} {how}: {inp.title} (service {inp.service})")
        if inp.severity and inp.severity != classified and inp.impact != Impact():
            life.log(now, "warroom", "triage", f"declared as {severity}; the impact policy alone says {classified}")
        if inp.recurrence_of:
            life.log(now, "warroom", "recurrence", f"recurrence of {inp.recurrence_of}")
        commander = inp.commander or (inp.declared_by if inp.source == "manual" else None)
        if commander:
            state.roles[Role.COMMANDER] = commander
            life.log(now, commander, "role", f"{commander} is incident commander")
        return life

    def mobilize(self, now: datetime) -> None:
        """Seed 003 phase 2: channel, status page banner, people, update cadence."""
        s = self.state
        first = self.update_text("Investigating", s.impact.description or s.title, now)
        with_channel = self.first_post_with_channel
        self.effect(
            ChatActivities.open_channel,
            lambda key: OpenChannel(
                incident_id=s.id,
                title=s.title,
                declared_on=s.metrics.declared_at.date(),
                severity=s.severity,
                topic=self.topic(),
                invite=sorted(set(self.policy.service(s.service).responders + list(s.roles.values()))),
                bookmarks=dict(s.links),
                first_post=FirstPost(text=first, idempotency_key=f"{key}:first") if with_channel else None,
            ),
            "Open incident channel, post initial update" if with_channel else "Open incident channel",
            then=self._channel_opened,
            # Without a channel the update goes wherever posts go then, as on its own.
            failed=(lambda reason: self.post(first, "Post initial update")) if with_channel else None,
        )
        if not with_channel:
            self.post(first, "Post initial update")
        if self.investigation_aids:
            declared = s.metrics.declared_at
            self.effect(
                ChangeActivities.list_recent_changes,
                lambda key: RecentChanges(service=s.service, since=declared - SUSPECT_WINDOW, until=declared, incident_id=s.id),
                f"List recent changes to {s.service}",
                then=lambda changes: self.list_suspects(changes, now),
                local=self.local_change_reads,
            )
        self.publish(PublicStatus.INVESTIGATING, now)
        self.snapshot_signals("declaration", now)
        self.apply_policy(now)

    def list_suspects(self, changes: list[Change], now: datetime) -> None:
        """The service's changes before declaration: the first suspects, in the
        timeline and the channel (next to any the change log told of meanwhile)."""
        s = self.state
        window = f"{SUSPECT_HOURS} h"
        if not changes:
            self.log(now, "warroom", "suspects", f"no change to {s.service} recorded in the {window} before declaration")
            return
        self._keep_suspects(changes)
        lines = "; ".join(f"{c.id} {c.describe()}" for c in changes)
        self.log(now, "warroom", "suspects", f"{len(changes)} change(s) to {s.service} in the {window} before declaration, newest first: {lines}")
        self.post(self.suspects_text(changes), "Post recent changes (first suspects)")

    def add_suspect(self, change: Change, now: datetime) -> None:
        """A change recorded during the incident: a suspect too, and news for the channel."""
        s = self.state
        if change.service != s.service or self.suspect(change.id) or s.phase is Phase.CLOSED:
            return
        self._keep_suspects([change])
        self.log(now, change.who, "change", f"change during the incident: {change.id} {change.describe()}")
        self.post(f":mag: Change to {s.service} during the incident: `{change.id}` {change.describe()}", "Post change during the incident")

    def _keep_suspects(self, changes: list[Change]) -> None:
        """Add changes to the suspects, one per id, newest first."""
        by_id = {c.id: c for c in [*self.state.suspects, *changes]}
        self.state.suspects = sorted(by_id.values(), key=lambda c: c.when, reverse=True)

    def suspects_text(self, changes: list[Change]) -> str:
        s = self.state
        lines = "\n".join(f"• `{c.id}` {c.describe()}" + (f" <{c.link}>" if c.link else "") for c in changes)
        return (
            f":mag: *First suspects*: changes to {s.service} in the {SUSPECT_HOURS} h before declaration, newest first\n"
            f"{lines}\nUndo one with `warroom mitigate {s.id} rollback --change <id> ...`"
        )

    def suspect(self, change_id: str) -> Change | None:
        return next((c for c in self.state.suspects if c.id == change_id), None)

    def change_text(self, change_id: str) -> str:
        found = self.suspect(change_id)
        return f"{change_id} {found.describe()}" if found else f"change {change_id}"

    def _channel_opened(self, ref: Any) -> None:
        self.state.channel = ref

    # --- responder messages: checks ---------------------------------------------------

    def check(self, name: str, msg: Message) -> None:
        if self.state.phase is Phase.CLOSED:
            raise Refused(f"incident {self.state.id} is closed")
        checker = getattr(self, f"check_{name}", None)
        if checker:
            checker(msg)

    def check_assign(self, msg: Assign) -> None:
        if self.state.roles.get(msg.role) == msg.user:
            raise Refused(f"{msg.user} is already {msg.role.value}")

    def check_mitigate(self, msg: Mitigate) -> None:
        if self.state.phase is Phase.LEARN:
            raise Refused("the incident is in learn: mitigation is over; add an action item instead")
        if msg.change_id and self.investigation_aids and self.suspect(msg.change_id) is None:
            known = ", ".join(c.id for c in self.state.suspects) or "none recorded"
            raise Refused(f"unknown change {msg.change_id}: not one of this incident's suspects ({known}); see `warroom show {self.state.id}`")
        if msg.action is MitigationAction.ROLLBACK:
            unmet = (msg.checklist.unmet() if msg.checklist else None) or (
                ["no_irreversible_migrations", "no_irreversible_side_effects", "known_good_target"]
                if msg.checklist is None
                else []
            )
            if unmet:
                raise Refused("rollback refused, checklist not met: " + ", ".join(unmet))

    def check_update(self, msg: StatusUpdate) -> None:
        if self.state.phase not in ACTIVE:
            raise Refused(f"status updates are for open incidents; this one is in {self.state.phase.value}")

    def _check_severity_change(self, msg: SeverityChange, direction: str) -> None:
        current = self.state.severity
        if msg.severity == current:
            raise Refused(f"incident is already {current}")
        more_severe = msg.severity.rank < current.rank
        if direction == "escalate" and not more_severe:
            raise Refused(f"{msg.severity} is not more severe than {current}; use downgrade")
        if direction == "downgrade" and more_severe:
            raise Refused(f"{msg.severity} is more severe than {current}; use escalate")

    def check_escalate(self, msg: SeverityChange) -> None:
        self._check_severity_change(msg, "escalate")

    def check_downgrade(self, msg: SeverityChange) -> None:
        self._check_severity_change(msg, "downgrade")

    def check_resolve(self, msg: Resolve) -> None:
        if self.state.phase not in ACTIVE:
            raise Refused(f"incident is already resolved (phase {self.state.phase.value})")

    def check_reopen(self, msg: Reopen) -> None:
        if self.state.phase is not Phase.VERIFY:
            if self.state.phase is Phase.LEARN:
                raise Refused("incident has left verify; declare a new incident as a recurrence of this one")
            raise Refused("incident is not resolved, there is nothing to reopen")

    def check_action_item(self, msg: ActionItemRequest) -> None:
        if msg.due < self.state.metrics.declared_at.date():
            raise Refused(f"due date {msg.due} is before the incident began")

    def check_postmortem(self, msg: PostmortemEvent) -> None:
        pm = self.state.postmortem
        if self.state.phase not in RESOLVED:
            raise Refused("a postmortem follows resolution; resolve the incident first")
        if msg.event == "reviewed" and pm.submitted_at is None:
            raise Refused("postmortem has not been submitted yet")
        if msg.event == "reviewed" and pm.reviewed_at is not None:
            raise Refused("postmortem was already reviewed")

    def check_alerts(self, batch: AlertBatch) -> None:
        if self.state.phase not in (*ACTIVE, Phase.VERIFY):
            raise Refused(f"incident {self.state.id} has left verify; a new alert opens a new incident")

    # --- responder messages: effects --------------------------------------------------

    def handle(self, name: str, msg: Message, now: datetime) -> str:
        self.check(name, msg)
        return getattr(self, f"on_{name}")(msg, now)

    def on_acknowledge(self, msg: Acknowledge, now: datetime) -> str:
        s = self.state
        first = s.metrics.acknowledged_at is None
        if first:
            s.metrics.acknowledged_at = now
        self.stop_paging()
        if first and msg.by != PAGERDUTY:
            self.update_pager("acknowledge")
        text = f"{msg.by} acknowledged" if first else f"{msg.by} acknowledged too"
        if Role.COMMANDER not in s.roles:
            s.roles[Role.COMMANDER] = msg.by
            text += " and is incident commander"
        self.leave_triage()
        self.log(now, msg.by, "acknowledge", text)
        self.post(f":eyes: {text}.", "Post acknowledgement")
        self.refresh_topic()
        self.check_roles_met(now)
        return text

    def on_assign(self, msg: Assign, now: datetime) -> str:
        previous = self.state.roles.get(msg.role)
        self.state.roles[msg.role] = msg.user
        role = msg.role.value.replace("_", " ")
        text = f"handoff: {role} {previous} -> {msg.user}" if previous else f"{msg.user} is {role}"
        self.log(now, msg.by, "role", text)
        self.post(f":busts_in_silhouette: {text} (by {msg.by}).", f"Announce {role}")
        self.refresh_topic()
        self.check_roles_met(now)
        return text

    def on_note(self, msg: Note, now: datetime) -> str:
        self.log(now, msg.by, "note", msg.text)
        return "noted"

    def on_mitigate(self, msg: Mitigate, now: datetime) -> str:
        s = self.state
        if s.metrics.mitigated_at is None:
            s.metrics.mitigated_at = now
        self.leave_triage()
        s.mitigations.append(MitigationRecord(at=now, by=msg.by, action=msg.action, description=msg.description, change_id=msg.change_id))
        change = f" (undoes {self.change_text(msg.change_id)})" if msg.change_id else ""
        text = f"mitigation {msg.action.value}{change}: {msg.description}".rstrip(": ")
        self.log(now, msg.by, "mitigate", text)
        self.post(f":hammer_and_wrench: {msg.by}: {text}", f"Announce {msg.action.value}")
        return text

    def on_update(self, msg: StatusUpdate, now: datetime) -> str:
        s = self.state
        status = PublicStatus(msg.status)
        self.leave_triage()
        s.last_update = msg.message
        s.metrics.updates_posted += 1
        self.log(now, msg.by, "update", f"{status.value}: {msg.message}")
        self.post(self.update_text(status.value.title(), msg.message, now, next_update=True), "Post status update")
        self.publish(status, now, cause=msg.message)
        self.arm_cadence(now)
        return f"update posted ({status.value})"

    def on_escalate(self, msg: SeverityChange, now: datetime) -> str:
        return self._change_severity(msg, now, "escalated")

    def on_downgrade(self, msg: SeverityChange, now: datetime) -> str:
        return self._change_severity(msg, now, "downgraded")

    def _change_severity(self, msg: SeverityChange, now: datetime, verb: str) -> str:
        s = self.state
        old, s.severity = s.severity, msg.severity
        text = f"{verb} {old} -> {msg.severity}: {msg.reason}"
        self.log(now, msg.by, "severity", text)
        self.post(f":rotating_light: {text} (by {msg.by})", f"Announce {verb} to {msg.severity}")
        self.refresh_topic()
        self.apply_policy(now)
        return text

    def on_resolve(self, msg: Resolve, now: datetime) -> str:
        s = self.state
        s.phase = Phase.VERIFY
        s.resolution = msg.summary
        s.metrics.resolved_at = now
        if s.metrics.mitigated_at is None:
            s.metrics.mitigated_at = now
        for name in ("status_update", "page", "roles"):
            s.deadlines.pop(name, None)
        window = self.policy.timing.monitoring_window
        self.deadline("monitoring_window", now + window, f"{humanize(window)} monitoring window")
        self.log(now, msg.by, "resolve", f"resolved: {msg.summary}; monitoring for {humanize(window)}")
        self.post(self.update_text("Monitoring", msg.summary, now), "Post resolution update")
        self.publish(PublicStatus.MONITORING, now)
        self.update_pager("resolve")
        self.snapshot_signals("resolve", now)
        self.apply_postmortem_duty(now)
        self.refresh_topic()
        return f"resolved; monitoring window of {humanize(window)} started"

    def on_reopen(self, msg: Reopen, now: datetime) -> str:
        s = self.state
        s.phase = Phase.STABILIZE
        s.metrics.reopen_count += 1
        s.resolution = None
        for name in ("monitoring_window", "postmortem_draft", "postmortem_review"):
            s.deadlines.pop(name, None)
        self.log(now, msg.by, "reopen", f"reopened: {msg.reason}")
        self.post(f":warning: Incident reopened by {msg.by}: {msg.reason}", "Announce reopening")
        self.publish(PublicStatus.INVESTIGATING, now)
        self.apply_policy(now)
        return "reopened; back to stabilize"

    def on_action_item(self, msg: ActionItemRequest, now: datetime) -> str:
        s = self.state
        item = ActionItem(number=len(s.action_items) + 1, title=msg.title, owner=msg.owner, due=msg.due)
        s.action_items.append(item)
        self.log(now, msg.by, "action_item", f"action item {item.number}: {item.title} (owner {item.owner}, due {item.due})")

        def created(ref: Any) -> None:
            item.tracker_key, item.tracker_url = ref.key, ref.url

        self.effect(
            TrackerActivities.create_action_item,
            lambda key: TrackerItem(
                incident_id=s.id,
                number=item.number,
                title=item.title,
                owner=item.owner,
                due=item.due,
                severity=s.severity,
                description=self.action_item_description(),
            ),
            f"Create action item {item.number} in tracker",
            then=created,
        )
        return f"action item {item.number} recorded"

    def action_item_description(self) -> str:
        s = self.state
        parts = [f"Follow-up of incident {s.id} ({s.title}).", s.links.get("Temporal UI", "")]
        if s.postmortem.draft_link:
            parts.append(f"Postmortem: {s.postmortem.draft_link}")
        return " ".join(p for p in parts if p)

    def on_postmortem(self, msg: PostmortemEvent, now: datetime) -> str:
        s = self.state
        pm = s.postmortem
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

    def on_draft_postmortem(self, msg: DraftPostmortem, now: datetime) -> str:
        self.log(now, msg.by, "postmortem", "postmortem draft requested")
        self.draft_postmortem(now, replace=True)
        return "postmortem draft requested; its link follows in the channel or a direct message"

    def draft_postmortem(self, now: datetime, replace: bool) -> None:
        """Write the draft from the timeline, then share its link: in the channel while
        it is open, else by direct message to whoever owns the postmortem."""
        s = self.state

        def drafted(ref: Any) -> None:
            s.postmortem.draft_link = ref.path

        self.effect(
            PostmortemActivities.write_postmortem_draft,
            lambda key: DraftRequest(state=s, generated_at=now, replace=replace),
            "Write postmortem draft",
            then=drafted,
        )
        text = lambda: f":memo: Postmortem draft for {s.id}, written from the timeline: {s.postmortem.draft_link}"  # noqa: E731
        if s.phase in (Phase.LEARN, Phase.CLOSED):
            owner = self.postmortem_owner()
            self.effect(
                ChatActivities.send_direct_message,
                lambda key: DirectMessage(incident_id=s.id, user=owner, text=text(), idempotency_key=key) if s.postmortem.draft_link else None,
                f"Send postmortem draft to {owner}",
            )
        else:
            self.effect(
                ChatActivities.post_to_channel,
                lambda key: ChannelPost(incident_id=s.id, channel=s.channel, text=text(), idempotency_key=key) if s.postmortem.draft_link else None,
                "Post postmortem draft link",
            )

    def check_blameless(self, link: str | None, now: datetime) -> None:
        """Check a submitted postmortem the worker can read; warnings go to the timeline."""
        s = self.state
        if not link:
            return

        def checked(result: Any) -> None:
            if not result.checked:
                self.log(now, "warroom", "blameless", f"blameless check skipped: {result.reason}")
            elif not result.findings:
                self.log(now, "warroom", "blameless", "blameless check: no sentence puts the cause on a person")
            else:
                self.log(now, "warroom", "blameless", f"blameless check: {len(result.findings)} sentence(s) to reword")
                for finding in result.findings:
                    self.log(now, "warroom", "blameless", str(finding))

        self.effect(
            PostmortemActivities.check_postmortem,
            lambda key: CheckRequest(incident_id=s.id, link=link),
            "Check postmortem for blameful wording",
            then=checked,
        )

    def on_alerts(self, batch: AlertBatch, now: datetime) -> AlertRouting:
        """Fold a batch into per-alert counters: the timeline only records news."""
        s = self.state
        if batch.batch_id:
            if batch.batch_id in s.recent_batches:
                return AlertRouting(incident_id=s.id, outcome="joined", phase=s.phase)
            s.recent_batches = [*s.recent_batches, batch.batch_id][-RECENT_BATCHES:]
        opened = not s.alerts and s.source != "manual"
        recurring: list[str] = []
        for alert in batch.alerts:
            seen = alert.starts_at or now
            record = s.alerts.get(alert.fingerprint)
            if record is None:
                record = s.alerts[alert.fingerprint] = AlertRecord(
                    fingerprint=alert.fingerprint, name=alert.name, source=alert.source, status=alert.status,
                    summary=alert.summary, first_seen=now, last_seen=now, url=alert.url, count=0,
                )
                self.log(now, alert.source, "alert", f"alert {alert.name} {alert.status}: {alert.summary}".rstrip(": "))
                if alert.status == "firing" and seen < s.metrics.started_at:
                    s.metrics.started_at = seen
            elif record.status != alert.status:
                self.log(now, alert.source, "alert", f"alert {alert.name} {alert.status}")
            record.count += alert.count
            record.last_seen = now
            record.status = alert.status
            record.resolved_at = (alert.ends_at or now) if alert.status == "resolved" else None
            if alert.status == "firing" and s.phase is Phase.VERIFY:
                recurring.append(alert.name)
        if batch.truncated:
            source = batch.alerts[0].source
            self.log(now, source, "alert", f"{source} left {batch.truncated} more alert(s) of this group out of its notification")
        if recurring:
            self.on_reopen(Reopen(by="warroom", reason=f"alert {', '.join(sorted(set(recurring)))} fired again during monitoring"), now)
            return AlertRouting(incident_id=s.id, outcome="reopened", phase=s.phase)
        if self.resolved_on_its_own():
            s.non_actionable = True
            self.on_resolve(Resolve(by="warroom", summary="every alert resolved on its own before anyone acknowledged"), now)
            return AlertRouting(incident_id=s.id, outcome="resolved", phase=s.phase)
        return AlertRouting(incident_id=s.id, outcome="opened" if opened else "joined", phase=s.phase)

    def pass_alerts_on(self, batch: AlertBatch, now: datetime) -> None:
        """Alerts that arrive after verify belong to the next incident of their key."""
        s = self.state
        names = ", ".join(sorted({a.name for a in batch.alerts}))
        firing = any(a.status == "firing" for a in batch.alerts)
        if firing:
            self.log(now, batch.alerts[0].source, "alert", f"alert {names} fired after verify: passed on to the next incident")

        def routed(result: OnwardRouting) -> None:
            if firing and result.incident_id:
                self.log(now, "warroom", "recurrence", f"alert {names} went to {result.incident_id}")

        self.effect(
            RoutingActivities.route_alerts_onward,
            lambda key: OnwardAlerts(after=s.id, batch=batch.model_copy(update={"batch_id": batch.batch_id or key})),
            "Pass alerts on to the next incident",
            then=routed,
        )

    def resolved_on_its_own(self) -> bool:
        s = self.state
        return (
            s.phase in ACTIVE
            and s.severity in (Severity.SEV3, Severity.SEV4)
            and s.metrics.acknowledged_at is None
            and bool(s.alerts)
            and all(a.status == "resolved" for a in s.alerts.values())
        )

    # --- policy and deadlines ---------------------------------------------------------

    @property
    def rules(self) -> SeverityPolicy:
        return self.policy.for_severity(self.state.severity)

    def apply_policy(self, now: datetime) -> None:
        """(Re)apply the severity's demands: bridge, cadence, paging, role reminders, postmortem duty."""
        s = self.state
        if s.phase in ACTIVE:
            if self.rules.bridge and self.investigation_aids:
                self.open_bridge(now)
            self.arm_cadence(now, keep_earlier=True)
            if self.rules.page and s.metrics.acknowledged_at is None and "page" not in s.deadlines:
                self.page_step(0, now)
            if not self.rules.page:
                self.stop_paging()
            if self.rules.roles_required_within and "roles" not in s.deadlines:
                self.deadline("roles", now + self.rules.roles_required_within, "Check incident roles are staffed")
            self.check_roles_met(now)
        else:
            self.apply_postmortem_duty(now)
        self.maybe_close(now)

    def open_bridge(self, now: datetime) -> None:
        """Once per incident: the call's link in the channel, its header and the state."""
        s = self.state
        url = self.policy.bridge_link(s.id, s.service, s.severity)
        if s.bridge or url is None:
            return
        s.bridge = Bridge(url=url, opened_at=now)
        self.log(now, "warroom", "bridge", f"war-room bridge opened: {url}")
        self.post(f":telephone_receiver: {s.severity} war-room bridge: {url}", "Post war-room bridge")
        self.effect(
            ChatActivities.bookmark_channel,
            lambda key: ChannelBookmark(incident_id=s.id, channel=s.channel, title=BRIDGE_TITLE, link=url) if s.channel else None,
            "Bookmark war-room bridge",
        )

    def arm_cadence(self, now: datetime, keep_earlier: bool = False) -> None:
        cadence = self.rules.update_cadence
        if cadence is None or self.state.phase not in ACTIVE:
            self.state.deadlines.pop("status_update", None)
            return
        due = now + cadence
        current = self.state.deadlines.get("status_update")
        if keep_earlier and current and current.due <= due:
            return
        self.deadline("status_update", due, f"Status update due ({self.state.severity}, every {humanize(cadence)})")

    def page_step(self, step: int, now: datetime) -> None:
        s = self.state
        steps = self.policy.escalation(s.service)
        target = steps[step].target
        s.metrics.pages_sent += 1
        self.log(now, "warroom", "page", f"paging {target} on-call (step {step + 1})")
        self.effect(
            PagingActivities.page_responder,
            lambda key: PageRequest(
                incident_id=s.id, service=s.service, severity=s.severity, title=s.title, target=target,
                step=step, at=now, incident_url=self.state.links.get("Temporal UI"), idempotency_key=key,
            ),
            f"Page {target} on-call for {s.service}",
            then=lambda result: self._paged(now, target, step, result),
        )
        if step + 1 < len(steps):
            nxt = steps[step + 1]
            self.deadline(
                "page", now + nxt.after, f"Page {nxt.target} on-call for {s.service} if unacknowledged", step=step + 1
            )
        else:
            s.deadlines.pop("page", None)

    def _paged(self, now: datetime, target: str, step: int, result: PageResult) -> None:
        s = self.state
        s.pages.append(PageRecord(at=now, target=target, user=result.user, step=step, via=result.via))
        self.log(now, "warroom", "paged", f"paged {result.user} ({target}) via {result.via}")
        if result.via == PAGERDUTY:  # catch PagerDuty up on what happened while the page was on its way
            if s.metrics.acknowledged_at is not None:
                self.update_pager("acknowledge")
            if s.phase not in ACTIVE:
                self.update_pager("resolve")

    def update_pager(self, action: Literal["acknowledge", "resolve"]) -> None:
        """Tell PagerDuty, if a page went through it, so it stops escalating as warroom does."""
        s = self.state
        if not self.pager_events or all(p.reached_person for p in s.pages):
            return
        self.effect(
            PagingActivities.update_page,
            lambda key: PageUpdate(incident_id=s.id, action=action),
            f"{action.title()} the PagerDuty incident",
        )

    def stop_paging(self) -> None:
        self.state.deadlines.pop("page", None)

    def check_roles_met(self, now: datetime) -> None:
        if all(r in self.state.roles for r in LEADS):
            self.meet("roles", now)

    def apply_postmortem_duty(self, now: datetime) -> None:
        s = self.state
        s.postmortem.required = self.rules.postmortem or s.postmortem.required and s.postmortem.submitted_at is not None
        if not (s.postmortem.required and s.metrics.resolved_at and s.phase in RESOLVED):
            return
        t = self.policy.timing
        resolved = s.metrics.resolved_at
        if s.postmortem.submitted_at is None and "postmortem_draft" not in s.deadlines:
            self.deadline("postmortem_draft", resolved + t.postmortem_draft_due, "Postmortem draft due", ahead=t.remind_before)
        if s.postmortem.reviewed_at is None and "postmortem_review" not in s.deadlines:
            self.deadline("postmortem_review", resolved + t.postmortem_review_due, "Postmortem review due", ahead=t.remind_before)

    def deadline(self, name: str, due: datetime, summary: str, ahead: timedelta | None = None, step: int = 0) -> None:
        self.state.deadlines[name] = Deadline(
            name=name, due=due, next_fire=due - ahead if ahead else due, summary=summary, reminders=step
        )

    def meet(self, name: str, now: datetime) -> None:
        d = self.state.deadlines.get(name)
        if d and d.met_at is None:
            d.met_at = now

    def pending(self) -> list[Deadline]:
        return sorted((d for d in self.state.deadlines.values() if d.met_at is None), key=lambda d: d.next_fire)

    def fire_due(self, due_by: datetime, now: datetime) -> None:
        """Act at `now` on every deadline due by `due_by`; the workflow passes a
        moment past the due time, so deadlines a moment apart fire together
        instead of costing a timer each."""
        for d in self.pending():
            if d.next_fire <= due_by:
                getattr(self, f"fire_{d.name}")(d, now)

    def fire_status_update(self, d: Deadline, now: datetime) -> None:
        who = self.state.roles.get(Role.COMMS_LEAD) or self.state.roles.get(Role.COMMANDER) or "@here"
        late = humanize(now - d.due) if now > d.due else "now"
        self.log(now, "warroom", "reminder", f"status update overdue ({late}); reminded {who}")
        self.post(f":alarm_clock: {who}: a status update is due (overdue {late}). Use `warroom update {self.state.id}`.", "Remind: status update overdue")
        d.reminders += 1
        d.next_fire = now + (self.rules.update_cadence or timedelta(hours=1))

    def fire_page(self, d: Deadline, now: datetime) -> None:
        self.page_step(d.reminders, now)

    def fire_roles(self, d: Deadline, now: datetime) -> None:
        missing = [r.value for r in LEADS if r not in self.state.roles]
        self.log(now, "warroom", "reminder", "unassigned roles: " + ", ".join(missing))
        who = self.state.roles.get(Role.COMMANDER, "@here")
        self.post(f":raising_hand: {who}: {self.state.severity} needs " + ", ".join(missing) + " assigned (`warroom assign`).", "Remind: roles unassigned")
        d.reminders += 1
        d.next_fire = now + (self.rules.roles_required_within or timedelta(minutes=15))

    def fire_monitoring_window(self, d: Deadline, now: datetime) -> None:
        """The window passed without a recurring alert; with golden signals, the
        service must also show it has recovered before the window closes."""
        queries = self.signal_queries()
        if queries is None:
            d.met_at = now
            self.close_customer_side(now)
            return
        # The deadline stays pending while the signals are read: it is the watchdog.
        check = d.reminders
        d.next_fire, d.summary = now + SIGNALS_CHECK_TIMEOUT, "Verify on golden signals"
        self.snapshot_signals(
            WINDOW_END,
            now,
            then=lambda snapshot: self.verify_on_evidence(d, check, judge(snapshot, queries), now),
            failed=lambda reason: self.verify_on_evidence(d, check, judge(SignalSnapshot(moment=WINDOW_END, readings=[]), queries), now),
        )

    def verify_on_evidence(self, d: Deadline, check: int, verdict: Verdict, now: datetime) -> None:
        """Close on healthy signals, back to stabilize on unhealthy ones; unreadable
        ones get a few more minutes, then the window closes with a warning."""
        s = self.state
        if s.phase is not Phase.VERIFY or s.deadlines.get("monitoring_window") is not d or d.reminders != check:
            return  # reopened, resolved again or checked again while the signals were read
        d.reminders += 1
        if verdict.above:
            self.on_reopen(Reopen(by="warroom", reason="golden signals not recovered: " + "; ".join(verdict.above)), now)
            return
        missing = "; ".join(verdict.unavailable)
        if missing and d.reminders <= SIGNALS_RECHECKS:
            d.next_fire = now + SIGNALS_RECHECK_EVERY
            text = f"cannot verify on evidence yet ({missing}); checking again in {humanize(SIGNALS_RECHECK_EVERY)}"
            self.log(now, "warroom", "verify", text)
            self.post(f":hourglass: {text}", "Announce signals recheck")
            return
        if missing:
            text = f"closing without evidence: {missing} after {SIGNALS_RECHECKS} rechecks"
            self.log(now, "warroom", "verify", text)
            self.post(f":warning: {text}", "Warn: closing without signals")
        d.met_at = now
        self.close_customer_side(now)

    def close_customer_side(self, now: datetime) -> None:
        s = self.state
        self.log(now, "warroom", "verify", "monitoring window passed cleanly; customer-facing side closed")
        self.publish(PublicStatus.RESOLVED, now)
        self.post(self.update_text("Resolved", s.resolution or "resolved", now), "Post final update")
        if s.postmortem.required:
            self.draft_postmortem(now, replace=False)
        self.effect(
            ChatActivities.archive_channel,
            lambda key: ChannelArchive(incident_id=s.id, channel=s.channel) if s.channel else None,
            "Archive incident channel",
        )
        s.phase = Phase.LEARN
        self.apply_postmortem_duty(now)
        self.maybe_close(now)

    def fire_postmortem_draft(self, d: Deadline, now: datetime) -> None:
        self._postmortem_reminder(d, now, "draft")

    def fire_postmortem_review(self, d: Deadline, now: datetime) -> None:
        self._postmortem_reminder(d, now, "review")

    def postmortem_owner(self) -> str:
        s = self.state
        return s.roles.get(Role.SCRIBE) or s.roles.get(Role.COMMANDER) or "the incident commander"

    def _postmortem_reminder(self, d: Deadline, now: datetime, what: str) -> None:
        s = self.state
        owner = self.postmortem_owner()
        commander = s.roles.get(Role.COMMANDER)
        if (d.next_fire < d.due) if self.fire_on_schedule else (now < d.due):  # the reminder ahead of the deadline
            text = f"postmortem {what} for {s.id} is due in {humanize(max(d.due - now, timedelta(0)))}"
            recipients = [owner]
            d.next_fire = d.due
        else:
            late = now - d.due
            text = f"postmortem {what} for {s.id} is " + (f"overdue by {humanize(late)}" if late >= timedelta(minutes=1) else "due now")
            recipients = sorted({owner, commander} - {None})
            d.next_fire = now + self.policy.timing.overdue_every
        d.reminders += 1
        self.log(now, "warroom", "reminder", f"{text}; reminded {', '.join(recipients)}")
        for user in recipients:
            self.notify(user, f":memo: {text}. Record it with `warroom postmortem {s.id}`.", f"Remind {user}: postmortem {what}")

    def maybe_close(self, now: datetime) -> None:
        s = self.state
        if s.phase is Phase.LEARN and (not s.postmortem.required or s.postmortem.reviewed_at):
            s.phase = Phase.CLOSED
            s.metrics.closed_at = now
            for d in self.pending():
                s.deadlines.pop(d.name)
            self.log(now, "warroom", "closed", "incident closed")
            self.effect(ArchiveActivities.archive_incident, lambda key: ArchiveRequest(state=s), "Archive incident record")

    def leave_triage(self) -> None:
        if self.state.phase is Phase.TRIAGE:
            self.state.phase = Phase.STABILIZE

    # --- golden signals ---------------------------------------------------------------

    def signal_queries(self) -> SignalQueries | None:
        return self.policy.service(self.state.service).signals if self.golden_signals else None

    def snapshot_signals(
        self, moment: str, now: datetime,
        then: Callable[[SignalSnapshot], None] | None = None, failed: Callable[[str], None] | None = None,
    ) -> None:
        """Read the service's golden signals (if it has any) into state, timeline and channel."""
        s = self.state
        queries = self.signal_queries()
        if queries is None:
            return

        def taken(snapshot: SignalSnapshot) -> None:
            s.signals[moment] = snapshot
            self.log(now, "warroom", "signals", snapshot.line())
            self.post(snapshot.message(s.service), f"Post golden signals at {moment}")
            if then:
                then(snapshot)

        self.effect(
            SignalActivities.take_signal_snapshot,
            lambda key: SnapshotRequest(incident_id=s.id, service=s.service, moment=moment, queries=queries),
            f"Golden signals at {moment}",
            then=taken,
            failed=failed,
        )

    # --- communication ----------------------------------------------------------------

    def effect(
        self, activity: Callable[..., Any], build: Callable[[str], BaseModel | None], summary: str,
        then: Callable[[Any], None] | None = None, failed: Callable[[str], None] | None = None, local: bool = False,
    ) -> None:
        self.state.effect_seq += 1
        self.outbox.append(Effect(activity, build, summary, f"{self.state.id}:{self.state.effect_seq}", then, failed, local))

    def post(self, text: str, summary: str) -> None:
        """Post in the incident channel; once it is archived, the timeline is the record."""
        s = self.state
        if s.phase in (Phase.LEARN, Phase.CLOSED):
            return
        self.effect(
            ChatActivities.post_to_channel,
            lambda key: ChannelPost(incident_id=s.id, channel=s.channel, text=text, idempotency_key=key),
            summary,
        )

    def notify(self, user: str, text: str, summary: str) -> None:
        s = self.state
        self.effect(
            ChatActivities.send_direct_message,
            lambda key: DirectMessage(incident_id=s.id, user=user, text=text, idempotency_key=key),
            summary,
        )

    def publish(self, status: PublicStatus, now: datetime, cause: str = "") -> None:
        s = self.state
        if not self.rules.public and s.status_page is None:
            return
        s.public_status = status
        message = public_wording(status, s.service, cause)

        def published(ref: Any) -> None:
            s.status_page = ref

        self.effect(
            StatusPageActivities.publish_status,
            lambda key: StatusPost(
                incident_id=s.id, page_ref=s.status_page, title=s.title, service=s.service, status=status,
                message=message, impact=self.rules.status_impact, components=self.policy.service(s.service).components,
                idempotency_key=key,
            ),
            f"Status page: {status.value}",
            then=published,
        )

    def refresh_topic(self) -> None:
        s = self.state
        self.effect(
            ChatActivities.set_channel_topic,
            lambda key: ChannelTopic(incident_id=s.id, channel=s.channel, topic=self.topic()) if s.channel else None,
            "Update channel topic",
        )

    def topic(self) -> str:
        s = self.state
        ic = s.roles.get(Role.COMMANDER, "unassigned")
        status = (s.public_status.value if s.public_status else s.phase.value).title()
        return f"{s.severity} | {status} | IC: {ic} | {s.title}"[:250]

    def update_text(self, status: str, action: str, now: datetime, next_update: bool = False) -> str:
        """Seed 003 §5, the internal status update template."""
        s = self.state
        cadence = self.rules.update_cadence if s.phase in ACTIVE else None
        nxt = (now + cadence).strftime("%H:%M UTC") if cadence else "at resolution" if s.phase in ACTIVE else "none"
        roles = " | ".join(f"**{LABELS[r]}:** {s.roles[r]}" for r in Role if r in s.roles) or "**IC:** unassigned"
        return (
            f":rotating_light: *Incident Update: {s.title}*\n"
            f"**Current Status:** {status}\n"
            f"**Severity:** {s.severity}\n"
            f"**Impact:** {s.impact.description or 'being assessed'}\n"
            f"**Current Action:** {action}\n"
            f"**Next Update:** {nxt}\n"
            f"{roles}"
        )

    def integration_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record a failed side effect and tell the channel, unless chat itself failed."""
        self.log(now, "warroom", "integration_error", f"{effect.summary} failed: {reason}")
        if effect.activity not in CHAT_ACTIVITIES:
            self.post(f":warning: {effect.summary} failed: {reason}", "Report integration failure")
        if effect.failed:
            effect.failed(reason)

    def log(self, now: datetime, actor: str, kind: str, text: str) -> None:
        self.state.timeline.append(TimelineEntry(at=now, actor=actor, kind=kind, text=text))

    def details(self, now: datetime) -> str:
        """Markdown for the Temporal UI's current details: the incident at a glance."""
        s = self.state
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
        nxt = self.pending()
        if nxt:
            lines.append(f"- Next: {nxt[0].summary} at {nxt[0].next_fire:%Y-%m-%d %H:%M} UTC")
        if s.last_update:
            lines.append(f"- Last update: {s.last_update}")
        if s.recurrence_of:
            lines.append(f"- Recurrence of {s.recurrence_of}")
        return "\n".join(lines)
