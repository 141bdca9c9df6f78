"""Postmortem drafts: one row per incident, written from its timeline by the
worker and read by the gateway, which serves it at `/postmortems/<incident>`.

Writing is idempotent by incident id: a retried activity writes the same row
again. An automatic draft never replaces one that exists (people may be
working from it); only an explicit request for a new draft does."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select

from store.db import Database, utc
from store.tables import postmortem_drafts as drafts


class Draft(BaseModel):
    incident_id: str
    markdown: str
    generated_at: datetime  # when it was rendered from the timeline (the workflow's time)
    updated_at: datetime  # when this text was stored


class PostmortemDrafts:
    def __init__(self, db: Database):
        self.db = db

    async def save(self, incident_id: str, markdown: str, generated_at: datetime, *, replace: bool) -> bool:
        """Store the draft; False when one exists and `replace` is not asked for
        (that one stays as it is)."""
        row = {
            "incident_id": incident_id, "markdown": markdown,
            "generated_at": generated_at.astimezone(UTC), "updated_at": datetime.now(UTC),
        }
        insert = self.db.insert(drafts).values(**row)
        if replace:
            statement = insert.on_conflict_do_update(
                index_elements=[drafts.c.incident_id],
                set_={name: insert.excluded[name] for name in ("markdown", "generated_at", "updated_at")},
            )
        else:
            statement = insert.on_conflict_do_nothing(index_elements=[drafts.c.incident_id])
        async with self.db.transaction() as session:
            written = (await session.execute(statement.returning(drafts.c.incident_id))).first()
        return written is not None

    async def get(self, incident_id: str) -> Draft | None:
        async with self.db.reading() as session:
            row = (await session.execute(select(drafts).where(drafts.c.incident_id == incident_id))).mappings().first()
        if row is None:
            return None
        return Draft(**{**row, "generated_at": utc(row["generated_at"]), "updated_at": utc(row["updated_at"])})

