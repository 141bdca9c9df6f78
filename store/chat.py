"""The built-in channel log: channels, their bookmarks and their messages, in
the database so every worker shares them.

Every write is one transaction and idempotent: a channel name is claimed by
its primary key (two workers never take one name, and a retry by the incident
that holds it finds it), a message by its idempotency key within its channel.
Each transaction writes before it reads: SQLite's driver starts the
transaction, and takes the write lock, at the first write, so a read before it
would be outside the transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database, utc
from store.tables import channel_bookmarks as bookmarks, channel_messages as messages, channels


class NewChannel(BaseModel):
    incident_id: str
    topic: str
    members: list[str]
    bookmarks: dict[str, str]


class Channel(NewChannel):
    name: str
    archived: bool
    created_at: datetime


class Message(BaseModel):
    kind: str
    text: str
    key: str
    at: datetime


class ChannelLog:
    def __init__(self, db: Database):
        self.db = db

    async def open(self, channel: NewChannel, names: Iterable[str], opened: Callable[[str], str], key: str) -> str:
        """Claim the first of `names` that is free, or the one this incident
        already holds, and log its opening (`opened(name)`, once by `key`);
        returns the name. A name another incident holds is passed over."""
        async with self.db.transaction() as session:
            for name in names:
                row = {**channel.model_dump(exclude={"bookmarks"}), "name": name, "archived": False, "created_at": _now()}
                claim = self.db.insert(channels).values(**row).on_conflict_do_nothing().returning(channels.c.name)
                if (await session.execute(claim)).first() is not None:
                    for title, link in channel.bookmarks.items():
                        await session.execute(self.db.insert(bookmarks).values(channel=name, title=title, link=link))
                elif await session.scalar(select(channels.c.incident_id).where(channels.c.name == name)) != channel.incident_id:
                    continue
                await self._append(session, name, "opened", opened(name), key)
                return name
        raise ValueError("no channel name left to claim")

    async def post(self, channel: str, kind: str, text: str, key: str) -> None:
        async with self.db.transaction() as session:
            await self._append(session, channel, kind, text, key)

    async def set_topic(self, channel: str, topic: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(update(channels).where(channels.c.name == channel).values(topic=topic))

    async def bookmark(self, channel: str, title: str, link: str) -> None:
        insert = self.db.insert(bookmarks).values(channel=channel, title=title, link=link)
        async with self.db.transaction() as session:
            await session.execute(insert.on_conflict_do_update(index_elements=[bookmarks.c.channel, bookmarks.c.title], set_={"link": link}))

    async def add_members(self, channel: str, people: list[str]) -> None:
        """Add whoever is not a member yet (a retry adds no one twice)."""
        async with self.db.transaction() as session:  # a no-op write first: it locks the row (see above)
            await session.execute(update(channels).where(channels.c.name == channel).values(archived=channels.c.archived))
            members = await session.scalar(select(channels.c.members).where(channels.c.name == channel))
            if members is not None and (new := [p for p in people if p not in members]):
                await session.execute(update(channels).where(channels.c.name == channel).values(members=members + new))

    async def archive(self, channel: str, text: str, key: str) -> None:
        """Mark the channel archived and log it (once by `key`), together."""
        async with self.db.transaction() as session:
            await session.execute(update(channels).where(channels.c.name == channel).values(archived=True))
            await self._append(session, channel, "archived", text, key)

    async def channel(self, name: str) -> Channel | None:
        async with self.db.reading() as session:
            row = (await session.execute(select(channels).where(channels.c.name == name))).mappings().first()
            if row is None:
                return None
            pinned = (await session.execute(select(bookmarks.c.title, bookmarks.c.link).where(bookmarks.c.channel == name))).all()
        return Channel(**{**row, "created_at": utc(row["created_at"]), "bookmarks": dict(pinned)})

    async def messages(self, channel: str) -> list[Message]:
        """The channel's messages, oldest first."""
        query = select(messages.c.kind, messages.c.text, messages.c.key, messages.c.at).where(messages.c.channel == channel)
        async with self.db.reading() as session:
            rows = (await session.execute(query.order_by(messages.c.id))).mappings().all()
        return [Message(**{**row, "at": utc(row["at"])}) for row in rows]

    async def _append(self, session: AsyncSession, channel: str, kind: str, text: str, key: str) -> None:
        row = {"channel": channel, "kind": kind, "text": text, "key": key, "at": _now()}
        await session.execute(self.db.insert(messages).values(**row).on_conflict_do_nothing())


def _now() -> datetime:
    return datetime.now(UTC)
