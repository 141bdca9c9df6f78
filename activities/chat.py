"""Chat: the incident channel, status updates, reminders and direct messages.

`ChatBackend` is what a chat service must offer; `LocalChat` keeps channels as
JSON-lines logs under the data directory, the Slack adapter talks to Slack. Every
write carries an idempotency key so a retried activity never posts twice.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from temporalio import activity

from activities.store import JsonStore, locked
from warroom.models import ChannelRef
from warroom.rules.requests import OpenChannel, ChannelPost, ChannelTopic, ChannelBookmark, ChannelArchive, DirectMessage


def channel_name(declared_on: date, title: str, max_len: int = 80) -> str:
    """`incident-<yyyy-mm-dd>-<slug>` within Slack's rules: lowercase letters,
    digits, `-` and `_`, at most 80 characters. Any title gives a valid name:
    accents fold to ASCII, emoji and punctuation become separators."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "incident"
    prefix = f"incident-{declared_on.isoformat()}-"
    return (prefix + slug)[:max_len].rstrip("-")


class ChatBackend(Protocol):
    async def open_channel(self, req: OpenChannel) -> ChannelRef: ...
    async def post(self, req: ChannelPost) -> None: ...
    async def set_topic(self, req: ChannelTopic) -> None: ...
    async def bookmark(self, req: ChannelBookmark) -> None: ...
    async def archive(self, req: ChannelArchive) -> None: ...
    async def direct(self, req: DirectMessage) -> None: ...


class LocalChat:
    """Channels as files: `channels/<name>.jsonl` the log, one JSON object a line,
    and `channels/<name>.json` the channel's record (incident, topic, members).

    One small record per channel, so the thousandth channel opens as fast as the
    first: a single registry of every channel ever opened made each open read
    and rewrite all of them (quadratic in an alert storm, and a growing cost on a
    long-lived install). A message line carries its idempotency key, so the key
    and the message are written by one append and a crash cannot separate them."""

    def __init__(self, data_dir: Path):
        self.dir = data_dir / "channels"
        _split_legacy_registry(data_dir / "channels.json", self)

    def log_path(self, name: str) -> Path:
        return self.dir / f"{name}.jsonl"

    def record(self, name: str) -> JsonStore:
        return JsonStore(self.dir / f"{name}.json", {})

    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Claim the first free name (`-2`, `-3`... when another incident has it)
        by linking a complete record into place: a link fails where the name
        exists, so two workers never claim one name, no lock is needed, and no
        reader sees half a record."""
        base = channel_name(req.declared_on, req.title)
        self.dir.mkdir(parents=True, exist_ok=True)
        record = {
            "incident_id": req.incident_id, "created_at": _now(), "archived": False, "topic": req.topic,
            "members": sorted(set(req.invite)), "bookmarks": req.bookmarks,
        }
        name, n = base, 1
        while not (taken := self.record(name)).create(record):
            if taken.read()["incident_id"] == req.incident_id:  # a retry: the channel is open
                break
            n += 1
            suffix = f"-{n}"
            name = base[: 80 - len(suffix)] + suffix
        self._append(name, "opened", f"#{name} opened for {req.title}", f"{req.incident_id}:open")
        return ChannelRef(id=name, name=name, url=str(self.log_path(name)))

    async def post(self, req: ChannelPost) -> None:
        name = req.channel.name if req.channel else f"incident-log-{req.incident_id}"
        self._append(name, "message", req.text, req.idempotency_key)

    async def set_topic(self, req: ChannelTopic) -> None:
        with self.record(req.channel.name).edit() as doc:
            doc["topic"] = req.topic

    async def bookmark(self, req: ChannelBookmark) -> None:
        with self.record(req.channel.name).edit() as doc:
            doc.setdefault("bookmarks", {})[req.title] = req.link

    async def archive(self, req: ChannelArchive) -> None:
        with self.record(req.channel.name).edit() as doc:
            doc["archived"] = True
        self._append(req.channel.name, "archived", "channel archived", f"{req.incident_id}:archive")

    async def direct(self, req: DirectMessage) -> None:
        self._append(f"dm-{_safe(req.user)}", "direct", req.text, req.idempotency_key)

    def _append(self, name: str, kind: str, text: str, key: str) -> None:
        path = self.log_path(name)
        with locked(path):
            if path.exists() and any(json.loads(line).get("key") == key for line in path.open()):
                return
            with path.open("a") as log:
                log.write(json.dumps({"at": _now(), "kind": kind, "text": text, "key": key}) + "\n")


def _split_legacy_registry(legacy: Path, chat: LocalChat) -> None:
    """Data directories from before per-channel records keep working: their
    `channels.json` becomes one record per channel, once."""
    if not legacy.exists():
        return
    with locked(chat.dir / "names"):
        if not legacy.exists():
            return
        for name, info in json.loads(legacy.read_text())["channels"].items():
            with chat.record(name).edit() as doc:
                doc.update(info)
        legacy.rename(legacy.with_suffix(".json.migrated"))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _safe(user: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "_", user)


class ChatActivities:
    """The Temporal face of whichever chat backend is configured."""

    def __init__(self, backend: ChatBackend):
        self.backend = backend

    @activity.defn
    async def open_channel(self, req: OpenChannel) -> ChannelRef:
        """Open (or find) the channel, then post its first message: one activity
        instead of two. Both steps are idempotent, so a retry repeats neither."""
        ref = await self.backend.open_channel(req)
        if req.first_post:
            first = req.first_post
            await self.backend.post(ChannelPost(incident_id=req.incident_id, channel=ref, text=first.text, idempotency_key=first.idempotency_key))
        return ref

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
    async def send_direct_message(self, req: DirectMessage) -> None:
        await self.backend.direct(req)
