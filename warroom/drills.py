"""Drills (seed 001: "Run drills. Simulate incidents. Practice the response.
Find the gaps."): a simulated incident that runs the whole lifecycle, marked
DRILL everywhere, reaching only the people taking part in it."""

from __future__ import annotations

from pydantic import BaseModel, Field

MARK = "DRILL"


class Drill(BaseModel):
    """What makes an incident a drill: who takes part. Only they are paged or
    messaged (with whoever is given a role during the drill)."""

    participants: list[str] = Field(default_factory=list, description="handles of the people taking part")


class DrillPolicy(BaseModel):
    """`[drills]` in warroom.toml. Drill action items are filed in the tracker only
    with `tracker_label` set, and then carry that label (say "drill")."""

    model_config = {"extra": "forbid"}
    tracker_label: str | None = None


def marked(text: str) -> str:
    """`text` with the DRILL mark in front, once."""
    return text if text.startswith(MARK) else f"{MARK}: {text}"
