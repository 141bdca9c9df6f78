"""Paging: resolve an escalation step to the person on call and reach them.

Pages go out as chat direct messages through the configured chat backend. The
target is resolved for the moment the page was due (not when a retry happens to
run), so a rotation handoff mid-incident pages whoever was on call then.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field
from temporalio import activity

from activities.chat import ChatBackend, DirectMessage
from warroom.models import Severity
from warroom.policy import Policy


class PageRequest(BaseModel):
    incident_id: str
    service: str
    severity: Severity
    title: str
    target: str
    step: int
    at: datetime | None = Field(None, description="when the page was due: who is on call then")
    incident_url: str | None = None
    idempotency_key: str


class PageResult(BaseModel):
    user: str
    via: str


class PagingActivities:
    def __init__(self, chat: ChatBackend, policy: Policy):
        self.chat = chat
        self.policy = policy

    @activity.defn
    async def page_responder(self, req: PageRequest) -> PageResult:
        user = self.policy.resolve_target(req.service, req.target, req.at or datetime.now(UTC))
        link = f" {req.incident_url}" if req.incident_url else ""
        text = (
            f":rotating_light: You are paged ({req.target}, step {req.step + 1}) for {req.severity} "
            f"{req.incident_id}: {req.title}. Acknowledge with `warroom ack {req.incident_id}`.{link}"
        )
        await self.chat.direct(
            DirectMessage(incident_id=req.incident_id, user=user, text=text, idempotency_key=req.idempotency_key)
        )
        return PageResult(user=user, via="chat")
