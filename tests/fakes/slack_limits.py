"""Slack's rate limits in front of the Slack fake, as a layer of their own.

Slack limits each Web API method per workspace by tier (calls per minute: tier
2 twenty, tier 3 fifty, tier 4 a hundred) and `chat.postMessage` to about one
a second per channel, and answers a call over the limit with HTTP 429, a
`Retry-After` header in seconds and `{"ok": false, "error": "ratelimited"}`
(https://docs.slack.dev/apis/web-api/rate-limits; tiers from each method's
reference page). This layer counts calls per method (per channel for
`chat.postMessage`) in a sliding window; `window` is Slack's minute, shortened
so that tests run a storm in seconds. The method's handler never sees a
refused call."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter, defaultdict, deque
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PER_MINUTE = {2: 20, 3: 50, 4: 100}
TIER = {
    "conversations.list": 2, "conversations.create": 2, "conversations.setPurpose": 2, "conversations.setTopic": 2,
    "conversations.archive": 2, "bookmarks.add": 2, "conversations.invite": 3, "conversations.open": 3,
    "conversations.history": 3, "bookmarks.list": 3, "users.lookupByEmail": 3, "chat.update": 3,
    "conversations.members": 4, "auth.test": 4, "views.open": 4, "views.update": 4,
}
POSTS_PER_MINUTE = 60


class SlackRateLimits:
    def __init__(self, app: ASGIApp, window: float = 60.0):
        self.app = app
        self.window = window
        self.calls: dict[str, deque[float]] = defaultdict(deque)
        self.limited: Counter[str] = Counter()  # 429s answered, by method
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/"):
            return await self.app(scope, receive, send)
        method = path.removeprefix("/api/")
        body, replay = await _buffered(receive)
        key, limit = self.budget(method, scope, body)
        retry_after = self.count(key, limit)
        if retry_after is None:
            return await self.app(scope, replay, send)
        self.limited[method] += 1
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode()),
        ]})
        await send({"type": "http.response.body", "body": json.dumps({"ok": False, "error": "ratelimited"}).encode()})

    def budget(self, method: str, scope: Scope, body: bytes) -> tuple[str, int]:
        if method == "chat.postMessage":
            return f"{method}:{_params(scope, body).get('channel', '')}", POSTS_PER_MINUTE
        return method, PER_MINUTE[TIER.get(method, 2)]

    def count(self, key: str, limit: int) -> int | None:
        """Record a call; None when within the limit, else the seconds until it would be."""
        now = time.monotonic()
        with self.lock:
            calls = self.calls[key]
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= limit:
                return max(1, math.ceil(calls[0] + self.window - now))
            calls.append(now)
            return None


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it on again."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _params(scope: Scope, body: bytes) -> dict[str, Any]:
    headers = dict(scope.get("headers") or [])
    if headers.get(b"content-type", b"").startswith(b"application/json"):
        try:
            return json.loads(body or b"{}")
        except ValueError:
            return {}
    return dict(parse_qsl(body.decode("utf-8", "replace")))
