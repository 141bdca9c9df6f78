"""Drills and runbooks, part of `Lifecycle`: a drill's effects go out marked
DRILL and only to its participants (those it names and whoever takes a role
in it); its status page posts and PagerDuty calls are not made, and its action
items reach the tracker only with the configured drill label. The service's
runbook (config, or an alert's `runbook_url`) is linked in the channel and
the incident's links (`warroom show`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.drills import marked
from warroom.models import IncidentInput
from warroom.policy import Policy
from warroom.rules.effects import Effect, Operation
from warroom.rules.requests import ChannelPost, ChannelTopic, DirectMessage, OpenChannel, PageRequest, TrackerItem

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

RUNBOOK = "Runbook"
NEVER_IN_A_DRILL = {Operation.PUBLISH_STATUS, Operation.UPDATE_PAGE, Operation.ANNOUNCE}  # nothing public, no stakeholders


def with_runbook(links: dict[str, str], inp: IncidentInput, policy: Policy) -> dict[str, str]:
    """The incident's links, with the runbook an alert carried or the service's own."""
    runbook = inp.runbook or policy.service(inp.service).runbook
    return {**links, RUNBOOK: runbook} if runbook else links


class DrillRules:
    def brief(self: Lifecycle, now: datetime) -> None:
        """At mobilization: the runbook link in the channel; for a drill, whom it reaches."""
        s = self.state
        if runbook := s.links.get(RUNBOOK):
            self.post(f":blue_book: Runbook for {s.service}: {runbook}", "Post runbook link")
        if s.drill is not None:
            who = ", ".join(sorted(self.drill_participants())) or "nobody"
            self.log(now, "warroom", "drill", f"drill for {who}: no status page, no pager, no tracker issue outside it")

    def drill_participants(self: Lifecycle) -> set[str]:
        s = self.state
        return set(s.drill.participants if s.drill else ()) | set(s.roles.values())

    def as_drill(self: Lifecycle, effect: Effect, req: BaseModel) -> BaseModel | None:
        """A drill's request as it goes out, or None when a drill must not send it."""
        s = self.state
        people = self.drill_participants()
        if effect.operation in NEVER_IN_A_DRILL:
            return None
        if isinstance(req, OpenChannel):
            first = req.first_post.model_copy(update={"text": marked(req.first_post.text)}) if req.first_post else None
            return req.model_copy(update={"topic": marked(req.topic), "invite": sorted(people), "first_post": first})
        if isinstance(req, ChannelPost):
            return req.model_copy(update={"text": marked(req.text)})
        if isinstance(req, ChannelTopic):
            return req.model_copy(update={"topic": marked(req.topic)})
        if isinstance(req, DirectMessage):
            return req.model_copy(update={"text": marked(req.text)}) if req.user in people else None
        if isinstance(req, PageRequest):
            order = (s.drill.participants if s.drill else []) or sorted(people)
            return req.model_copy(update={"target": order[req.step % len(order)], "drill": True}) if order else None
        if isinstance(req, TrackerItem):
            label = self.policy.drills.tracker_label
            return req.model_copy(update={"label": label, "title": marked(req.title)}) if label else None
        return req
