"""Take a golden-signal snapshot: each signal now and an hour before, with a
link to its graph. Read-only, so a retry is harmless.

Times come from the worker's clock, not the workflow's: Prometheus data is
wall-clock data. A query Prometheus cannot run shows as unavailable in the
snapshot; failing to reach Prometheus at all fails the activity, which
Temporal retries.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from temporalio import activity

from activities.prometheus import PrometheusAPI, QueryFailed
from warroom.signals import SignalReading, SignalSnapshot
from warroom.rules.requests import SnapshotRequest

NOT_CONFIGURED = "no Prometheus configured: set WARROOM_PROMETHEUS_URL"


class SignalActivities:
    def __init__(self, prometheus: PrometheusAPI | None):
        self.prometheus = prometheus

    @activity.defn
    async def take_signal_snapshot(self, req: SnapshotRequest) -> SignalSnapshot:
        queries = req.queries.configured()
        if self.prometheus is None:
            readings = [SignalReading(name=name, unavailable=NOT_CONFIGURED) for name in queries]
        else:
            now = datetime.now(UTC)
            async with httpx.AsyncClient() as http:
                readings = list(await asyncio.gather(*(_read(self.prometheus, http, name, q, now) for name, q in queries.items())))
        return SignalSnapshot(moment=req.moment, readings=readings)


async def _read(api: PrometheusAPI, http: httpx.AsyncClient, name: str, expr: str, now: datetime) -> SignalReading:
    reading = SignalReading(name=name, graph=api.graph_url(expr))
    try:
        reading.value = await api.value(http, expr)
        reading.hour_ago = await api.value(http, expr, now - timedelta(hours=1))
    except QueryFailed as err:
        reading.unavailable = str(err)
    return reading
