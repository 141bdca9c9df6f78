"""Roles: SEV1/SEV2 leads left unassigned past the policy's time are chased."""

from __future__ import annotations

from datetime import timedelta

from tests.support import Warroom
from warroom.models import Role


async def test_unassigned_leads_are_chased_until_staffed_after_the_configured_time(env, tmp_path):
    config = tmp_path / "warroom.toml"
    config.write_text('[severities.SEV2]\nroles_required_within = "7m"\n')
    async with Warroom(env, tmp_path / "data", settings={"config": config}) as warroom:
        handle = await warroom.declare("Login errors", severity="SEV2", commander="alice")

        async def reminders(state) -> list[str]:
            return [t for t in await warroom.messages(state) if "needs" in t and "assigned" in t]

        await warroom.env.sleep(timedelta(minutes=6))
        assert await reminders(await warroom.state(handle)) == []
        await warroom.env.sleep(timedelta(minutes=2))
        state = await warroom.state(handle)
        (reminder,) = await reminders(state)
        assert reminder.startswith(":raising_hand: alice: SEV2 needs ops_lead, comms_lead assigned")

        await warroom.send(handle, "assign", role="ops_lead", user="olga")
        await warroom.send(handle, "assign", role="comms_lead", user="carl")
        await warroom.send(handle, "assign", role="commander", user="bob", by="alice")
        await warroom.env.sleep(timedelta(minutes=45))
        state = await warroom.state(handle)
        assert len(await reminders(state)) == 1, "staffed: no more reminders"
        assert state.deadlines["roles"].met_at is not None
        assert any("handoff: commander alice -> bob" in e.text for e in state.timeline)
        assert state.roles[Role.COMMANDER] == "bob"
