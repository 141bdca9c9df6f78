"""An incident's moments and the durations derived from them: time to detect,
acknowledge, mitigate and resolve (reports aggregate them across incidents)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel


class Metrics(BaseModel):
    started_at: datetime  # when impact began; the declaration when nobody said (`start_known` False)
    declared_at: datetime
    start_known: bool = True
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    updates_posted: int = 0
    pages_sent: int = 0

    @staticmethod
    def _minutes(start: datetime | None, end: datetime | None) -> float | None:
        if start is None or end is None:
            return None
        return round((end - start) / timedelta(minutes=1), 2)

    def summary(self) -> dict[str, float | None]:
        """Durations in minutes: detect (only when the start of impact is known),
        acknowledge, mitigate and resolve."""
        return {
            "time_to_detect": self._minutes(self.started_at, self.declared_at) if self.start_known else None,
            "time_to_acknowledge": self._minutes(self.declared_at, self.acknowledged_at),
            "time_to_mitigate": self._minutes(self.started_at, self.mitigated_at),
            "time_to_resolve": self._minutes(self.started_at, self.resolved_at),
        }
