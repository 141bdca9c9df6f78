"""The built-in tracker: one issue per postmortem action item, numbered by the
database. An incident's action item has one issue at most (a unique key on
incident and item number), so a retried or concurrent create finds the issue
the first one made."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select

from store.db import Database, utc
from store.tables import tracker_issues as issues


class NewIssue(BaseModel):
    incident_id: str
    number: int
    title: str
    owner: str
    due: date
    severity: str
    description: str


class Issue(NewIssue):
    id: int
    status: Literal["open", "done"]
    created_at: datetime


class Tracker:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, new: NewIssue) -> Issue:
        """The action item's issue, created unless it exists."""
        if found := await self._find(new):  # a retry: no insert, which would spend a number on PostgreSQL
            return found
        row = {**new.model_dump(), "status": "open", "created_at": datetime.now(UTC)}
        async with self.db.transaction() as session:
            await session.execute(self.db.insert(issues).values(**row).on_conflict_do_nothing())
        found = await self._find(new)
        assert found is not None
        return found

    async def issue(self, id: int) -> Issue | None:
        return await self._one(issues.c.id == id)

    async def _find(self, new: NewIssue) -> Issue | None:
        return await self._one((issues.c.incident_id == new.incident_id) & (issues.c.number == new.number))

    async def _one(self, where: ColumnElement[bool]) -> Issue | None:
        async with self.db.reading() as session:
            row = (await session.execute(select(issues).where(where))).mappings().first()
        return None if row is None else Issue(**{**row, "created_at": utc(row["created_at"])})
