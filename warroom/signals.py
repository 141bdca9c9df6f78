"""Golden signals (seed 003 §6): a service's latency, traffic, errors and
saturation as PromQL, the snapshot warroom takes of them, and the verdict that
decides whether a resolved incident may leave verify.

Pure data and arithmetic: the workflow evaluates snapshots deterministically.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SIGNALS = ("latency", "traffic", "errors", "saturation")
# Only these decide verification; traffic and saturation are context for people.
GATED = ("errors", "latency")
SignalName = Literal["latency", "traffic", "errors", "saturation"]


class SignalQueries(BaseModel):
    """`[services.<name>.signals]`: one PromQL expression per signal (each should
    return one series; with several, the largest counts), and the ceilings the
    error and latency signals must be under for the verify window to close."""

    model_config = ConfigDict(extra="forbid")

    latency: str | None = None
    traffic: str | None = None
    errors: str | None = None
    saturation: str | None = None
    latency_max: float | None = Field(None, ge=0)
    errors_max: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _thresholds_need_queries(self) -> SignalQueries:
        for name in GATED:
            if getattr(self, f"{name}_max") is not None and not getattr(self, name):
                raise ValueError(f"{name}_max is set but there is no {name} query")
        if not self.configured():
            raise ValueError("no signal query: set at least one of " + ", ".join(SIGNALS))
        return self

    def configured(self) -> dict[str, str]:
        return {name: query for name in SIGNALS if (query := getattr(self, name))}

    def ceilings(self) -> dict[str, float]:
        """The gated signals that have a query and a threshold."""
        return {name: limit for name in GATED if (limit := getattr(self, f"{name}_max")) is not None}


class SignalReading(BaseModel):
    """One signal now and an hour before; `unavailable` says why a value is missing."""

    name: SignalName
    value: float | None = None
    hour_ago: float | None = None
    unavailable: str | None = None
    graph: str | None = None

    def text(self) -> str:
        if self.value is None:
            return f"{self.name} unavailable ({self.unavailable or 'no data'})"
        return f"{self.name} {number(self.value)} ({change(self.value, self.hour_ago)})"


class SignalSnapshot(BaseModel):
    """What the golden signals said at one moment of the incident."""

    moment: str
    readings: list[SignalReading]

    def reading(self, name: str) -> SignalReading | None:
        return next((r for r in self.readings if r.name == name), None)

    def line(self) -> str:
        """The compact form for the timeline."""
        return f"golden signals at {self.moment}: " + "; ".join(r.text() for r in self.readings)

    def message(self, service: str) -> str:
        """The channel form: one bullet per signal with its graph."""
        lines = [f":bar_chart: Golden signals for {service} at {self.moment}:"]
        for r in self.readings:
            lines.append(f"• {r.text()}" + (f" <{r.graph}|graph>" if r.graph else ""))
        return "\n".join(lines)


class Verdict(BaseModel):
    """Whether the gated signals are under their ceilings: `above` and
    `unavailable` list the reasons when not."""

    above: list[str] = Field(default_factory=list)
    unavailable: list[str] = Field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.above and not self.unavailable


def judge(snapshot: SignalSnapshot, queries: SignalQueries) -> Verdict:
    verdict = Verdict()
    for name, limit in queries.ceilings().items():
        reading = snapshot.reading(name)
        if reading is None or reading.value is None:
            verdict.unavailable.append(reading.text() if reading else f"{name} not measured")
        elif reading.value > limit:
            verdict.above.append(f"{name} {number(reading.value)} above max {number(limit)}")
    return verdict


def number(value: float) -> str:
    return f"{value:.4g}"


def change(value: float, before: float | None) -> str:
    if before is None:
        return "no data 1h ago"
    if before == 0:
        return "0 1h ago"
    return f"{(value - before) / abs(before):+.0%} vs 1h ago"
