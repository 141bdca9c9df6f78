"""Alert intake: each source's webhook format, normalised to `AlertEvent`s.

Parsers are pure functions from a decoded JSON body to alerts; they raise
`IntakeError` with a readable reason for anything malformed or incomplete, so
bad input is answered with a 4xx before any workflow is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from warroom.intake import alertmanager, datadog, generic, pagerduty
from warroom.intake.common import IntakeError, Intake

PARSERS: dict[str, Callable[[Any], Intake]] = {
    "alertmanager": alertmanager.parse,
    "grafana": alertmanager.parse_grafana,
    "pagerduty": pagerduty.parse,
    "datadog": datadog.parse,
    "generic": generic.parse,
}

__all__ = ["PARSERS", "Intake", "IntakeError"]
