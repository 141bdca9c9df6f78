"""Paging: escalation steps are durable timers, and rotations decide who is woken."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.support import Warroom

ROTATION = """
[services.checkout]
team = "payments"

[[services.checkout.escalation]]
target = "primary"
[[services.checkout.escalation]]
target = "secondary"
after = "5m"

[rotations.payments-primary]
users = ["ann", "ben"]
start = "{start}"
timezone = "America/New_York"
shift = "1d"

[rotations.payments-secondary]
users = ["cem"]
start = "2026-01-01T00:00:00"
"""


async def test_pages_follow_the_rotation_and_its_handoff_in_local_time(env, tmp_path):
    now = (await env.get_current_time()).astimezone(ZoneInfo("America/New_York"))
    # Daily handoff at New York wall-clock time, two hours from now: ann until then, ben after.
    handoff = (now + timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    config = tmp_path / "warroom.toml"
    config.write_text(ROTATION.format(start=(handoff - timedelta(days=1)).isoformat()))
    async with Warroom(env, tmp_path / "data", settings={"config": config}) as warroom:
        first = await warroom.declare("Checkout errors", severity="SEV1", declared_by="alertmanager", source="alertmanager")
        await warroom.env.sleep(timedelta(minutes=6))
        state = await warroom.state(first)
        assert [e.text for e in state.timeline if e.kind == "paged"] == [
            "paged ann (primary) via chat", "paged cem (secondary) via chat"]
        await warroom.send(first, "acknowledge", by="cem")

        await warroom.env.sleep(timedelta(hours=2))
        second = await warroom.declare("Checkout errors again", severity="SEV2", declared_by="alertmanager", source="alertmanager")
        state = await warroom.state(second)
        assert [e.text for e in state.timeline if e.kind == "paged"] == ["paged ben (primary) via chat"]
        assert any(second.id in text for text in await warroom.direct_messages("ben"))
        assert not any(first.id in text for text in await warroom.direct_messages("ben"))
