"""Slack as the chat backend, through `slack_sdk`'s AsyncWebClient.

Retries must never duplicate anything, so every write first looks for its own
earlier result:

- channels carry the marker `[warroom:<incident id>]` in their purpose and are
  found by listing conversations before creating; a channel the bot created
  whose purpose was never set (the create answered but the attempt died) is
  claimed rather than duplicated;
- messages carry Slack message metadata `warroom_effect` with the idempotency
  key, and the recent history is searched for it before posting;
- bookmarks are matched by title, archiving accepts `already_archived`.

People are invited and messaged by Slack user id (Slack refuses names with
`user_not_found`); one known only by e-mail address is resolved with
`users.lookupByEmail`, and the answer remembered in warroom's database
(`store.identities`), so each person is looked up once. Someone with neither
cannot be reached here: the direct message fails with that reason, and the
incident tells its channel instead (`warroom.rules.people`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Collection
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from activities.chat import (
    ChannelArchive, ChannelBookmark, ChannelInvite, ChannelPost, ChannelTopic, DirectMessage, OpenChannel, channel_name,
)
from activities.failures import final, from_status, redact, retry_after_seconds, retryable
from activities.slack_blocks import message_blocks
from activities.slack_budget import SlackPace, urgently
from store.identities import Identities
from warroom.models import ChannelRef
from warroom.people import is_slack_user

log = logging.getLogger(__name__)

SERVICE = "Slack"
EVENT_TYPE = "warroom_effect"
MAX_NAME = 80
MAX_TOPIC = 250
HISTORY_WINDOW = 200
RATE_LIMITED_RETRIES = 5  # 429s answered in place (after Retry-After) before the activity retries
# Per-user invite answers that leave the channel usable; the rest fail the activity.
CHANNEL_ID = re.compile(r"[A-Z0-9-]+")  # channel ids are upper case; names (`#incidents`) never are
INVITE_SKIPPABLE = {"already_in_channel", "cant_invite_self", "user_not_found", "users_not_found", "user_is_restricted"}


def marker(incident_id: str) -> str:
    return f"[warroom:{incident_id}]"


class SlackChat:
    def __init__(self, token: str, api_url: str, *, identities: Identities | None = None, pace: SlackPace | None = None):
        self.token = token
        self.client = AsyncWebClient(token=token, base_url=api_url, timeout=20, retry_handlers=[])
        self.identities = identities
        self.pace = pace
        self._identity: dict[str, Any] | None = None
        self._named: dict[str, str] = {}  # channel name -> id, for channels named in config

    # --- ChatBackend ------------------------------------------------------------------

    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Create (or find) the channel and mark it as the incident's, post the
        first update (urgent), then topic, invites and bookmarks, which wait
        their turn behind other incidents' pages and updates."""
        channel = await self._create_channel(req.incident_id, channel_name(req.declared_on, req.title))
        if channel.get("purpose", {}).get("value", "") != self._purpose(req):
            await self._call("conversations_setPurpose", channel=channel["id"], purpose=self._purpose(req))
        ref = await self._ref(channel)
        if first := req.first_message(ref):
            await self.post(first)
        if channel.get("topic", {}).get("value", "") != req.topic[:MAX_TOPIC]:
            await self._call("conversations_setTopic", channel=channel["id"], topic=req.topic[:MAX_TOPIC])
        await self._invite(channel["id"], req.invite)
        await self._bookmark(channel["id"], req.bookmarks)
        return ref

    async def post(self, req: ChannelPost) -> None:
        if req.channel is None:
            raise final(SERVICE, "there is no incident channel to post in (opening it failed)")
        with urgently():  # updates and reminders go before topics and bookmarks
            channel = await self._channel_id(req.channel)
            blocks = message_blocks(req.text, req.incident_id, req.buttons)
            await self._post_once(channel, req.text, req.idempotency_key, blocks)

    async def set_topic(self, req: ChannelTopic) -> None:
        await self._call("conversations_setTopic", channel=req.channel.id, topic=req.topic[:MAX_TOPIC])

    async def bookmark(self, req: ChannelBookmark) -> None:
        await self._bookmark(req.channel.id, {req.title: req.link})

    async def archive(self, req: ChannelArchive) -> None:
        await self._call("conversations_archive", channel=req.channel.id, accept={"already_archived"})

    async def invite(self, req: ChannelInvite) -> dict[str, str]:
        return await self._invite(req.channel.id, req.users)

    async def direct(self, req: DirectMessage) -> None:
        with urgently():  # pages and reminders
            who = req.address or req.user
            user = await self._user_id(who)
            if user is None:
                how = "no Slack account has that e-mail address" if "@" in who else "no Slack user id or e-mail address is configured"
                raise final(SERVICE, f"{req.user} has no Slack identity: {how}")
            opened = await self._call("conversations_open", users=user)
            blocks = message_blocks(req.text, req.incident_id, req.buttons)
            await self._post_once(opened["channel"]["id"], req.text, req.idempotency_key, blocks)

    # --- channels ---------------------------------------------------------------------

    @staticmethod
    def _purpose(req: OpenChannel) -> str:
        return f"{req.severity} incident {req.title} {marker(req.incident_id)}"[-250:]

    async def _find_channel(self, incident_id: str, base: str) -> dict[str, Any] | None:
        """The incident's channel if an earlier attempt made it: by marker, or by
        name when the bot created it but never got to set the purpose."""
        bot = (await self._whoami()).get("user_id")
        unclaimed = None
        async for channel in self._channels():
            if marker(incident_id) in channel.get("purpose", {}).get("value", ""):
                return channel
            named_like = channel["name"] == base or channel["name"].startswith(base[: MAX_NAME - 3] + "-")
            if named_like and channel.get("creator") == bot and not channel.get("purpose", {}).get("value"):
                unclaimed = channel
        return unclaimed

    async def _channel_id(self, ref: ChannelRef) -> str:
        """A channel id as is. A channel named in `warroom.toml` (`#incidents`) is
        found once by name and joined when public, since Slack reads history
        (the duplicate check) only by id and posts only as a member."""
        if CHANNEL_ID.fullmatch(ref.id):
            return ref.id
        name = ref.name.lstrip("#")
        if name not in self._named:
            found = None
            async for channel in self._channels(exclude_archived=True):
                if channel["name"] == name:
                    found = channel
                    break
            if found is None:
                raise final(SERVICE, f"no channel #{name} the bot can see: create it, or invite the bot to it if private")
            if not found.get("is_member"):
                await self._call("conversations_join", channel=found["id"])
            self._named[name] = found["id"]
        return self._named[name]

    async def _channels(self, exclude_archived: bool = False):
        cursor = None
        while True:
            page = await self._call(
                "conversations_list", types="public_channel,private_channel", exclude_archived=exclude_archived,
                limit=200, cursor=cursor,
            )
            for channel in page.get("channels", []):
                yield channel
            cursor = page.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                return

    async def _create_channel(self, incident_id: str, base: str) -> dict[str, Any]:
        """Create `base`; a name held by another incident's channel gets `-2`, `-3`, ...
        Only a taken name costs a listing (Slack's tier 2: 20 a minute), to find
        whether an earlier attempt of this incident made the channel."""
        mine: dict[str, Any] | None | bool = False  # False: not looked for yet
        for n in range(1, 100):
            suffix = f"-{n}" if n > 1 else ""
            name = base[: MAX_NAME - len(suffix)].rstrip("-") + suffix
            created = await self._call("conversations_create", name=name, is_private=False, accept={"name_taken"})
            if created.get("ok"):
                return created["channel"]
            if mine is False:
                mine = await self._find_channel(incident_id, base)
            if mine:
                return mine
        raise final(SERVICE, f"no free channel name for {base}")

    async def _ref(self, channel: dict[str, Any]) -> ChannelRef:
        """The channel with a link people can click, from the workspace URL."""
        team_url = (await self._whoami()).get("url")
        url = f"{team_url.rstrip('/')}/archives/{channel['id']}" if team_url else None
        return ChannelRef(id=channel["id"], name=channel["name"], url=url)

    async def _invite(self, channel: str, invite: list[str]) -> dict[str, str]:
        """Invite one by one, skipping members, so a retry only does what is left
        and one unknown responder does not keep the others out; who was left out, and why."""
        members = set((await self._call("conversations_members", channel=channel, limit=1000)).get("members", []))
        missed: dict[str, str] = {}
        for who in invite:
            user = await self._user_id(who)
            if user is None:
                missed[who] = "no Slack user with that e-mail address" if "@" in who else "no Slack user id or e-mail address"
            elif user not in members:
                answer = await self._call("conversations_invite", channel=channel, users=user, accept=INVITE_SKIPPABLE)
                if not answer.get("ok") and answer.get("error") != "already_in_channel":
                    missed[who] = f"Slack answered {answer.get('error')}"
        for who, reason in missed.items():
            log.warning("could not invite %s: %s", who, reason)
        return missed

    async def _bookmark(self, channel: str, bookmarks: dict[str, str]) -> None:
        existing = await self._call("bookmarks_list", channel_id=channel)
        have = {b.get("title") for b in existing.get("bookmarks", [])}
        for title, link in bookmarks.items():
            if title not in have:
                await self._call("bookmarks_add", channel_id=channel, title=title, type="link", link=link)

    # --- messages ---------------------------------------------------------------------

    async def _post_once(self, channel: str, text: str, key: str, blocks: list[dict[str, Any]]) -> None:
        """Post `text` (the notification and fallback) as `blocks`, unless an earlier attempt did."""
        if await self._already_posted(channel, key):
            return
        await self._call(
            "chat_postMessage", channel=channel, text=text, blocks=blocks or None,
            metadata={"event_type": EVENT_TYPE, "event_payload": {"key": key}},
        )

    async def _already_posted(self, channel: str, key: str) -> bool:
        history = await self._call(
            "conversations_history", channel=channel, limit=HISTORY_WINDOW, include_all_metadata=True
        )
        for message in history.get("messages", []):
            meta = message.get("metadata") or {}
            if meta.get("event_type") == EVENT_TYPE and meta.get("event_payload", {}).get("key") == key:
                return True
        return False

    # --- users ------------------------------------------------------------------------

    async def _whoami(self) -> dict[str, Any]:
        """`auth.test`: the bot's user id and the workspace URL, asked once."""
        if self._identity is None:
            self._identity = await self._call("auth_test")
        return self._identity

    async def _user_id(self, who: str) -> str | None:
        """A Slack user id as is; an e-mail address looked up (once, then remembered); else None."""
        if is_slack_user(who):
            return who
        if "@" not in who:
            return None
        if self.identities and (known := await self.identities.get(who)):
            return known
        found = await self._call("users_lookupByEmail", email=who, accept={"users_not_found"})
        if not found.get("ok"):
            return None
        if self.identities:
            await self.identities.remember(who, found["user"]["id"])
        return found["user"]["id"]

    # --- transport --------------------------------------------------------------------

    async def call(self, api_method: str, **args: Any) -> dict[str, Any]:
        """Any Web API method by its name (`views.open`), paced and failing as the others do."""
        return await self._call(api_method.replace(".", "_"), **args)

    async def _call(self, method: str, accept: Collection[str] = (), **args: Any) -> dict[str, Any]:
        """One Web API call, paced by the shared rate budget; `accept` lists
        `ok:false` errors the caller handles (their response comes back instead
        of an exception). A 429 holds the method for every worker until its
        Retry-After has passed, then the call is made again, a few times."""
        args = {k: v for k, v in args.items() if v is not None}
        api_method = method.replace("_", ".")
        attempt = 0
        while True:
            if self.pace:
                await self.pace.wait(api_method, args)
            try:
                response = await getattr(self.client, method)(**args)
                return dict(response.data)
            except SlackApiError as err:
                data = err.response.data if isinstance(err.response.data, dict) else {}
                error = data.get("error") or "no error code"
                if err.response.status_code == 200 and error in accept:
                    return data
                retry_after = (err.response.headers or {}).get("Retry-After") or (err.response.headers or {}).get("retry-after")
                if self.pace and (err.response.status_code == 429 or error == "ratelimited") and attempt < RATE_LIMITED_RETRIES:
                    attempt += 1
                    await self.pace.hold(api_method, args, retry_after_seconds(retry_after))
                    continue
                raise self._failure(method, err.response.status_code, error, err.response.headers) from None
            except (aiohttp.ClientError, asyncio.TimeoutError) as err:
                raise retryable(SERVICE, f"{method}: {self._redact(type(err).__name__ + ' ' + str(err))}") from None

    def _failure(self, method: str, status: int, error: str, headers: Any) -> Exception:
        what = f"{method.replace('_', '.')} failed: {self._redact(error)}"
        retry_after = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
        if status == 200:
            if error in {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}:
                return from_status(SERVICE, 503, what, retry_after)
            return final(SERVICE, what)
        return from_status(SERVICE, status, what, retry_after)

    def _redact(self, text: str) -> str:
        return redact(text, [self.token])
