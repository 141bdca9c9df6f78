"""Paging: resolve an escalation step to the person on call and reach them.

Pages go out as chat direct messages through the configured chat backend. The
target is resolved for the moment the page was due (not when a retry happens to
run), so a rotation handoff mid-incident pages whoever was on call then.

With PagerDuty configured, the first page is a PagerDuty trigger instead, and
PagerDuty's own escalation policy wakes people from there; warroom's later
steps still reach its own on-call through chat, a second line until someone
acknowledges (in PagerDuty or in warroom). Acknowledging and resolving the
incident in warroom is passed on to PagerDuty (`update_page`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal, Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.chat import ChannelPost, ChatBackend, DirectMessage
from activities.failures import final
from warroom.models import PAGERDUTY
from warroom.policy import Policy
from warroom.rules.requests import RESPONSE_BUTTONS, PageRequest, PageResult, PageUpdate


PAGERDUTY_ON_CALL = "PagerDuty on-call"


def channel_link(req: PageRequest) -> str:
    """` Channel: <link>`, once the incident channel is open."""
    if req.channel is None:
        return ""
    return f" Channel: {req.channel.url or '#' + req.channel.name}"


class Pager(Protocol):
    """An external pager whose incidents are keyed by the warroom incident id."""

    async def trigger(self, req: PageRequest, group: str | None = None) -> str: ...

    async def send(self, action: Literal["acknowledge", "resolve"], incident_id: str) -> str: ...


class PagingActivities:
    def __init__(self, chat: ChatBackend, policy: Policy, pager: Pager | None = None):
        self.chat = chat
        self.policy = policy
        self.pager = pager

    @activity.defn
    async def page_responder(self, req: PageRequest) -> PageResult:
        if self.pager is not None and req.step == 0 and not req.drill and not req.canary:
            await self.pager.trigger(req, self.policy.service(req.service).team)
            return PageResult(user=PAGERDUTY_ON_CALL, via=PAGERDUTY, delivered_at=datetime.now(UTC))
        target = req.target if req.drill else self.policy.resolve_target(req.service, req.target, req.at or datetime.now(UTC))
        user = self.policy.people.handle(target)
        link = f" {req.incident_url}" if req.incident_url else ""
        text = ("DRILL: " if req.drill else "") + (
            f":rotating_light: You are paged ({req.target}, step {req.step + 1}) for {req.severity} "
            f"{req.incident_id}: {req.title}. Acknowledge with `warroom ack {req.incident_id}`.{link}{channel_link(req)}"
        )
        address = self.policy.people.address(user)
        try:
            await self.chat.direct(
                DirectMessage(
                    incident_id=req.incident_id, user=user, text=text, idempotency_key=req.idempotency_key, address=address,
                    buttons=list(RESPONSE_BUTTONS),
                )
            )
        except ApplicationError as err:
            if not err.non_retryable or req.channel is None:
                raise
            # Unreachable in person (no chat identity): page them in the incident channel instead.
            post = ChannelPost(
                incident_id=req.incident_id, channel=req.channel, text=f"{self.policy.people.mention(user)}: {text}",
                idempotency_key=f"{req.idempotency_key}:channel",
            )
            await self.chat.post(post)
            return PageResult(user=user, via="channel", unreached=err.message, delivered_at=datetime.now(UTC))
        return PageResult(user=user, via="chat", delivered_at=datetime.now(UTC))

    @activity.defn
    async def update_page(self, req: PageUpdate) -> None:
        """Acknowledge or resolve the PagerDuty incident, so PagerDuty stops escalating too."""
        if self.pager is None:
            raise final("PagerDuty", f"cannot {req.action} the page: this worker has no WARROOM_PAGERDUTY_ROUTING_KEY")
        await self.pager.send(req.action, req.incident_id)
