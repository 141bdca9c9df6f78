"""Alerts: how notifications from the gateway fold into an incident. Part of
`Lifecycle`.

Repeats are counted, not logged; a batch delivered twice counts once. A firing
alert during verify reopens the incident; a *resolved* one never does. An
unacknowledged SEV3/SEV4 whose every alert resolved resolves on its own;
SEV1/SEV2 and acknowledged incidents wait for a person. Alerts that arrive
after verify belong to the next incident of their key.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.alerts import AlertBatch, AlertRouting, OnwardAlerts, OnwardRouting
from warroom.models import AlertRecord, Phase, Severity
from warroom.responders import Reopen, Resolve
from warroom.rules.effects import Operation
from warroom.rules.messages import ACTIVE, handles

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

# Re-delivered alert batches remembered per incident, to count each once.
RECENT_BATCHES = 50
RESOLVES_ON_ITS_OWN = (Severity.SEV3, Severity.SEV4)


class AlertRules:
    @handles("alerts")
    def on_alerts(self: Lifecycle, batch: AlertBatch, now: datetime) -> AlertRouting:
        """Fold a batch into per-alert counters: the timeline only records news."""
        s = self.state
        if batch.batch_id:
            if batch.batch_id in s.recent_batches:
                return AlertRouting(incident_id=s.id, outcome="joined", phase=s.phase)
            s.recent_batches = [*s.recent_batches, batch.batch_id][-RECENT_BATCHES:]
        opened = not s.alerts and s.source != "manual"
        recurring: list[str] = []
        for alert in batch.alerts:
            seen = alert.starts_at or now
            record = s.alerts.get(alert.fingerprint)
            if record is None:
                record = s.alerts[alert.fingerprint] = AlertRecord(
                    fingerprint=alert.fingerprint, name=alert.name, source=alert.source, status=alert.status,
                    summary=alert.summary, first_seen=now, last_seen=now, url=alert.url, count=0,
                )
                self.log(now, alert.source, "alert", f"alert {alert.name} {alert.status}: {alert.summary}".rstrip(": "))
                if alert.status == "firing" and seen < s.metrics.started_at:
                    s.metrics.started_at = seen
            elif record.status != alert.status:
                self.log(now, alert.source, "alert", f"alert {alert.name} {alert.status}")
            record.count += alert.count
            record.last_seen = now
            record.status = alert.status
            record.resolved_at = (alert.ends_at or now) if alert.status == "resolved" else None
            if alert.status == "firing" and s.phase is Phase.VERIFY:
                recurring.append(alert.name)
        if batch.truncated:
            source = batch.alerts[0].source
            self.log(now, source, "alert", f"{source} left {batch.truncated} more alert(s) of this group out of its notification")
        if recurring:
            reason = f"alert {', '.join(sorted(set(recurring)))} fired again during monitoring"
            self.handle("reopen", Reopen(by="warroom", reason=reason), now)
            return AlertRouting(incident_id=s.id, outcome="reopened", phase=s.phase)
        if self.resolved_on_its_own():
            s.non_actionable = True
            self.handle("resolve", Resolve(by="warroom", summary="every alert resolved on its own before anyone acknowledged"), now)
            return AlertRouting(incident_id=s.id, outcome="resolved", phase=s.phase)
        return AlertRouting(incident_id=s.id, outcome="opened" if opened else "joined", phase=s.phase)

    def resolved_on_its_own(self: Lifecycle) -> bool:
        s = self.state
        return (
            s.phase in ACTIVE
            and s.severity in RESOLVES_ON_ITS_OWN
            and s.metrics.acknowledged_at is None
            and bool(s.alerts)
            and all(a.status == "resolved" for a in s.alerts.values())
        )

    def pass_alerts_on(self: Lifecycle, batch: AlertBatch, now: datetime) -> None:
        """Alerts that arrive after verify belong to the next incident of their key."""
        s = self.state
        names = ", ".join(sorted({a.name for a in batch.alerts}))
        firing = any(a.status == "firing" for a in batch.alerts)
        if firing:
            self.log(now, batch.alerts[0].source, "alert", f"alert {names} fired after verify: passed on to the next incident")

        def routed(result: OnwardRouting) -> None:
            if firing and result.incident_id:
                self.log(now, "warroom", "recurrence", f"alert {names} went to {result.incident_id}")

        key = self.next_key()
        self.effect(
            Operation.ROUTE_ALERTS_ONWARD,
            OnwardAlerts(after=s.id, batch=batch.model_copy(update={"batch_id": batch.batch_id or key})),
            "Pass alerts on to the next incident",
            then=routed,
            key=key,
        )
