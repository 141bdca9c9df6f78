"""Business hours (issue 19, seed 003 SEV3 "fix it tomorrow morning"): a SEV3
declared at 02:00 in its team's time zone pages nobody, and at 09:00 there,
still open, the team's channel and on-call are nudged: a durable timer,
skipped through on the time-skipping server. (It is also the last deadline of
its incident: the workflow must then wait for messages, not spin.)"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.support import Warroom


def zone_where_it_is_two_am(hour_utc: int) -> str:
    """A fixed-offset zone in which it is now 02:xx (Etc/GMT-9 is UTC+9)."""
    offset = next(o for o in range(-12, 15) if (hour_utc + o) % 24 == 2)
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


async def test_a_sev3_at_two_in_the_morning_pages_nobody_and_nudges_at_nine(env, tmp_path):
    now = await env.get_current_time()
    zone = zone_where_it_is_two_am(now.hour)
    config = tmp_path / "warroom.toml"
    config.write_text(f"""
[people.alice]
timezone = "{zone}"

[rotations.primary]
users = ["alice"]
start = "2026-01-05T09:00:00"
timezone = "{zone}"

[services.search]
team = "discovery"

[teams.discovery]
slack_group = "SDISCO1"
business_hours = {{ start = "09:00", end = "17:00", days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], timezone = "{zone}" }}
""")
    async with Warroom(env, tmp_path / "data", settings={"config": config}) as w:
        handle = await w.declare("Search results stale", service="search", severity="SEV3", declared_by="bob")
        state = await w.state(handle)
        assert state.pages == [] and "page" not in state.deadlines
        nudge = state.deadlines["business_day"]
        assert nudge.due.astimezone(ZoneInfo(zone)).strftime("%H:%M") == "09:00"
        assert timedelta(hours=6) < nudge.due - state.metrics.declared_at <= timedelta(hours=7)

        await w.env.sleep(timedelta(hours=6))
        assert not [t for t in await w.messages(await w.state(handle)) if ":sunrise:" in t], "not before 09:00"
        await w.env.sleep(timedelta(hours=1, minutes=1))
        state = await w.state(handle)
        [nudged] = [t for t in await w.messages(state) if ":sunrise:" in t]
        assert nudged.startswith(":sunrise: <!subteam^SDISCO1>: SEV3") and "still open" in nudged
        assert any(":sunrise:" in t for t in await w.direct_messages("alice")), "and the on-call, in person"
        assert state.pages == [] and state.deadlines["business_day"].met_at is not None
