"""Slack's rate budgets in the database, so every worker draws on the same
ones: per key (a Web API method, or `chat.postMessage:<channel>`), the moment
from which the next call may go.

Urgent callers (pages, reminders, updates) queue: each reserves the next free
moment, however far ahead. Others (topics, bookmarks, invites, archiving) take
a moment only when it is free now, that is when no urgent call has reserved
one ahead; otherwise they are told how long to wait and ask again. So urgent
calls overtake the others, and the method's pace holds either way. A 429
holds the key for everyone until its Retry-After has passed.
"""

from __future__ import annotations

from sqlalchemy import case, select, update

from store.db import Database
from store.tables import slack_budget as budget


class SlackBudgets:
    def __init__(self, db: Database):
        self.db = db

    async def take(self, key: str, interval: float, now: float, urgent: bool, horizon: float) -> tuple[float, bool]:
        """(seconds from `now` until the call may go, whether it is reserved).
        Urgent calls reserve up to `horizon` ahead; others only now. Unreserved,
        the seconds say when to ask again."""
        async with self.db.transaction() as session:
            await session.execute(  # write first: SQLite takes its lock at the first write
                self.db.insert(budget).values(method=key, next_at=0.0).on_conflict_do_nothing()
            )
            # FOR UPDATE: on PostgreSQL two workers must not read the same free moment (SQLite's write lock does it there)
            free = await session.scalar(select(budget.c.next_at).where(budget.c.method == key).with_for_update())
            if free > now and (not urgent or free - now > horizon):
                return free - now, False
            slot = max(now, free)
            await session.execute(update(budget).where(budget.c.method == key).values(next_at=slot + interval))
            return slot - now, True

    async def hold(self, key: str, until: float) -> None:
        """Slack answered 429: nobody calls `key` before `until`."""
        async with self.db.transaction() as session:
            await session.execute(self.db.insert(budget).values(method=key, next_at=until).on_conflict_do_nothing())
            later = case((budget.c.next_at > until, budget.c.next_at), else_=until)
            await session.execute(update(budget).where(budget.c.method == key).values(next_at=later))
