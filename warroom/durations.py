"""Durations as people write them: ISO 8601 (`PT30M`, `P5D`) or short (`30m`, `24h`, `5d`)."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import TypeAdapter

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ISO = TypeAdapter(timedelta)


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    match = _SHORT.match(value)
    if match:
        return timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    try:
        return _ISO.validate_python(value.strip())
    except ValueError:
        raise ValueError(f"not a duration: {value!r} (use ISO 8601 like PT30M, or 30m, 24h, 5d)") from None


def humanize(delta: timedelta) -> str:
    """`1h 30m` style, for summaries people read; past an hour, to the minute."""
    seconds = round(delta.total_seconds())
    if seconds >= 3600:
        seconds = round(seconds / 60) * 60
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"
