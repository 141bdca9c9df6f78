"""Slack's rate limits, kept by every worker together.

Slack limits each Web API method per workspace by tier (calls per minute:
tier 1 one, tier 2 twenty, tier 3 fifty, tier 4 a hundred) and
`chat.postMessage` to about one message a second per channel; over it, the
answer is 429 with Retry-After (https://docs.slack.dev/apis/web-api/rate-limits;
each method's tier is on its reference page). `SlackPace` spaces the calls of
all workers at those rates through the shared budgets in the database
(`store.slack_budget`), lets pages, reminders and updates (`urgent`) go before
topics, bookmarks, invites and archiving, and on a 429 holds the method for
everyone until Retry-After has passed.

A wait that would outlast the activity's attempt is not waited for: the
activity fails retryably with that delay instead, so Temporal schedules the
retry for when Slack will take it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from temporalio import activity

from activities.failures import MAX_RETRY_AFTER, retryable
from store.slack_budget import SlackBudgets

PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
TIERS = {
    "auth.test": 4, "bookmarks.add": 2, "bookmarks.list": 3, "chat.update": 3, "conversations.archive": 2,
    "conversations.create": 2, "conversations.history": 3, "conversations.invite": 3, "conversations.list": 2,
    "conversations.members": 4, "conversations.open": 3, "conversations.setPurpose": 2, "conversations.setTopic": 2,
    "users.lookupByEmail": 3, "views.open": 4, "views.update": 4,
}
POSTS_PER_MINUTE = 60  # chat.postMessage, per channel
MAX_WAIT = 20.0  # seconds one call waits in place; longer, the activity retries later
MARGIN = 5.0  # seconds kept for the call itself within the attempt

urgent: ContextVar[bool] = ContextVar("slack_urgent", default=False)


@contextmanager
def urgently() -> Iterator[None]:
    """The calls made inside go before the others (pages, reminders, updates)."""
    token = urgent.set(True)
    try:
        yield
    finally:
        urgent.reset(token)


class SlackPace:
    """Waits before each call until the shared budget lets it go. `minute` is
    the window Slack's tiers count in (`WARROOM_SLACK_RATE_WINDOW`): tests
    shrink it to run a storm in seconds."""

    def __init__(self, budgets: SlackBudgets, minute: float = 60.0):
        self.budgets = budgets
        self.minute = minute

    def key(self, method: str, args: dict[str, Any]) -> tuple[str, float]:
        """The budget a call draws on, and the seconds between its calls."""
        if method == "chat.postMessage":
            return f"{method}:{args.get('channel', '')}", self.minute / POSTS_PER_MINUTE
        return method, self.minute / PER_MINUTE[TIERS.get(method, 2)]

    async def wait(self, method: str, args: dict[str, Any]) -> None:
        key, interval = self.key(method, args)
        while True:
            patience = min(MAX_WAIT, remaining())
            delay, taken = await self.budgets.take(key, interval, time.time(), urgent.get(), patience)
            if delay > patience:
                raise retryable("Slack", f"{method}: Slack's rate budget is spent for {delay:.0f} s", min(delay, MAX_RETRY_AFTER))
            await asyncio.sleep(delay)
            if taken:
                return

    async def hold(self, method: str, args: dict[str, Any], seconds: float) -> None:
        await self.budgets.hold(self.key(method, args)[0], time.time() + seconds)


def remaining() -> float:
    """Seconds left for waiting in this activity attempt (unbounded outside an activity)."""
    if not activity.in_activity():
        return MAX_WAIT
    info = activity.info()
    if info.start_to_close_timeout is None:
        return MAX_WAIT
    ends = info.started_time + info.start_to_close_timeout
    return max(0.0, (ends - datetime.now(UTC)).total_seconds() - MARGIN)
