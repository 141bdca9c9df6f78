"""Action items agreed after an incident closed (the review meeting is often
after closure): the closed incident's workflow has completed, so the item goes
into its archived record, and a run of the follow-up workflow files it in the
tracker at once (the hourly run files any the first one missed). From then on
it is followed up like every other item. The CLI and Slack both come here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from store.archive import Archive
from store.db import Database
from warroom import models as m
from warroom.responders import ActionItemRequest, Receipt
from warroom.rules.learn import add_after_closure
from warroom.settings import Settings

FOLLOW_UP_WORKFLOW = "FollowUpWorkflow"  # workflows/followup.py; its schedule's id names its runs


async def add_action_item_after_closure(client: Client, settings: Settings, incident: str, payload: dict[str, Any]) -> Receipt | None:
    """The receipt of an item added to an archived incident; None when the incident
    is not archived (still open: its workflow takes the item). Raises
    ValidationError on a malformed item and Refused on one the rules refuse."""
    msg = ActionItemRequest.model_validate(payload)

    def add(state: m.IncidentState) -> tuple[m.ActionItem, m.Severity]:
        return add_after_closure(state, msg, datetime.now(UTC)), state.severity

    added = await Archive(Database(settings.database)).amend(incident, add)
    if added is None:
        return None
    item, severity = added
    await client.start_workflow(
        FOLLOW_UP_WORKFLOW, id=f"warroom-action-items-{incident}-{item.number}", task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, static_summary=f"File action item {item.number} of {incident}",
    )
    text = f"action item {item.number} added to the closed incident; the follow-up files it in the tracker"
    return Receipt(incident_id=incident, phase=m.Phase.CLOSED, severity=severity, text=text)
