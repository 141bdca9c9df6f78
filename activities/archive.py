"""The incident archive: one JSON file per closed incident, read by reports and follow-up.

`WARROOM_DATA_DIR/archive/<incident-id>.json` holds the whole record (timeline,
metrics, action items, postmortem link). Writing it is idempotent: the same
state gives the same file, written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from temporalio import activity

from activities.postmortem import write_atomically
from warroom.models import IncidentState
from warroom.rules.requests import ArchiveRequest


def archive_dir(data_dir: Path) -> Path:
    return data_dir / "archive"


def read_archive(data_dir: Path) -> list[IncidentState]:
    """Every archived incident, oldest first; unreadable files are skipped, not fatal."""
    incidents = []
    for path in sorted(archive_dir(data_dir).glob("inc-*.json")):
        try:
            incidents.append(IncidentState.model_validate_json(path.read_text()))
        except ValueError:
            continue
    return sorted(incidents, key=lambda s: s.metrics.started_at)


class ArchiveActivities:
    def __init__(self, data_dir: Path):
        self.dir = archive_dir(data_dir)

    @activity.defn
    async def archive_incident(self, req: ArchiveRequest) -> str:
        path = self.dir / f"{req.state.id}.json"
        write_atomically(path, json.dumps(req.state.public(), indent=1, sort_keys=True) + "\n")
        return str(path)
