"""What responders investigate with: the service's recent changes (the first
suspects), the war-room bridge, and the golden signals that verify closes on.
Part of `Lifecycle`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from warroom.durations import humanize
from warroom.models import Bridge, Change, Deadline, Phase
from warroom.responders import Reopen
from warroom.rules import wording
from warroom.rules.effects import Operation
from warroom.rules.requests import ChannelBookmark, RecentChanges, SnapshotRequest
from warroom.signals import SignalQueries, SignalSnapshot, Verdict, judge

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

SUSPECT_WINDOW = timedelta(hours=wording.SUSPECT_HOURS)
BRIDGE_TITLE = "War-room bridge"
# When the golden signals cannot be read at the end of the verify window, keep
# verifying a little longer; after that, close on the clean window with a warning
# (a Prometheus outage must not keep incidents open forever).
SIGNALS_RECHECK_EVERY = timedelta(minutes=5)
SIGNALS_RECHECKS = 3
# A check whose answer never came is asked again after this (longer than the
# activity's 10-minute schedule-to-close deadline, so normally never).
SIGNALS_CHECK_TIMEOUT = timedelta(minutes=15)
WINDOW_END = "end of verify window"


class EvidenceRules:
    # --- suspects ---------------------------------------------------------------------

    def list_recent_changes(self: Lifecycle, now: datetime) -> None:
        s = self.state
        declared = s.metrics.declared_at
        self.effect(
            Operation.LIST_RECENT_CHANGES,
            RecentChanges(service=s.service, since=declared - SUSPECT_WINDOW, until=declared, incident_id=s.id),
            f"List recent changes to {s.service}",
            then=lambda changes: self.list_suspects(changes, now),
        )

    def list_suspects(self: Lifecycle, changes: list[Change], now: datetime) -> None:
        """The service's changes before declaration: the first suspects, in the
        timeline and the channel (next to any the change log told of meanwhile)."""
        s = self.state
        window = f"{wording.SUSPECT_HOURS} h"
        if not changes:
            self.log(now, "warroom", "suspects", f"no change to {s.service} recorded in the {window} before declaration")
            return
        self._keep_suspects(changes)
        lines = "; ".join(f"{c.id} {c.describe()}" for c in changes)
        self.log(now, "warroom", "suspects", f"{len(changes)} change(s) to {s.service} in the {window} before declaration, newest first: {lines}")
        self.post(wording.suspects_text(s, changes), "Post recent changes (first suspects)")

    def add_suspect(self: Lifecycle, change: Change, now: datetime) -> None:
        """A change recorded during the incident: a suspect too, and news for the channel."""
        s = self.state
        if change.service != s.service or self.suspect(change.id) or s.phase is Phase.CLOSED:
            return
        self._keep_suspects([change])
        self.log(now, change.who, "change", f"change during the incident: {change.id} {change.describe()}")
        self.post(f":mag: Change to {s.service} during the incident: `{change.id}` {change.describe()}", "Post change during the incident")

    def _keep_suspects(self: Lifecycle, changes: list[Change]) -> None:
        """Add changes to the suspects, one per id, newest first."""
        by_id = {c.id: c for c in [*self.state.suspects, *changes]}
        self.state.suspects = sorted(by_id.values(), key=lambda c: c.when, reverse=True)

    def suspect(self: Lifecycle, change_id: str) -> Change | None:
        return next((c for c in self.state.suspects if c.id == change_id), None)

    def change_text(self: Lifecycle, change_id: str) -> str:
        found = self.suspect(change_id)
        return f"{change_id} {found.describe()}" if found else f"change {change_id}"

    # --- the bridge -------------------------------------------------------------------

    def open_bridge(self: Lifecycle, now: datetime) -> None:
        """Once per incident: the call's link in the channel, its header and the state."""
        s = self.state
        url = self.policy.bridge_link(s.id, s.service, s.severity)
        if s.bridge or url is None:
            return
        s.bridge = Bridge(url=url, opened_at=now)
        self.log(now, "warroom", "bridge", f"war-room bridge opened: {url}")
        self.post(f":telephone_receiver: {s.severity} war-room bridge: {url}", "Post war-room bridge")
        self.effect(
            Operation.BOOKMARK, ChannelBookmark(incident_id=s.id, channel=s.channel, title=BRIDGE_TITLE, link=url),
            "Bookmark war-room bridge",
        )

    # --- golden signals ---------------------------------------------------------------

    def signal_queries(self: Lifecycle) -> SignalQueries | None:
        return self.policy.service(self.state.service).signals

    def snapshot_signals(
        self: Lifecycle, moment: str, now: datetime,
        then: Callable[[SignalSnapshot], None] | None = None, failed: Callable[[str], None] | None = None,
    ) -> None:
        """Read the service's golden signals (if it has any) into state, timeline and channel."""
        s = self.state
        queries = self.signal_queries()
        if queries is None:
            return

        def taken(snapshot: SignalSnapshot) -> None:
            s.signals[moment] = snapshot
            self.log(now, "warroom", "signals", snapshot.line())
            self.post(snapshot.message(s.service), f"Post golden signals at {moment}")
            if then:
                then(snapshot)

        self.effect(
            Operation.TAKE_SIGNAL_SNAPSHOT,
            SnapshotRequest(incident_id=s.id, service=s.service, moment=moment, queries=queries),
            f"Golden signals at {moment}",
            then=taken,
            failed=failed,
        )

    def end_monitoring_window(self: Lifecycle, d: Deadline, now: datetime) -> None:
        """The window passed without a recurring alert; with golden signals, the
        service must also show it has recovered before the window closes."""
        queries = self.signal_queries()
        if queries is None:
            d.met_at = now
            self.close_customer_side(now)
            return
        # The deadline stays pending while the signals are read: it is the watchdog.
        check = d.reminders
        d.next_fire, d.summary = now + SIGNALS_CHECK_TIMEOUT, "Verify on golden signals"
        unreadable = SignalSnapshot(moment=WINDOW_END, readings=[])
        self.snapshot_signals(
            WINDOW_END,
            now,
            then=lambda snapshot: self.verify_on_evidence(d, check, judge(snapshot, queries), now),
            failed=lambda reason: self.verify_on_evidence(d, check, judge(unreadable, queries), now),
        )

    def verify_on_evidence(self: Lifecycle, d: Deadline, check: int, verdict: Verdict, now: datetime) -> None:
        """Close on healthy signals, back to stabilize on unhealthy ones; unreadable
        ones get a few more minutes, then the window closes with a warning."""
        s = self.state
        if s.phase is not Phase.VERIFY or s.deadlines.get("monitoring_window") is not d or d.reminders != check:
            return  # reopened, resolved again or checked again while the signals were read
        d.reminders += 1
        if verdict.above:
            self.handle("reopen", Reopen(by="warroom", reason="golden signals not recovered: " + "; ".join(verdict.above)), now)
            return
        missing = "; ".join(verdict.unavailable)
        if missing and d.reminders <= SIGNALS_RECHECKS:
            d.next_fire = now + SIGNALS_RECHECK_EVERY
            text = f"cannot verify on evidence yet ({missing}); checking again in {humanize(SIGNALS_RECHECK_EVERY)}"
            self.log(now, "warroom", "verify", text)
            self.post(f":hourglass: {text}", "Announce signals recheck")
            return
        if missing:
            text = f"closing without evidence: {missing} after {SIGNALS_RECHECKS} rechecks"
            self.log(now, "warroom", "verify", text)
            self.post(f":warning: {text}", "Warn: closing without signals")
        d.met_at = now
        self.close_customer_side(now)
