"""Pages held for maintenance: part of `Lifecycle`. A hold is the deadline
`pages_held`, so it is durable, visible with the other deadlines and survives
continue-as-new; a page due while it holds waits for it (see `page_step`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from warroom.durations import humanize
from warroom.maintenance import HoldPages
from warroom.rules.messages import handles

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

HELD = "pages_held"


class MaintenanceRules:
    def pages_held(self: Lifecycle, now: datetime) -> datetime | None:
        """Until when pages wait, or None when they go out."""
        hold = self.state.deadlines.get(HELD)
        return hold.due if hold and hold.met_at is None and hold.due > now else None

    @handles("hold_pages")
    def on_hold_pages(self: Lifecycle, msg: HoldPages, now: datetime) -> str:
        page = self.state.deadlines.get("page")
        waiting = page is not None and page.met_at is None
        if msg.until <= now:
            self.meet(HELD, now)
            if waiting and page and page.next_fire > now:
                page.due = page.next_fire = now
            self.log(now, msg.by, "maintenance", f"pages released: {msg.reason}")
            return "pages released"
        self.deadline(HELD, msg.until, f"Pages held for maintenance: {msg.reason}"[:200])
        if waiting and page and page.next_fire < msg.until:
            page.due = page.next_fire = msg.until
        self.log(now, msg.by, "maintenance", f"pages held for {humanize(msg.until - now)}: {msg.reason}")
        return f"pages held until {msg.until:%Y-%m-%d %H:%M} UTC"
