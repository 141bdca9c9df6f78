"""People: who a message is from, whom warroom mentions, messages, invites and
hears from PagerDuty, through the directory in the policy (`warroom.people`).
Part of `Lifecycle`.

Every name a message carries becomes the person's handle, so `alice`,
`alice@example.com` and `U024BE7LH` are one responder. Whoever is paged or
given a role is invited to the channel then. A direct message that cannot
reach its person goes to the channel naming them, and the timeline says so:
nothing is dropped without a trace.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from warroom.models import Phase, Role
from warroom.responders import Message
from warroom.pagerduty_events import PagerEvent
from warroom.rules.effects import Operation
from warroom.rules.messages import ACTIVE, PEOPLE
from warroom.rules.requests import ChannelInvite, DirectMessage

if TYPE_CHECKING:
    from warroom.rules.lifecycle import Lifecycle

OPEN_CHANNEL = (Phase.TRIAGE, Phase.STABILIZE, Phase.VERIFY)
HEARD_EVENTS = 50  # PagerDuty event ids remembered, to take a re-delivery once


class PeopleRules:
    def identify(self: Lifecycle, msg: Any) -> Any:
        """The message with every person in it named by handle."""
        people = self.policy.people
        names = {f: getattr(msg, f) for f in ("by", *PEOPLE) if isinstance(getattr(msg, f, None), str)}
        if not isinstance(msg, Message) or not names:
            return msg
        return msg.model_copy(update={f: people.handle(name) for f, name in names.items()})

    def mention(self: Lifecycle, name: str | None) -> str:
        """The person as Slack notifies them; nobody in particular: everyone."""
        return self.policy.people.mention(name) if name else self.everyone()

    def everyone(self: Lifecycle) -> str:
        """The service's team on-call group (`<!subteam^S…>`), else `<!here>`."""
        return self.policy.team(self.state.service).here()

    # --- reaching people --------------------------------------------------------------

    def notify(self: Lifecycle, user: str, text: str, summary: str) -> None:
        """A direct message; when it cannot reach `user`, the channel and the timeline say so."""
        key = self.next_key()
        request = DirectMessage(
            incident_id=self.state.id, user=user, text=text, idempotency_key=key, address=self.policy.people.address(user)
        )
        # A failure is logged (`integration_failed`) just before `failed` runs: its time is the last entry's.
        self.effect(
            Operation.DIRECT_MESSAGE, request, summary, key=key,
            failed=lambda reason: self.unreachable(user, text, reason, self.state.timeline[-1].at),
        )

    def unreachable(self: Lifecycle, user: str, text: str, reason: str, now: datetime) -> None:
        channel_open = self.state.phase in OPEN_CHANNEL
        instead = "told the incident channel instead" if channel_open else "the incident channel is archived"
        self.log(now, "warroom", "unreachable", f"could not reach {user} by direct message ({reason}); {instead}")
        self.post(f"{self.mention(user)} (direct message failed): {text}", f"Tell {user} in the channel")

    def invite(self: Lifecycle, now: datetime, *names: str) -> None:
        """Add people to the incident channel (members are skipped) while it is open;
        the timeline names whoever chat could not add."""
        s = self.state
        people = self.policy.people
        users = sorted({people.address(n) for n in names if n})
        if not users or s.phase not in OPEN_CHANNEL:
            return

        def missed(left: dict[str, str]) -> None:
            for address, reason in left.items():
                self.log(now, "warroom", "unreachable", f"could not invite {people.handle(address)} to the channel: {reason}")

        self.effect(Operation.INVITE, ChannelInvite(incident_id=s.id, users=users), f"Invite {', '.join(sorted(set(names)))}", then=missed)

    def invitees(self: Lifecycle) -> list[str]:
        """The service's responders and everyone holding a role, as chat reaches them."""
        names = self.policy.service(self.state.service).responders + list(self.state.roles.values())
        return sorted({self.policy.people.address(n) for n in names})

    # --- PagerDuty webhooks -----------------------------------------------------------

    def on_pager_event(self: Lifecycle, event: PagerEvent, now: datetime) -> None:
        """An acknowledgement in PagerDuty stops warroom's escalation as one in warroom
        does; resolution and reassignment there go into the timeline."""
        s = self.state
        if s.phase is Phase.CLOSED or event.event_id in s.pager_events:  # PagerDuty re-delivers until it hears 2xx
            return
        s.pager_events = [*s.pager_events, event.event_id][-HEARD_EVENTS:]
        who = self.policy.people.handle(event.agent_id) if event.agent_id else None
        who = who if who and who != event.agent_id else (event.agent_name or "pagerduty")
        match event.event_type:
            case "incident.acknowledged" if s.phase in ACTIVE:
                self.acknowledge(who, now, in_pager=True)
            case "incident.acknowledged":
                self.log(now, who, "pagerduty", "acknowledged in PagerDuty")
            case "incident.resolved":
                self.log(now, who, "pagerduty", "resolved in PagerDuty (warroom resolves with `warroom resolve`)")
            case _:  # reassigned or escalated: whoever PagerDuty now pages is invited, if warroom knows them
                people = self.policy.people
                known = [people.handle(a.id) for a in event.assignees if people.get(a.id)]
                names = [people.handle(a.id) if people.get(a.id) else a.summary or a.id for a in event.assignees]
                verb = "escalated" if event.event_type == "incident.escalated" else "reassigned"
                self.log(now, who, "pagerduty", f"{verb} in PagerDuty to {', '.join(names) or 'nobody'}")
                self.invite(now, *known)

    def new_commander(self: Lifecycle, who: str, now: datetime) -> bool:
        """Make `who` commander if nobody commands; True when they became it."""
        if Role.COMMANDER in self.state.roles:
            return False
        self.state.roles[Role.COMMANDER] = who
        self.invite(now, who)
        return True
