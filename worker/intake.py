"""Routing alerts to the one incident each belongs to.

Every dedup key owns a chain of incident ids, `inc-<digest>`, `inc-<digest>-2`,
... A firing batch goes to the newest link by update-with-start: the update
joins the running incident, or starts it atomically if there is none, so a
thousand gateways racing on one key still make one incident. When the incident
has left verify (its `alerts` validator says so) or is closed, the batch moves
to the next link, which opens as a recurrence of the one before. Resolved-only
batches never start anything.

Within one process, concurrent batches for one key are folded: while one update
is in flight, the next ones wait and go together, identical notifications
merged into counts. A storm costs a handful of updates, not one per alert.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from warroom import models as m
from warroom.intake import Intake
from warroom.settings import Settings
from worker.incidents import start_options
from workflows.incident import IncidentWorkflow

Outcome = Literal["opened", "joined", "reopened", "resolved", "ignored", "acknowledged"]
Key = tuple[str, str]  # (source, dedup key)

MAX_GENERATIONS = 10_000
REMEMBERED_KEYS = 50_000


def chain_id(source: str, dedup_key: str, generation: int = 1) -> str:
    digest = hashlib.sha256(f"{source}\x00{dedup_key}".encode()).hexdigest()[:10]
    return f"inc-{digest}" if generation == 1 else f"inc-{digest}-{generation}"


@dataclass
class Routed:
    incident_id: str | None
    outcome: Outcome
    source: str
    dedup_key: str
    alerts: int
    phase: m.Phase | None = None


@dataclass
class _Flight:
    waiting: list[tuple[list[m.AlertEvent], int, asyncio.Future[Routed]]] = field(default_factory=list)


class AlertRouter:
    def __init__(self, client: Client, settings: Settings):
        self.client = client
        self.settings = settings
        self._flights: dict[Key, _Flight] = {}
        self._generation: OrderedDict[Key, int] = OrderedDict()

    async def route(self, intake: Intake) -> list[Routed]:
        groups: dict[Key, list[m.AlertEvent]] = {}
        for alert in intake.alerts:
            groups.setdefault((alert.source, alert.dedup_key), []).append(alert)
        routed = await asyncio.gather(
            *(self._submit(key, alerts, intake.truncated) for key, alerts in groups.items()),
            *(self.acknowledge(key) for key in intake.acknowledged),
        )
        return list(routed)

    # --- folding ----------------------------------------------------------------------

    async def _submit(self, key: Key, alerts: list[m.AlertEvent], truncated: int) -> Routed:
        future: asyncio.Future[Routed] = asyncio.get_running_loop().create_future()
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight()
            asyncio.create_task(self._fly(key, flight))
        flight.waiting.append((alerts, truncated, future))
        return await future

    async def _fly(self, key: Key, flight: _Flight) -> None:
        """Deliver whatever has queued for this key, one update at a time."""
        try:
            while flight.waiting:
                taken, flight.waiting = flight.waiting, []
                batch = m.AlertBatch(alerts=fold([a for alerts, _, _ in taken for a in alerts]), truncated=max(t for _, t, _ in taken))
                try:
                    routed = await self._deliver(key, batch)
                except Exception as err:  # every waiter hears of it
                    for _, _, future in taken:
                        future.set_exception(err)
                    continue
                for alerts, _, future in taken:
                    future.set_result(Routed(**{**routed.__dict__, "alerts": sum(a.count for a in alerts)}))
        finally:
            del self._flights[key]

    # --- delivery along the chain -----------------------------------------------------

    async def _deliver(self, key: Key, batch: m.AlertBatch) -> Routed:
        source, dedup_key = key
        firing = any(a.status == "firing" for a in batch.alerts)
        count = sum(a.count for a in batch.alerts)
        generation = self._generation.get(key, 1)
        for _ in range(MAX_GENERATIONS):
            incident = chain_id(source, dedup_key, generation)
            try:
                if firing:
                    routing = await self._update_with_start(incident, batch, generation)
                else:
                    routing = await self.client.get_workflow_handle(incident).execute_update(
                        "alerts", batch, result_type=m.AlertRouting
                    )
            except WorkflowUpdateFailedError as err:
                if not _left_verify(err):
                    raise
            except WorkflowAlreadyStartedError:
                pass  # a closed incident holds this id: on to the next link
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND:
                    raise
                if not await self._exists(incident):
                    return Routed(None, "ignored", source, dedup_key, count)
            else:
                self._remember(key, generation)
                return Routed(routing.incident_id, routing.outcome, source, dedup_key, count, routing.phase)
            generation += 1
        raise RuntimeError(f"dedup key {dedup_key!r} has more than {MAX_GENERATIONS} incidents")

    async def _update_with_start(self, incident: str, batch: m.AlertBatch, generation: int) -> m.AlertRouting:
        inp = incident_input(
            batch, self.settings, recurrence_of=chain_id(*_key(batch), generation - 1) if generation > 1 else None
        )
        start = WithStartWorkflowOperation(
            IncidentWorkflow.run, inp, id=incident,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            **start_options(self.settings, inp),
        )
        return await self.client.execute_update_with_start_workflow(
            "alerts", batch, start_workflow_operation=start, result_type=m.AlertRouting
        )

    async def _exists(self, incident: str) -> bool:
        try:
            await self.client.get_workflow_handle(incident).describe()
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    def _remember(self, key: Key, generation: int) -> None:
        self._generation[key] = generation
        self._generation.move_to_end(key)
        while len(self._generation) > REMEMBERED_KEYS:
            self._generation.popitem(last=False)

    # --- acknowledgements from the source ---------------------------------------------

    async def acknowledge(self, key: str, source: str = "pagerduty") -> Routed:
        """A person acknowledged at the source: acknowledge the incident (a
        warroom incident id, for warroom's own pages; else the key's newest)."""
        candidates = [key] if key.startswith("inc-") else [
            chain_id(source, key, g) for g in range(self._generation.get((source, key), 1), MAX_GENERATIONS)
        ]
        for incident in candidates:
            try:
                receipt = await self.client.get_workflow_handle(incident).execute_update(
                    "acknowledge", m.Acknowledge(by=source), result_type=m.Receipt
                )
                return Routed(incident, "acknowledged", source, key, 0, receipt.phase)
            except WorkflowUpdateFailedError:
                continue  # refused (e.g. past stabilize): try the next link
            except RPCError as err:
                if err.status is not RPCStatusCode.NOT_FOUND or not await self._exists(incident):
                    break
        return Routed(None, "ignored", source, key, 0)


def fold(alerts: list[m.AlertEvent]) -> list[m.AlertEvent]:
    """Merge repeats of one alert in one state into one event with a count;
    a change of state (firing -> resolved -> firing) stays in order."""
    out: list[m.AlertEvent] = []
    latest: dict[str, int] = {}
    for alert in alerts:
        at = latest.get(alert.fingerprint)
        if at is not None and out[at].status == alert.status:
            out[at] = alert.model_copy(update={"count": out[at].count + alert.count, "starts_at": out[at].starts_at or alert.starts_at})
        else:
            latest[alert.fingerprint] = len(out)
            out.append(alert)
    return out


def incident_input(batch: m.AlertBatch, settings: Settings, recurrence_of: str | None = None) -> m.IncidentInput:
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
    return m.IncidentInput(
        title=title[:300],
        service=next((a.service for a in firing if a.service), "unknown")[:100],
        severity=min(levels, key=lambda s: s.rank) if levels else None,
        impact=impact or m.Impact(),
        declared_by=first.source,
        source=first.source,
        started_at=min(starts) if starts else None,
        recurrence_of=recurrence_of,
    )


def _key(batch: m.AlertBatch) -> Key:
    return batch.alerts[0].source, batch.alerts[0].dedup_key


def _left_verify(err: WorkflowUpdateFailedError) -> bool:
    cause = err.cause
    return isinstance(cause, ApplicationError) and cause.type == "IncidentLeftVerify"
