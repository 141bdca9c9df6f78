"""Every responder message, once: its name (the signal and the update), its
fields, what it does, where it is taken and which phase it moves, and the verb
the CLI and Slack's `/incident` give it.

The workflow defines a signal and an update per entry, the CLI (`cli/verbs.py`)
and Slack (`gateway/slack_commands.py`) build their verbs from it, and
tests/test_messages.py checks the README's message table against it. Adding a
verb is its model in `warroom.models`, an entry here and its handler in
`Lifecycle` (`@handles`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from warroom.alerts import AlertBatch
from warroom.maintenance import HoldPages
from warroom.responders import (
    Acknowledge, ActionItemRequest, Assign, DraftPostmortem, Mitigate, Note, PostmortemEvent, Reopen, Resolve, SeverityChange,
    StatusUpdate,
)
from warroom.models import Phase

OPEN = (Phase.TRIAGE, Phase.STABILIZE, Phase.VERIFY, Phase.LEARN)  # every phase but closed
ACTIVE = (Phase.TRIAGE, Phase.STABILIZE)
RESOLVED = (Phase.VERIFY, Phase.LEARN)
OUT_OF_TRIAGE = {Phase.TRIAGE: Phase.STABILIZE}
F = TypeVar("F", bound=Callable[..., Any])


class Refused(Exception):
    """A message that would break the incident's rules; the reason is for people."""


def handles(name: str) -> Callable[[F], F]:
    """Mark a `Lifecycle` method as the handler of message `name`."""
    def mark(fn: F) -> F:
        fn.handles = name  # type: ignore[attr-defined]
        return fn
    return mark


def checks(name: str) -> Callable[[F], F]:
    """Mark a message's own check, beyond the phases its entry allows."""
    def mark(fn: F) -> F:
        fn.checks = name  # type: ignore[attr-defined]
        return fn
    return mark


@dataclass(frozen=True)
class Verb:
    """One message. `taken_in` are the phases that accept it; elsewhere it is
    refused with `refused` (or `refused_in[phase]`), formatted with the
    incident's `id` and `phase`. `moves` is the phase change it makes."""

    model: type[BaseModel]
    does: str
    taken_in: tuple[Phase, ...] = OPEN
    moves: dict[Phase, Phase] = field(default_factory=dict)
    refused: str = "incident {id} is closed"
    refused_in: dict[Phase, str] = field(default_factory=dict)
    cli: str | None = None  # the `warroom` command that sends it; None: none does
    slack: str | None = None  # the `/incident` verb; None: not in Slack
    help: str = ""  # the command's line in `warroom --help`
    cli_args: tuple[str, ...] = ()  # fields `warroom <cli> INCIDENT` takes as arguments, in order; the rest: --options
    slack_args: tuple[str, ...] = ()  # fields `/incident <slack>` takes as words, in order (the last one the rest of
    # the line, but one word for a person); the rest are `name=value` words, a checklist `checked`

    def fields(self) -> dict[str, FieldInfo]:
        """The message's fields besides `by`, which every message has."""
        return {name: info for name, info in self.model.model_fields.items() if name != "by"}

    def refusal(self, incident_id: str, phase: Phase) -> str | None:
        """Why this phase does not take the message, or None when it does."""
        if phase is Phase.CLOSED:
            return f"incident {incident_id} is closed"
        if phase in self.taken_in:
            return None
        return self.refused_in.get(phase, self.refused).format(id=incident_id, phase=phase.value)


MESSAGES: dict[str, Verb] = {
    "acknowledge": Verb(
        Acknowledge, "stops paging escalation; the first acknowledger becomes commander if there is none",
        moves=OUT_OF_TRIAGE, cli="ack", slack="ack",
        help="Acknowledge: stops paging; the first acknowledger becomes commander if none.",
    ),
    "assign": Verb(
        Assign, "role change or handoff, into the timeline", cli="assign", slack="assign",
        help="Assign a role or hand it off.", cli_args=("role", "user"), slack_args=("role", "user"),
    ),
    "note": Verb(
        Note, "timeline entry", cli="note", slack="note",
        help="Add a note to the timeline.", cli_args=("text",), slack_args=("text",),
    ),
    "mitigate": Verb(
        Mitigate, "records a mitigation; a rollback is refused unless its checklist is all true",
        taken_in=(*ACTIVE, Phase.VERIFY), moves=OUT_OF_TRIAGE,
        refused="the incident is in learn: mitigation is over; add an action item instead",
        cli="mitigate", slack="mitigate", help="Record a mitigation; a rollback needs its whole checklist confirmed.",
        cli_args=("action",), slack_args=("action", "description"),
    ),
    "update": Verb(
        StatusUpdate,
        "internal update to the channel; only `public` text (from a publisher) reaches the status page, else the"
        " seed's wording for a change of status; resets the cadence timer",
        taken_in=ACTIVE, moves=OUT_OF_TRIAGE, refused="status updates are for open incidents; this one is in {phase}",
        cli="update", slack="update",
        help="Post an internal update to the channel; --public text (publishers only) goes to the status page.",
        cli_args=("status", "message"), slack_args=("status", "message"),
    ),
    "escalate": Verb(
        SeverityChange, "more severe; the policy is re-applied", cli="escalate", slack="escalate",
        help="Raise the severity; cadence, paging, status page and postmortem follow.",
        cli_args=("severity",), slack_args=("severity", "reason"),
    ),
    "downgrade": Verb(
        SeverityChange, "less severe; the policy is re-applied", cli="downgrade", slack="downgrade",
        help="Lower the severity; the policy is re-applied.", cli_args=("severity",), slack_args=("severity", "reason"),
    ),
    "resolve": Verb(
        Resolve, "to verify: the monitoring window starts",
        taken_in=ACTIVE, moves={Phase.TRIAGE: Phase.VERIFY, Phase.STABILIZE: Phase.VERIFY},
        refused="incident is already resolved (phase {phase})", cli="resolve", slack="resolve",
        help="Resolve: status page to monitoring, the monitoring window starts.", slack_args=("summary",),
    ),
    "reopen": Verb(
        Reopen, "back to stabilize",
        taken_in=(Phase.VERIFY,), moves={Phase.VERIFY: Phase.STABILIZE},
        refused="incident is not resolved, there is nothing to reopen",
        refused_in={Phase.LEARN: "incident has left verify; declare a new incident as a recurrence of this one"},
        cli="reopen", slack="reopen", help="Reopen during the monitoring window: back to stabilize.",
        slack_args=("reason",),
    ),
    "action_item": Verb(
        ActionItemRequest, "follow-up, created in the tracker", cli="action-item", slack="action-item",
        help="Record a follow-up; it is created in the tracker.",
        cli_args=("title",), slack_args=("owner", "due", "title"),
    ),
    # `warroom postmortem INCIDENT submitted|reviewed|draft` sends both of these (cli/verbs.py writes it by hand).
    "postmortem": Verb(
        PostmortemEvent,
        "draft submitted, review held (with its action items or why none is needed: it closes the incident in learn),"
        " or the commander waives a downgraded incident's postmortem with a reason",
        taken_in=RESOLVED,
        refused="a postmortem follows resolution; resolve the incident first", cli="postmortem", cli_args=("event",),
    ),
    "draft_postmortem": Verb(
        DraftPostmortem, "a postmortem draft from the timeline now; its link goes to the channel or the owner",
        cli="postmortem",
    ),
    "hold_pages": Verb(
        HoldPages, "no page goes out before `until` (a maintenance window started with --silence-open)",
        taken_in=ACTIVE, refused="pages are held only for open incidents; this one is in {phase}",
    ),
    "alerts": Verb(
        AlertBatch,
        "alerts of the incident's key, from the gateway: counted; a firing one in verify reopens, an unacknowledged"
        " SEV3/SEV4 whose alerts all resolved resolves",
        taken_in=(*ACTIVE, Phase.VERIFY),
        refused="incident {id} has left verify; a new alert opens a new incident",
    ),
}

# The phase changes no message makes by itself. (Alerts and golden signals that
# reopen or resolve an incident do it through the `reopen` and `resolve` verbs.)
AUTOMATIC: dict[str, dict[Phase, Phase]] = {
    "the monitoring window passed cleanly (on healthy golden signals, where the service has them)": {
        Phase.VERIFY: Phase.LEARN,
    },
    "in learn, with no postmortem owed or its review recorded": {Phase.LEARN: Phase.CLOSED},
    "a page-delivery canary, once its page went out (or could not)": {
        Phase.TRIAGE: Phase.CLOSED, Phase.STABILIZE: Phase.CLOSED, Phase.VERIFY: Phase.CLOSED,
    },
}


def allowed_move(current: Phase, to: Phase) -> bool:
    """Whether the tables above let an incident go from `current` to `to`."""
    tables = [*(verb.moves for verb in MESSAGES.values()), *AUTOMATIC.values()]
    return any(table.get(current) is to for table in tables)


# --- how the command line and Slack spell fields ------------------------------------------

PEOPLE = frozenset({"user", "owner"})  # fields naming a person: one word, `@alice` meaning alice
SPELLED = {"change_id": "change"}  # fields the command line and Slack name otherwise


def word(field_name: str) -> str:
    """A field's name on the command line (`--word`) and in Slack (`word=...`)."""
    return SPELLED.get(field_name, field_name).replace("_", "-")


def choices(info: FieldInfo) -> list[str]:
    """The values an enum or `Literal` field takes; [] for a free one."""
    kind = info.annotation
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(member.value) for member in kind]
    return [str(value) for value in get_args(kind)] if get_origin(kind) is Literal else []


def checklist(info: FieldInfo) -> list[str]:
    """The items of a yes/no checklist field (a model of booleans); [] for any other field."""
    for kind in (info.annotation, *get_args(info.annotation)):  # the model itself, or the model | None
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if all(item.annotation is bool for item in kind.model_fields.values()):
                return list(kind.model_fields)
    return []
