"""Routing alerts to the one incident each belongs to.

Every dedup key owns a chain of incident ids, `inc-<digest>`, `inc-<digest>-2`,
... A firing batch is signalled to the chain's current link with
signal-with-start: it joins the running incident, or starts it atomically if
there is none, so gateways racing on one key still make one incident, and the
alert is durable in Temporal before the sender hears 202.

The current link is the newest one still in triage, stabilize or verify (read
from its `IncidentPhase` search attribute, remembered for a few seconds). A
link that is closed for good (its id exists, no run takes a signal) passes the
batch to the next; "already started" alone proves nothing. An incident that left
verify a moment ago may still receive a batch: it passes it on to the next link
(`route_alerts_onward`), which opens as a recurrence of it. Resolved-only
batches never start anything.

Within one process, concurrent batches for one key are folded: while one
signal is in flight, the next ones wait and go together, identical
notifications merged into counts. A storm costs a handful of signals, not one
per alert, and stays far from Temporal's 10,000 signals per run.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Literal

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from client.folding import Folding
from client.incidents import start_incident
from client.search_attributes import PHASE
from warroom.alerts import AlertBatch, AlertEvent
from warroom import models as m
from warroom.responders import Acknowledge, Receipt
from warroom.intake import Intake
from warroom.settings import Settings

Outcome = Literal["opened", "joined", "ignored", "acknowledged", "dropped", "held"]
Key = tuple[str, str]  # (source, dedup key)

MAX_GENERATIONS = 10_000
REMEMBERED_KEYS = 50_000
# How long a key's current link is trusted before its phase is read again. A
# stale answer costs one hand-over by the incident, never a lost alert.
FRESH_SECONDS = 10.0
TAKES_ALERTS = {m.Phase.TRIAGE.value, m.Phase.STABILIZE.value, m.Phase.VERIFY.value}


def chain_id(source: str, dedup_key: str, generation: int = 1) -> str:
    digest = _digest(source, dedup_key)
    return f"inc-{digest}" if generation == 1 else f"inc-{digest}-{generation}"


@functools.lru_cache(maxsize=REMEMBERED_KEYS)
def _digest(source: str, dedup_key: str) -> str:
    return hashlib.sha256(f"{source}\x00{dedup_key}".encode()).hexdigest()[:10]


def generation_of(incident_id: str) -> int:
    """1 for `inc-<digest>`, n for `inc-<digest>-n`."""
    _, _, tail = incident_id.removeprefix("inc-").partition("-")
    return int(tail) if tail.isdigit() else 1


@dataclass
class Routed:
    incident_id: str | None
    outcome: Outcome
    source: str
    dedup_key: str
    alerts: int


class AlertRouter:
    def __init__(self, client: Client, settings: Settings):
        self.client = client
        self.settings = settings
        self._folding: Folding[Key, tuple[list[AlertEvent], int], Routed] = Folding(self._deliver_folded)
        self._links: OrderedDict[Key, tuple[int, float]] = OrderedDict()

    async def route(self, intake: Intake) -> list[Routed]:
        groups: dict[Key, list[AlertEvent]] = {}
        for alert in intake.alerts:
            groups.setdefault((alert.source, alert.dedup_key), []).append(alert)
        calls = [
            *(self._submit(key, alerts, intake.truncated) for key, alerts in groups.items()),
            *(self.acknowledge(key) for key in intake.acknowledged),
        ]
        if len(calls) == 1:  # most webhooks carry one alert: no task to gather it in
            return [await calls[0]]
        return list(await asyncio.gather(*calls))

    # --- folding ----------------------------------------------------------------------

    async def _submit(self, key: Key, alerts: list[AlertEvent], truncated: int) -> Routed:
        routed = await self._folding.submit(key, (alerts, truncated))
        return replace(routed, alerts=sum(a.count for a in alerts))

    async def _deliver_folded(self, key: Key, batches: list[tuple[list[AlertEvent], int]]) -> Routed:
        """One signal for every batch that waited: identical notifications merged into counts."""
        alerts = fold([a for batch, _ in batches for a in batch])
        return await self.deliver(key, AlertBatch(alerts=alerts, truncated=max(t for _, t in batches)))

    # --- delivery along the chain -----------------------------------------------------

    async def deliver(self, key: Key, batch: AlertBatch, generation: int | None = None) -> Routed:
        """Signal the batch to the key's current link (or from `generation` on).

        The chain moves past a link only on proof that the link is closed for
        good, never on a guess: see `_offer`."""
        source, dedup_key = key
        firing = any(a.status == "firing" for a in batch.alerts)
        count = sum(a.count for a in batch.alerts)
        known = generation is None and key in self._links
        link = generation or await self._current_link(key)
        for _ in range(MAX_GENERATIONS):
            incident = chain_id(source, dedup_key, link)
            taken = await self._offer(incident, batch, link, firing, known)
            if taken == "absent":
                return Routed(None, "ignored", source, dedup_key, count)
            if taken != "closed":
                self._remember(key, link)
                return Routed(incident, taken, source, dedup_key, count)
            link += 1
            known = False
        raise RuntimeError(f"dedup key {dedup_key!r} has more than {MAX_GENERATIONS} incidents")

    async def _offer(
        self, incident: str, batch: AlertBatch, link: int, firing: bool, known: bool
    ) -> Literal["opened", "joined", "closed", "absent"]:
        """Give the batch to one link: "opened" or "joined" it, or it is "closed"
        (no run takes signals, yet the id exists; with REJECT_DUPLICATE no run can
        start again, so it stays closed), or "absent" (resolved-only, no incident).

        "Already started" from signal-with-start is not that proof: the server
        also answers it for a running incident whose signal lost a race (on CI,
        while its first workflow task was in flight), so the batch goes to the
        run by plain signal, and only a refusal of that proves it closed."""
        if firing and known and await self._signal(incident, batch):
            return "joined"  # the common case, a repeat: no start request to build
        if not firing:
            if await self._signal(incident, batch):
                return "joined"
            return "closed" if await self._exists(incident) else "absent"
        try:
            return "opened" if await self._signal_with_start(incident, batch, link) else "joined"
        except WorkflowAlreadyStartedError:
            return "joined" if await self._signal(incident, batch) else "closed"

    async def _signal(self, incident: str, batch: AlertBatch) -> bool:
        """Signal an incident believed running; False when it is not (any more)."""
        try:
            await self.client.get_workflow_handle(incident).signal("alerts", batch)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    async def _signal_with_start(self, incident: str, batch: AlertBatch, link: int) -> bool:
        """True when this call started the incident."""
        first = batch.alerts[0]
        recurrence_of = chain_id(first.source, first.dedup_key, link - 1) if link > 1 else None
        inp = incident_input(batch, self.settings, recurrence_of)
        handle = await start_incident(
            self.client, self.settings, incident, inp,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            start_signal="alerts", start_signal_args=[batch],
        )
        # The server says whether this call started the run (the SDK keeps its answer).
        response = getattr(handle, "_start_workflow_response", None)
        return bool(getattr(response, "started", False))

    async def _current_link(self, key: Key) -> int:
        """The newest link that takes alerts, or the first that does not exist yet."""
        known = self._links.get(key)
        if known and time.monotonic() - known[1] < FRESH_SECONDS:
            return known[0]
        link = known[0] if known else 1
        for _ in range(MAX_GENERATIONS):
            try:
                described = await self.client.get_workflow_handle(chain_id(*key, link)).describe()
            except RPCError as err:
                if err.status is RPCStatusCode.NOT_FOUND:
                    return link
                raise
            if described.status is None or described.status.name == "RUNNING":
                if described.typed_search_attributes.get(PHASE) in TAKES_ALERTS | {None}:
                    return link
            link += 1
        return link

    async def _exists(self, incident: str) -> bool:
        try:
            await self.client.get_workflow_handle(incident).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    def _remember(self, key: Key, link: int) -> None:
        self._links[key] = (link, time.monotonic())
        self._links.move_to_end(key)
        while len(self._links) > REMEMBERED_KEYS:
            self._links.popitem(last=False)

    # --- acknowledgements from the source ---------------------------------------------

    async def acknowledge(self, key: str, source: str = "pagerduty") -> Routed:
        """A person acknowledged at the source: acknowledge the incident (a
        warroom incident id, for warroom's own pages; else the key's current one)."""
        incident = key if key.startswith("inc-") else chain_id(source, key, await self._current_link((source, key)))
        try:
            await self.client.get_workflow_handle(incident).execute_update(
                "acknowledge", Acknowledge(by=source), result_type=Receipt
            )
        except (WorkflowUpdateFailedError, RPCError):  # refused (past stabilize) or no such incident
            return Routed(None, "ignored", source, key, 0)
        return Routed(incident, "acknowledged", source, key, 0)


def fold(alerts: list[AlertEvent]) -> list[AlertEvent]:
    """Merge repeats of one alert in one state into one event with a count;
    a change of state (firing -> resolved -> firing) stays in order."""
    out: list[AlertEvent] = []
    latest: dict[str, int] = {}
    for alert in alerts:
        at = latest.get(alert.fingerprint)
        if at is not None and out[at].status == alert.status:
            merged = out[at]
            out[at] = alert.model_copy(update={"count": merged.count + alert.count, "starts_at": merged.starts_at or alert.starts_at})
        else:
            latest[alert.fingerprint] = len(out)
            out.append(alert)
    return out


def incident_input(batch: AlertBatch, settings: Settings, recurrence_of: str | None = None) -> m.IncidentInput:
    """How an alert opens an incident: its title, service, and the more severe of
    the source's severity and what the impact policy makes of its hints."""
    firing = [a for a in batch.alerts if a.status == "firing"] or batch.alerts
    first = firing[0]
    impact = next((a.impact for a in firing if a.impact), None)
    levels = [a.severity for a in firing if a.severity]
    if impact:
        levels.append(settings.policy.classify(impact))
    starts = [a.starts_at for a in firing if a.starts_at]
    title = f"{first.name}: {first.summary}" if first.summary and first.summary != first.name else first.name
    service = next((a.service for a in firing if a.service), "unknown")[:100]
    return m.IncidentInput(
        title=title[:300],
        service=service,
        severity=min(levels, key=lambda s: s.rank) if levels else None,
        impact=impact or m.Impact(),
        declared_by=first.source,
        source=first.source,
        started_at=min(starts) if starts else None,
        recurrence_of=recurrence_of,
        runbook=next((a.runbook for a in firing if a.runbook), None),
        canary=settings.canary_target if service == settings.canary_service else None,
    )
