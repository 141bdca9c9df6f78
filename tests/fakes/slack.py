"""A Slack Web API fake: `POST|GET /api/<method>`, `ok:false` errors as Slack
documents them (HTTP 200 with an `error` code; `ratelimited` as HTTP 429 with
Retry-After), channel name rules, message metadata."""

from __future__ import annotations

import itertools
import json
import re
import threading
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from starlette.responses import Response

from tests.fakes.server import Faults, json_response

WRITES = {
    "conversations.create", "conversations.setPurpose", "conversations.setTopic", "conversations.invite",
    "conversations.archive", "bookmarks.add", "chat.postMessage", "conversations.open", "chat.update", "conversations.join",
}
NAME_OK = re.compile(r"[a-z0-9_-]+")
USER_ID = re.compile(r"[UW][A-Z0-9]+")


def truthy(value: Any) -> bool:
    return str(value).lower() in {"1", "true"}


class FakeSlack:
    def __init__(self, token: str = "xoxb-test-token", faults: Faults | None = None, bot_user: str = "UBOT"):
        self.token = token
        self.faults = faults or Faults()
        self.bot_user = bot_user
        self.channels: dict[str, dict[str, Any]] = {}
        self.users = {"alice@example.com": "UALICE", "bob@example.com": "UBOB"}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.calls: list[str] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the modal as last opened or updated
        self.triggers_used: set[str] = set()
        self.app = FastAPI()
        self.app.add_api_route("/api/{method}", self.handle, methods=["GET", "POST"])
        self.replies: list[dict[str, Any]] = []  # what was posted to a response_url (`<url>/hooks/...`)
        self.app.add_api_route("/hooks/{path:path}", self.hook, methods=["POST"])

    # --- inspection for tests ---------------------------------------------------------

    def channel(self, name: str) -> dict[str, Any]:
        return next(c for c in self.channels.values() if c["name"] == name)

    def add_channel(self, name: str, members: list[str] | None = None) -> str:
        """A channel people made (the bot not in it unless named): an announcements channel."""
        cid = f"C{next(self.ids):06d}"
        self.channels[cid] = {
            "id": cid, "name": name, "creator": "UHUMAN", "is_archived": False, "is_channel": True,
            "purpose": {"value": ""}, "topic": {"value": ""}, "members": members or ["UHUMAN"], "bookmarks": [],
            "messages": [],
        }
        return cid

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        return self.channels[channel_id]["messages"]

    # --- HTTP -------------------------------------------------------------------------

    async def handle(self, method: str, request: Request) -> Response:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            if request.headers.get("content-type", "").startswith("application/json"):
                params.update(await request.json())
            else:
                params.update(parse_qsl((await request.body()).decode()))
        self.calls.append(method)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self.error("invalid_auth")
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return self.error("unknown_method")
        if method not in WRITES:
            with self.lock:
                return handler(params)

        def apply() -> Response:
            with self.lock:
                return handler(params)

        return self.faults.write(
            apply,
            busy=lambda after: json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(after)}),
            broken=lambda: json_response({"ok": False, "error": "internal_error"}, 500, self.faults.retry_header),
        )

    @staticmethod
    def ok(**body: Any) -> Response:
        return json_response({"ok": True, **body})

    @staticmethod
    def error(code: str) -> Response:
        return json_response({"ok": False, "error": code})

    def _channel(self, params: dict[str, Any], key: str = "channel") -> dict[str, Any] | None:
        return self.channels.get(params.get(key, ""))

    # --- methods ----------------------------------------------------------------------

    def m_auth_test(self, params: dict[str, Any]) -> Response:
        return self.ok(user_id=self.bot_user, team="T1", url="https://fake.slack.test/")

    def m_conversations_create(self, params: dict[str, Any]) -> Response:
        name = params.get("name", "")
        if len(name) > 80:
            return self.error("invalid_name_maxlength")
        if not NAME_OK.fullmatch(name):
            return self.error("invalid_name_specials")
        if any(c["name"] == name for c in self.channels.values()):
            return self.error("name_taken")
        cid = f"C{next(self.ids):06d}"
        self.channels[cid] = {
            "id": cid, "name": name, "creator": self.bot_user, "is_archived": False, "is_channel": True,
            "purpose": {"value": ""}, "topic": {"value": ""}, "members": [self.bot_user], "bookmarks": [],
            "messages": [],
        }
        return self.ok(channel=self._public(self.channels[cid]))

    def _public(self, channel: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in channel.items() if k not in {"messages", "bookmarks", "members"}}
        return shown | {"is_member": self.bot_user in channel["members"]}

    def m_conversations_join(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None or channel.get("is_im"):
            return self.error("channel_not_found")
        if channel["is_archived"]:
            return self.error("is_archived")
        if self.bot_user not in channel["members"]:
            channel["members"].append(self.bot_user)
        return self.ok(channel=self._public(channel))

    def m_conversations_list(self, params: dict[str, Any]) -> Response:
        """Pages of two channels, to make callers follow `next_cursor`."""
        channels = [c for c in self.channels.values() if not (truthy(params.get("exclude_archived")) and c["is_archived"])]
        start = int(params.get("cursor") or 0)
        page = channels[start : start + 2]
        cursor = str(start + 2) if start + 2 < len(channels) else ""
        return self.ok(channels=[self._public(c) for c in page], response_metadata={"next_cursor": cursor})

    def m_conversations_setPurpose(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        channel["purpose"] = {"value": params["purpose"][:250]}
        return self.ok(purpose=params["purpose"])

    def m_conversations_setTopic(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        if channel["is_archived"]:
            return self.error("is_archived")
        if len(params.get("topic", "")) > 250:
            return self.error("too_long")
        channel["topic"] = {"value": params["topic"]}
        return self.ok(channel=self._public(channel))

    def m_conversations_invite(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        users = params["users"].split(",")
        if any(not USER_ID.fullmatch(u) for u in users):  # ids only: a name or an address is `user_not_found`
            return self.error("user_not_found")
        if all(u in channel["members"] for u in users):
            return self.error("already_in_channel")
        channel["members"] += [u for u in users if u not in channel["members"]]
        return self.ok(channel=self._public(channel))

    def m_conversations_members(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        return self.ok(members=channel["members"], response_metadata={"next_cursor": ""})

    def m_conversations_archive(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        if channel["is_archived"]:
            return self.error("already_archived")
        channel["is_archived"] = True
        return self.ok()

    def m_conversations_open(self, params: dict[str, Any]) -> Response:
        user = params["users"]
        if not USER_ID.fullmatch(user):  # Slack wants user ids; a name or an e-mail address is `user_not_found`
            return self.error("user_not_found")
        cid = f"D-{user}"
        self.channels.setdefault(cid, {
            "id": cid, "name": cid, "creator": user, "is_archived": False, "is_im": True,
            "purpose": {"value": ""}, "topic": {"value": ""}, "members": [user], "bookmarks": [], "messages": [],
        })
        return self.ok(channel={"id": cid})

    def m_conversations_history(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        limit = int(params.get("limit") or 100)
        newest_first = list(reversed(channel["messages"]))
        if latest := params.get("latest"):  # messages up to `latest`, itself only when `inclusive`
            newest_first = [m for m in newest_first if float(m["ts"]) < float(latest) or (truthy(params.get("inclusive")) and m["ts"] == latest)]
        newest_first = newest_first[:limit]
        with_meta = truthy(params.get("include_all_metadata"))
        out = [{k: v for k, v in m.items() if with_meta or k != "metadata"} for m in newest_first]
        return self.ok(messages=out, has_more=len(channel["messages"]) > limit)

    def m_chat_postMessage(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        if channel["is_archived"]:
            return self.error("is_archived")
        if not channel.get("is_im") and self.bot_user not in channel["members"]:
            return self.error("not_in_channel")
        if not params.get("text"):
            return self.error("no_text")
        message = {"type": "message", "ts": f"{next(self.ids)}.000100", "text": params["text"], "user": self.bot_user}
        if params.get("blocks"):
            message["blocks"] = json.loads(params["blocks"]) if isinstance(params["blocks"], str) else params["blocks"]
        if params.get("metadata"):
            meta = params["metadata"]
            message["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
        channel["messages"].append(message)
        return self.ok(channel=channel["id"], ts=message["ts"], message=message)

    def m_bookmarks_list(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params, "channel_id")
        if channel is None:
            return self.error("channel_not_found")
        return self.ok(bookmarks=channel["bookmarks"])

    def m_bookmarks_add(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params, "channel_id")
        if channel is None:
            return self.error("channel_not_found")
        if not params.get("title") or params.get("type") != "link" or not params.get("link"):
            return self.error("invalid_arguments")  # a link bookmark needs title, type=link and link
        if channel["is_archived"]:
            return self.error("is_archived")
        bookmark = {"id": f"Bk{next(self.ids)}", "title": params["title"], "link": params.get("link"), "type": params["type"]}
        channel["bookmarks"].append(bookmark)
        return self.ok(bookmark=bookmark)

    def m_users_lookupByEmail(self, params: dict[str, Any]) -> Response:
        user = self.users.get(params.get("email", ""))
        return self.ok(user={"id": user}) if user else self.error("users_not_found")

    # --- interactivity: messages rewritten after a click, modals ------------------------

    async def hook(self, path: str, request: Request) -> Response:
        """A `response_url` (Slack's hooks.slack.com): JSON in, `ok` out."""
        self.replies.append({"path": path, **await request.json()})
        return Response("ok")

    def m_chat_update(self, params: dict[str, Any]) -> Response:
        channel = self._channel(params)
        if channel is None:
            return self.error("channel_not_found")
        message = next((m for m in channel["messages"] if m["ts"] == params.get("ts")), None)
        if message is None:
            return self.error("message_not_found")
        if message.get("user") != self.bot_user:
            return self.error("cant_update_message")
        if not params.get("text") and not params.get("blocks"):
            return self.error("no_text")
        for field in ("text", "blocks"):
            if params.get(field):
                value = params[field]
                message[field] = json.loads(value) if field == "blocks" and isinstance(value, str) else value
        message["edited"] = {"user": self.bot_user, "ts": f"{next(self.ids)}.000200"}
        return self.ok(channel=channel["id"], ts=message["ts"], text=message["text"])

    def m_views_open(self, params: dict[str, Any]) -> Response:
        """A trigger id opens one modal (Slack: valid for three seconds, used once)."""
        trigger, view = params.get("trigger_id"), params.get("view")
        if not trigger or not view:
            return self.error("invalid_arguments")
        if trigger in self.triggers_used:
            return self.error("expired_trigger_id")
        self.triggers_used.add(trigger)
        view = json.loads(view) if isinstance(view, str) else view
        view_id = f"V{next(self.ids):06d}"
        self.views[view_id] = {**view, "id": view_id}
        return self.ok(view=self.views[view_id])

    def m_views_update(self, params: dict[str, Any]) -> Response:
        view_id, view = params.get("view_id"), params.get("view")
        if view_id not in self.views:
            return self.error("not_found")
        view = json.loads(view) if isinstance(view, str) else view
        self.views[view_id] = {**view, "id": view_id}
        return self.ok(view=self.views[view_id])
