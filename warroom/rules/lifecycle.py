"""The incident rules, free of Temporal and of every integration: messages in,
state and effects out.

`Lifecycle` holds one incident's state and its policy snapshot. A message is
first checked against the message table (`messages.py`: which phases take it,
which phase it moves to) and its own check, which refuses with a reason and
changes nothing; then its handler changes the state and queues effects. The
rules are split by concern: alerts, deadlines, evidence (suspects, golden
signals, bridge), learn (action items, postmortem); wording says it all.
Everything here is deterministic: time comes in as `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from warroom.metrics import Metrics
from warroom.models import (
    PAGERDUTY, Impact, IncidentInput, IncidentState, MitigationAction, MitigationRecord, Phase, PublicStatus, Role, TimelineEntry,
)
from warroom.responders import (
    Acknowledge, Assign, Message, Mitigate, Note, Reopen, Resolve, SeverityChange, StatusUpdate,
)
from warroom.durations import humanize
from warroom.policy import Policy, SeverityPolicy
from warroom.rules import wording
from warroom.rules.alerts import AlertRules
from warroom.rules.canary import CanaryRules
from warroom.rules.deadlines import DeadlineRules
from warroom.rules.drills import DrillRules, with_runbook
from warroom.drills import marked
from warroom.rules.effects import Effect, Operation
from warroom.rules.evidence import EvidenceRules
from warroom.rules.hours import BusinessHoursRules
from warroom.rules.learn import LearnRules
from warroom.rules.maintenance import MaintenanceRules
from warroom.rules.public import PublicRules
from warroom.rules.messages import MESSAGES, Refused, allowed_move, checks, handles
from warroom.rules.people import PeopleRules
from warroom.rules.requests import (
    RESPONSE_BUTTONS, ArchiveRequest, ChannelArchive, ChannelBookmark, ChannelInvite, ChannelPost, ChannelTopic, DraftRequest,
    FirstPost, OpenChannel, PageRequest,
)

ROLLBACK_CHECKLIST = ["no_irreversible_migrations", "no_irreversible_side_effects", "known_good_target"]


class Lifecycle(
    AlertRules, CanaryRules, DeadlineRules, EvidenceRules, LearnRules, MaintenanceRules, PublicRules, DrillRules, PeopleRules,
    BusinessHoursRules,
):
    def __init__(self, state: IncidentState, policy: Policy):
        self.state = state
        self.policy = policy
        self.outbox: list[Effect] = []

    @property
    def rules(self) -> SeverityPolicy:
        """What the current severity demands."""
        return self.policy.for_severity(self.state.severity)

    # --- declaration ------------------------------------------------------------------

    @classmethod
    def declare(cls, incident_id: str, inp: IncidentInput, policy: Policy, links: dict[str, str], now: datetime) -> Lifecycle:
        classified = policy.classify(inp.impact)
        severity = inp.severity or classified
        state = IncidentState(
            id=incident_id, title=inp.title, service=inp.service, severity=severity, phase=Phase.TRIAGE,
            impact=inp.impact, source=inp.source, recurrence_of=inp.recurrence_of, canary=inp.canary,
            links=with_runbook(links, inp, policy), drill=inp.drill,
            metrics=Metrics(started_at=min(inp.started_at or now, now), declared_at=now, start_known=inp.started_at is not None),
        )
        life = cls(state, policy)
        people = policy.people
        inp = inp.model_copy(update={"declared_by": people.handle(inp.declared_by), "commander": inp.commander and people.handle(inp.commander)})
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
        """Seed 003 phase 2: channel (with the first update), suspects, status
        page banner, golden signals, people and the update cadence."""
        s = self.state
        if s.canary:
            return self.mobilize_canary(now)
        first = self.update_text("Investigating", s.impact.description or s.title, now)
        key = self.next_key()
        self.effect(
            Operation.OPEN_CHANNEL,
            OpenChannel(
                incident_id=s.id, title=s.title, declared_on=s.metrics.declared_at.date(), severity=s.severity,
                topic=wording.topic(s), invite=self.invitees(),
                bookmarks=dict(s.links),
                first_post=FirstPost(text=first, idempotency_key=f"{key}:first", buttons=list(RESPONSE_BUTTONS)),
            ),
            "Open incident channel, post initial update",
            then=self._channel_opened,
            # Without a channel the update goes wherever posts go then, as on its own.
            failed=lambda reason: self.post(first, "Post initial update", RESPONSE_BUTTONS),
            key=key,
        )
        self.list_recent_changes(now)
        self.go_public_if_due(now)
        self.announce(wording.announcement(s, "declared"))
        self.snapshot_signals("declaration", now)
        self.brief(now)
        self.apply_policy(now)

    def _channel_opened(self, ref: Any) -> None:
        self.state.channel = ref

    # --- messages -----------------------------------------------------------------------

    def check(self, name: str, msg: Message) -> None:
        """Refuse a message the incident cannot take now; change nothing."""
        msg = self.identify(msg)
        reason = MESSAGES[name].refusal(self.state.id, self.state.phase)
        if reason:
            raise Refused(reason)
        check = CHECKS.get(name)
        if check:
            check(self, msg)

    def handle(self, name: str, msg: Message, now: datetime) -> Any:
        """Check, move phase as the message table says, then act."""
        msg = self.identify(msg)
        self.check(name, msg)
        self.move(MESSAGES[name].moves)
        return HANDLERS[name](self, msg, now)

    def move(self, moves: dict[Phase, Phase]) -> None:
        """Take the phase change that `moves` makes from the current phase, if any."""
        current = self.state.phase
        to = moves.get(current)
        if to is None:
            return
        if not allowed_move(current, to):
            raise AssertionError(f"{current.value} -> {to.value} is not in the phase-transition table")
        self.state.phase = to

    @checks("assign")
    def check_assign(self, msg: Assign) -> None:
        if self.state.roles.get(msg.role) == msg.user:
            raise Refused(f"{msg.user} is already {msg.role.value}")

    @checks("mitigate")
    def check_mitigate(self, msg: Mitigate) -> None:
        if msg.change_id and self.suspect(msg.change_id) is None:
            known = ", ".join(c.id for c in self.state.suspects) or "none recorded"
            raise Refused(f"unknown change {msg.change_id}: not one of this incident's suspects ({known}); see `warroom show {self.state.id}`")
        if msg.action is MitigationAction.ROLLBACK:
            unmet = msg.checklist.unmet() if msg.checklist else ROLLBACK_CHECKLIST
            if unmet:
                raise Refused("rollback refused, checklist not met: " + ", ".join(unmet))

    @checks("escalate")
    def check_escalate(self, msg: SeverityChange) -> None:
        self._check_severity_change(msg, "escalate")

    @checks("downgrade")
    def check_downgrade(self, msg: SeverityChange) -> None:
        self._check_severity_change(msg, "downgrade")

    def _check_severity_change(self, msg: SeverityChange, direction: str) -> None:
        current = self.state.severity
        if msg.severity == current:
            raise Refused(f"incident is already {current}")
        more_severe = msg.severity.rank < current.rank
        if direction == "escalate" and not more_severe:
            raise Refused(f"{msg.severity} is not more severe than {current}; use downgrade")
        if direction == "downgrade" and more_severe:
            raise Refused(f"{msg.severity} is more severe than {current}; use escalate")

    @handles("acknowledge")
    def on_acknowledge(self, msg: Acknowledge, now: datetime) -> str:
        return self.acknowledge(msg.by, now)

    def acknowledge(self, by: str, now: datetime, in_pager: bool = False) -> str:
        """Stop paging; `in_pager`: PagerDuty heard it first and needs no word of it."""
        s = self.state
        first = s.metrics.acknowledged_at is None
        if first:
            s.metrics.acknowledged_at = now
        self.stop_paging()
        if first and not in_pager and by != PAGERDUTY:
            self.update_pager("acknowledge")
        text = f"{by} acknowledged" + (" in PagerDuty" if in_pager else "") + ("" if first else " too")
        if self.new_commander(by, now):
            text += " and is incident commander"
        if first and self.go_public_if_due(now):
            text += "; the incident is public on the status page now"
        self.log(now, by, "acknowledge", text)
        self.post(f":eyes: {text}.", "Post acknowledgement")
        self.refresh_topic()
        self.check_roles_met(now)
        return text

    @handles("assign")
    def on_assign(self, msg: Assign, now: datetime) -> str:
        previous = self.state.roles.get(msg.role)
        self.state.roles[msg.role] = msg.user
        self.invite(now, msg.user)
        role = msg.role.value.replace("_", " ")
        text = f"handoff: {role} {previous} -> {msg.user}" if previous else f"{msg.user} is {role}"
        self.log(now, msg.by, "role", text)
        self.post(f":busts_in_silhouette: {text} (by {msg.by}).", f"Announce {role}")
        self.refresh_topic()
        self.check_roles_met(now)
        return text

    @handles("note")
    def on_note(self, msg: Note, now: datetime) -> str:
        self.log(now, msg.by, "note", msg.text)
        return "noted"

    @handles("mitigate")
    def on_mitigate(self, msg: Mitigate, now: datetime) -> str:
        s = self.state
        if s.metrics.mitigated_at is None:
            s.metrics.mitigated_at = now
        s.mitigations.append(MitigationRecord(at=now, by=msg.by, action=msg.action, description=msg.description, change_id=msg.change_id))
        change = f" (undoes {self.change_text(msg.change_id)})" if msg.change_id else ""
        text = f"mitigation {msg.action.value}{change}: {msg.description}".rstrip(": ")
        self.log(now, msg.by, "mitigate", text)
        self.post(f":hammer_and_wrench: {msg.by}: {text}", f"Announce {msg.action.value}")
        return text

    @handles("update")
    def on_update(self, msg: StatusUpdate, now: datetime) -> str:
        s = self.state
        status = PublicStatus(msg.status)
        s.last_update = msg.message
        s.metrics.updates_posted += 1
        self.log(now, msg.by, "update", f"{status.value}: {msg.message}")
        public = self.take_update(msg, now)
        self.post(self.update_text(status.value.title(), msg.message, now), "Post status update")
        self.arm_cadence(now)
        return f"update posted ({status.value}){public}"

    @handles("escalate")
    def on_escalate(self, msg: SeverityChange, now: datetime) -> str:
        return self._change_severity(msg, now, "escalated")

    @handles("downgrade")
    def on_downgrade(self, msg: SeverityChange, now: datetime) -> str:
        return self._change_severity(msg, now, "downgraded")

    def _change_severity(self, msg: SeverityChange, now: datetime, verb: str) -> str:
        s = self.state
        old, s.severity = s.severity, msg.severity
        text = f"{verb} {old} -> {msg.severity}: {msg.reason}"
        self.log(now, msg.by, "severity", text)
        self.post(f":rotating_light: {text} (by {msg.by})", f"Announce {verb} to {msg.severity}")
        self.refresh_topic()
        self.announce(wording.announcement(s, text))
        self.apply_policy(now)
        if not self.go_public_if_due(now) and self.is_public:
            self.publish(s.public_status or PublicStatus.INVESTIGATING, now, quiet=True)  # components follow the severity
        return text

    @handles("resolve")
    def on_resolve(self, msg: Resolve, now: datetime) -> str:
        s = self.state
        s.resolution = msg.summary
        s.metrics.resolved_at = now
        if s.metrics.mitigated_at is None:
            s.metrics.mitigated_at = now
        for name in ("status_update", "page", "roles", "executive_summary"):
            s.deadlines.pop(name, None)
        window = self.policy.timing.monitoring_window
        self.deadline("monitoring_window", now + window, f"{humanize(window)} monitoring window")
        self.log(now, msg.by, "resolve", f"resolved: {msg.summary}; monitoring for {humanize(window)}")
        self.post(self.update_text("Monitoring", msg.summary, now), "Post resolution update")
        self.publish(PublicStatus.MONITORING, now)
        self.announce(wording.announcement(s, f"resolved: {msg.summary}"))
        self.update_pager("resolve")
        self.snapshot_signals("resolve", now)
        self.apply_postmortem_duty(now)
        self.refresh_topic()
        return f"resolved; monitoring window of {humanize(window)} started"

    @handles("reopen")
    def on_reopen(self, msg: Reopen, now: datetime) -> str:
        s = self.state
        s.metrics.reopen_count += 1
        s.resolution = None
        for name in ("monitoring_window", "postmortem_draft", "postmortem_review"):
            s.deadlines.pop(name, None)
        self.log(now, msg.by, "reopen", f"reopened: {msg.reason}")
        self.post(f":warning: Incident reopened by {msg.by}: {msg.reason}", "Announce reopening")
        self.publish(PublicStatus.INVESTIGATING, now)
        self.apply_policy(now)
        return "reopened; back to stabilize"

    # --- effects ------------------------------------------------------------------------

    def next_key(self) -> str:
        """The idempotency key of the next effect: `<incident>:<n>`."""
        self.state.effect_seq += 1
        return f"{self.state.id}:{self.state.effect_seq}"

    def effect(
        self, operation: Operation, request: BaseModel, summary: str, then: Callable[[Any], None] | None = None,
        failed: Callable[[str], None] | None = None, key: str | None = None,
    ) -> None:
        self.outbox.append(Effect(operation, request, summary, key or self.next_key(), then, failed))

    def ready(self, effect: Effect) -> BaseModel | None:
        """The effect's request as it goes out now, or None to skip it; a drill's as a drill sends it."""
        req = self._ready(effect)
        return self.as_drill(effect, req) if req is not None and self.state.drill else req

    def _ready(self, effect: Effect) -> BaseModel | None:
        """Channel operations get the channel opened since they were queued (those
        that need one are skipped without); the channel opens with the topic and
        people of that moment; records take the state as it is by then."""
        req = effect.request
        if isinstance(req, OpenChannel):
            return req.model_copy(update={"topic": wording.topic(self.state), "invite": self.invitees()})
        if effect.shares_draft:  # the link once the draft is written; a post also gets the channel, below
            if not (link := self.state.postmortem.draft_link):
                return None
            req = req.model_copy(update={"text": wording.draft_link(self.state.id, link)})
        if effect.operation is Operation.POST:
            return req.model_copy(update={"channel": self.state.channel})
        if isinstance(req, PageRequest):
            return req.model_copy(update={"channel": self.state.channel})
        if isinstance(req, (ChannelTopic, ChannelBookmark, ChannelArchive, ChannelInvite)):
            return req.model_copy(update={"channel": self.state.channel}) if self.state.channel else None
        if isinstance(req, (ArchiveRequest, DraftRequest)):
            return req.model_copy(update={"state": self.state})
        return req

    def post(self, text: str, summary: str, buttons: tuple[str, ...] = ()) -> None:
        """Post in the incident channel; once it is archived, the timeline is the record."""
        s = self.state
        if s.phase in (Phase.LEARN, Phase.CLOSED):
            return
        key = self.next_key()
        post = ChannelPost(incident_id=s.id, channel=s.channel, text=text, idempotency_key=key, buttons=list(buttons))
        self.effect(Operation.POST, post, summary, key=key)


    def refresh_topic(self) -> None:
        s = self.state
        self.effect(Operation.SET_TOPIC, ChannelTopic(incident_id=s.id, channel=s.channel, topic=wording.topic(s)), "Update channel topic")

    def update_text(self, status: str, action: str, now: datetime) -> str:
        return wording.update_text(self.state, self.rules.update_cadence, status, action, now, self.public_line(now))

    def integration_failed(self, effect: Effect, reason: str, now: datetime) -> None:
        """Record a failed side effect and tell the channel, unless chat itself failed."""
        self.log(now, "warroom", "integration_error", f"{effect.summary} failed: {reason}")
        if effect.operation.integration != "chat":
            self.post(f":warning: {effect.summary} failed: {reason}", "Report integration failure")
        if effect.failed:
            effect.failed(reason)

    def log(self, now: datetime, actor: str, kind: str, text: str) -> None:
        text = marked(text) if self.state.drill else text
        self.state.timeline.append(TimelineEntry(at=now, actor=actor, kind=kind, text=text))

    def details(self) -> str:
        """Markdown for the Temporal UI's current details."""
        pending = self.pending()
        return wording.details(self.state, pending[0] if pending else None)


def _marked(attribute: str) -> dict[str, Callable[..., Any]]:
    found = {
        getattr(fn, attribute): fn
        for klass in reversed(Lifecycle.__mro__)
        for fn in vars(klass).values()
        if callable(fn) and hasattr(fn, attribute)
    }
    unknown = set(found) - set(MESSAGES)
    if unknown:
        raise TypeError(f"@{attribute} names messages the message table lacks: {sorted(unknown)}")
    return found


HANDLERS = _marked("handles")
CHECKS = _marked("checks")
if set(HANDLERS) != set(MESSAGES):
    raise TypeError(f"messages without a handler: {sorted(set(MESSAGES) - set(HANDLERS))}")
