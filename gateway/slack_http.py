"""What the Slack endpoints share: the signature check and the work that
continues after Slack has its answer.

Slack signs every request (v0 HMAC-SHA256 over `v0:<timestamp>:<body>` with the
app's signing secret); slack_sdk's `SignatureVerifier` checks it and refuses
timestamps more than five minutes off, so a replayed request gets 401 and
nothing happens. Slack wants its answer within three seconds, so the
endpoints answer at once and hand anything that waits on Temporal to
`SlackWork`, which reports the outcome where Slack said to: the `response_url`
of the command or message, or the modal (`views.update`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any
from urllib.parse import parse_qs

import httpx
from fastapi import Depends, HTTPException, Request
from slack_sdk.signature import SignatureVerifier
from temporalio.exceptions import ApplicationError

from activities.slack import SlackChat
from activities.slack_budget import SlackPace, urgently
from store.db import Database
from store.slack_budget import SlackBudgets
from warroom.settings import Settings
from gateway.http import get_settings

log = logging.getLogger("warroom.gateway.slack")


async def signed_form(request: Request, settings: Settings = Depends(get_settings)) -> dict[str, str]:
    """The request's form fields, once its Slack signature is good and fresh."""
    body = await request.body()
    if settings.slack_signing_secret is None:
        raise HTTPException(403, "Slack commands and buttons are off: WARROOM_SLACK_SIGNING_SECRET is not set")
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    if not verifier.is_valid(body, request.headers.get("x-slack-request-timestamp"), request.headers.get("x-slack-signature")):
        raise HTTPException(401, "invalid or stale Slack signature")
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


class SlackWork:
    """The gateway's Slack side: work left running after the answer (kept until
    done, failures logged, never lost to the garbage collector), replies to
    `response_url`, and the Web API calls interactivity needs (`views.open`,
    `views.update`, `chat.update`) when a bot token is set."""

    def __init__(self, settings: Settings):
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        # The workers' client and budgets: the gateway's calls count against Slack's limits too.
        pace = SlackPace(SlackBudgets(Database(settings.database)), settings.slack_rate_window.total_seconds())
        self.slack = SlackChat(token, settings.slack_api_url, pace=pace) if token else None
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(self._logged(work))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        """Wait for the work started so far (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("Slack work failed after Slack had its answer")

    async def respond(self, response_url: str | None, body: dict[str, Any]) -> None:
        """Reply where the command or click came from (ephemeral unless `body` says otherwise)."""
        if not response_url:
            return
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(response_url, json=body)
        if answer.is_error:
            log.warning("Slack response_url refused the reply: HTTP %s", answer.status_code)

    async def call(self, method: str, **args: Any) -> dict[str, Any] | None:
        """One Web API call, paced ahead of the workers' topics and invites
        (someone is looking at the form or the message); None (and a warning)
        when there is no token, no budget left or Slack refuses."""
        if self.slack is None:
            log.warning("cannot call Slack %s: WARROOM_SLACK_BOT_TOKEN is not set", method)
            return None
        try:
            with urgently():
                return await self.slack.call(method, **args)
        except ApplicationError as err:
            log.warning("Slack %s not done: %s", method, err.message)
            return None


def slack_work(request: Request) -> SlackWork:
    return request.app.state.slack
