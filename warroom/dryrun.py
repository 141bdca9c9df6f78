"""The routing dry run: replay received alerts through a routing config and
compare, per rule, what it would have done with what warroom did.

The replay keeps what the live router decides from the alerts alone: a
firing alert whose (source, dedup key) has no incident yet opens one, a
repeat merges into it, a resolution for a key with none opens nothing, a
drop rule drops. It does not replay time (an incident closed and reopened
in between counts as one) or maintenance windows (held alerts are shown as
held, and replayed as if no window had been open)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from warroom.alerts import AlertEvent
from warroom.routing import Routing

NO_RULE = "(no rule)"
WOULD = ("opened", "merged", "dropped")
DID = ("opened", "joined", "dropped", "held", "ignored")


@dataclass
class RuleOutcome:
    would: Counter[str] = field(default_factory=Counter)
    did: Counter[str] = field(default_factory=Counter)
    would_open: set[tuple[str, str]] = field(default_factory=set, repr=False)
    """(source, dedup key) of the incidents this rule would open"""


@dataclass
class DryRun:
    rules: dict[str, RuleOutcome] = field(default_factory=dict)
    alerts: int = 0

    def totals(self) -> tuple[Counter[str], Counter[str]]:
        would: Counter[str] = Counter()
        did: Counter[str] = Counter()
        for outcome in self.rules.values():
            would.update(outcome.would)
            did.update(outcome.did)
        return would, did


def replay(routing: Routing, received: Iterable[tuple[datetime, AlertEvent, str, str | None]]) -> DryRun:
    """`received`: each alert as parsed, when it came, what warroom did and the
    rules that matched then. Alerts that came in one request (one time) are
    decided together per key, as the router delivers them."""
    result = DryRun()
    open_keys: set[tuple[str, str]] = set()
    for _, request in groupby(received, key=lambda r: r[0]):
        decided = [(routing.route(alert), did, did_rule) for _, alert, did, did_rule in request]
        firing = {(d.alert.source, d.alert.dedup_key) for d, _, _ in decided if not d.dropped and d.alert.status == "firing"}
        opened = firing - open_keys
        open_keys |= opened
        for decision, did, did_rule in decided:
            result.alerts += 1
            key = (decision.alert.source, decision.alert.dedup_key)
            would = ("dropped" if decision.dropped else "opened" if key in opened else "merged" if key in open_keys else None)
            if would:  # None: a resolution with no incident, nothing happens either way
                outcome = result.rules.setdefault(decision.rule or NO_RULE, RuleOutcome())
                outcome.would[would] += 1
                if would == "opened":
                    outcome.would_open.add(key)
            result.rules.setdefault(did_rule or NO_RULE, RuleOutcome()).did[did] += 1
    return result
