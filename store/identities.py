"""People's accounts in other services, found by e-mail and remembered.

Slack's `users.lookupByEmail` and Jira's user search answer the same for a
person for as long as they have the account, so each is asked once and the
answer kept here, in warroom's database: every worker shares it, and it
outlives worker restarts (a cache in memory would ask again after each one).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from store.db import Database
from store.tables import identities


class Identities:
    def __init__(self, db: Database, service: str):
        self.db = db
        self.service = service

    async def get(self, email: str) -> str | None:
        query = select(identities.c.account).where(identities.c.service == self.service, identities.c.email == email.lower())
        async with self.db.reading() as session:
            return await session.scalar(query)

    async def remember(self, email: str, account: str) -> None:
        row = {"service": self.service, "email": email.lower(), "account": account, "found_at": datetime.now(UTC)}
        insert = self.db.insert(identities).values(**row)
        async with self.db.transaction() as session:
            await session.execute(insert.on_conflict_do_update(
                index_elements=[identities.c.service, identities.c.email], set_={"account": account, "found_at": row["found_at"]},
            ))
