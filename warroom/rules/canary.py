"""Canary incidents: the page-delivery canary's synthetic alert opens one like
any alert (through the gateway, the router, a workflow of its own), and its
rules are the smallest that prove the paging path: page the canary target
(never a person, never PagerDuty's real on-call), then close. No channel, no
status page, no postmortem, no archive: a canary stays out of every report.
Part of `Lifecycle`; `workflows/canary.py` watches it from outside."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.models import PageRecord, Phase
from warroom.rules.effects import Operation
from warroom.rules.messages import ACTIVE
from warroom.rules.requests import PageResult

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle


class CanaryRules:
    def mobilize_canary(self: Lifecycle, now: datetime) -> None:
        s = self.state
        assert s.canary is not None
        s.metrics.pages_sent += 1
        self.log(now, "warroom", "page", f"canary: paging {s.canary}")
        key = self.next_key()
        self.effect(
            Operation.PAGE,
            self.page_request(s.canary, 0, now, key, canary=True),
            f"Canary: page {s.canary}",
            then=lambda result: self._canary_paged(now, result),
            failed=lambda reason: self._close_canary(now, f"canary page failed: {reason}"),
            key=key,
        )

    def _canary_paged(self: Lifecycle, now: datetime, result: PageResult) -> None:
        s = self.state
        s.pages.append(PageRecord(at=now, target=s.canary or "", user=result.user, via=result.via, delivered_at=result.delivered_at))
        self._close_canary(now, f"canary paged {result.user} via {result.via}")

    def _close_canary(self: Lifecycle, now: datetime, why: str) -> None:
        s = self.state
        self.move(dict.fromkeys(ACTIVE + (Phase.VERIFY,), Phase.CLOSED))  # even if someone acknowledged it meanwhile
        s.metrics.closed_at = now
        for d in self.pending():
            s.deadlines.pop(d.name)
        self.log(now, "warroom", "closed", f"{why}; canary closed")
