"""Chat: the incident channel, status updates, reminders and direct messages.

`ChatBackend` is what a chat service must offer; `LocalChat` keeps channels and
their logs in warroom's database, the Slack adapter talks to Slack. Every
write carries an idempotency key so a retried activity never posts twice.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from typing import Protocol

from temporalio import activity

from store.chat import ChannelLog, NewChannel
from store.db import Database
from warroom.models import ChannelRef
from warroom.rules.requests import (
    ChannelArchive, ChannelBookmark, ChannelInvite, ChannelPost, ChannelTopic, DirectMessage, OpenChannel,
)


def channel_name(declared_on: date, title: str, max_len: int = 80) -> str:
    """`incident-<yyyy-mm-dd>-<slug>` within Slack's rules: lowercase letters,
    digits, `-` and `_`, at most 80 characters. Any title gives a valid name:
    accents fold to ASCII, emoji and punctuation become separators."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "incident"
    prefix = f"incident-{declared_on.isoformat()}-"
    return (prefix + slug)[:max_len].rstrip("-")


class ChatBackend(Protocol):
    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Open (or find) the channel and post `req.first_post` in it, once."""
        ...

    async def post(self, req: ChannelPost) -> None: ...
    async def set_topic(self, req: ChannelTopic) -> None: ...
    async def bookmark(self, req: ChannelBookmark) -> None: ...
    async def archive(self, req: ChannelArchive) -> None: ...
    async def invite(self, req: ChannelInvite) -> dict[str, str]:
        """Add people to the channel; who could not be added, and why."""
        ...
    async def direct(self, req: DirectMessage) -> None: ...


class LocalChat:
    """Channels in warroom's database (`store.chat`), shared by every worker: a
    channel's record, its bookmarks and its log of messages. Each message
    carries its idempotency key, so a retried post is logged once."""

    def __init__(self, db: Database):
        self.log = ChannelLog(db)

    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Claim the first free name (`-2`, `-3`... when another incident has it),
        or find the one this incident claimed on an earlier attempt."""
        channel = NewChannel(incident_id=req.incident_id, topic=req.topic, members=sorted(set(req.invite)), bookmarks=req.bookmarks)
        name = await self.log.open(
            channel, _names(channel_name(req.declared_on, req.title)),
            lambda name: f"#{name} opened for {req.title}", f"{req.incident_id}:open",
        )
        ref = ChannelRef(id=name, name=name)
        if first := req.first_message(ref):
            await self.post(first)
        return ref

    async def post(self, req: ChannelPost) -> None:
        name = req.channel.name if req.channel else f"incident-log-{req.incident_id}"
        await self.log.post(name, "message", req.text, req.idempotency_key)

    async def set_topic(self, req: ChannelTopic) -> None:
        await self.log.set_topic(req.channel.name, req.topic)

    async def bookmark(self, req: ChannelBookmark) -> None:
        await self.log.bookmark(req.channel.name, req.title, req.link)

    async def archive(self, req: ChannelArchive) -> None:
        await self.log.archive(req.channel.name, "channel archived", f"{req.incident_id}:archive")

    async def invite(self, req: ChannelInvite) -> dict[str, str]:
        await self.log.add_members(req.channel.name, req.users)
        return {}

    async def direct(self, req: DirectMessage) -> None:
        await self.log.post(f"dm-{_safe(req.user)}", "direct", req.text, req.idempotency_key)


def _names(base: str) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`... each within 80 characters."""
    yield base
    for n in itertools.count(2):
        suffix = f"-{n}"
        yield base[: 80 - len(suffix)] + suffix


def _safe(user: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "_", user)


class ChatActivities:
    """The Temporal face of whichever chat backend is configured."""

    def __init__(self, backend: ChatBackend):
        self.backend = backend

    @activity.defn
    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Open (or find) the channel and post its first message: one activity
        instead of two. Both steps are idempotent, so a retry repeats neither."""
        return await self.backend.open_channel(req)

    @activity.defn
    async def post_to_channel(self, req: ChannelPost) -> None:
        await self.backend.post(req)

    @activity.defn
    async def set_channel_topic(self, req: ChannelTopic) -> None:
        await self.backend.set_topic(req)

    @activity.defn
    async def bookmark_channel(self, req: ChannelBookmark) -> None:
        await self.backend.bookmark(req)

    @activity.defn
    async def archive_channel(self, req: ChannelArchive) -> None:
        await self.backend.archive(req)

    @activity.defn
    async def invite_to_channel(self, req: ChannelInvite) -> dict[str, str]:
        return await self.backend.invite(req)

    @activity.defn
    async def send_direct_message(self, req: DirectMessage) -> None:
        await self.backend.direct(req)
