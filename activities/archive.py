"""The incident archive: the closed incident's whole record (timeline, metrics,
action items, postmortem links) into the database (`store/archive.py`), read
by reports and follow-up. Idempotent: the same state gives the same row."""

from __future__ import annotations

from temporalio import activity

from store.archive import Archive
from store.db import Database
from warroom.rules.requests import ArchiveRequest


class ArchiveActivities:
    def __init__(self, db: Database):
        self.archive = Archive(db)

    @activity.defn
    async def archive_incident(self, req: ArchiveRequest) -> str:
        await self.archive.put(req.state)
        return req.state.id
