"""The alert record, written off the hot path: the intake notes what it
received and did, and a background task writes the notes in one INSERT every
half second. An alert is durable in Temporal before its 202; its record is
for counting and the dry run, so a gateway killed mid-flush loses at most that
half second of records, never an alert."""

from __future__ import annotations

import asyncio
import logging

from store.alerting import AlertRecords, Received
from store.db import Database

FLUSH_SECONDS = 0.5
log = logging.getLogger("warroom.gateway")


class AlertLog:
    def __init__(self, db: Database):
        self.records = AlertRecords(db)
        self.pending: list[Received] = []
        self._flusher: asyncio.Task[None] | None = None

    def note(self, received: list[Received]) -> None:
        self.pending += received
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        taken, self.pending = self.pending, []
        try:
            await self.records.add(taken)
        except Exception:  # the database is down: alerts still flow; the record has a gap
            log.exception("could not record %d alerts", len(taken))
