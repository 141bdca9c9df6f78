"""warroom's search attributes, once: what the incident workflow keeps exact
and the Temporal UI, `warroom list` and the gateway filter on."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey

SEVERITY = SearchAttributeKey.for_keyword("IncidentSeverity")
PHASE = SearchAttributeKey.for_keyword("IncidentPhase")
SERVICE = SearchAttributeKey.for_keyword("IncidentService")
COMMANDER = SearchAttributeKey.for_keyword("IncidentCommander")
DECLARED_AT = SearchAttributeKey.for_datetime("IncidentDeclaredAt")
CHANNEL = SearchAttributeKey.for_keyword("IncidentChannel")  # Slack commands find an incident by its channel
SEARCH_ATTRIBUTES = (SEVERITY, PHASE, SERVICE, COMMANDER, DECLARED_AT, CHANNEL)

INDEXED_TYPES = {
    key.name: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME if key is DECLARED_AT else IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
    for key in SEARCH_ATTRIBUTES
}
