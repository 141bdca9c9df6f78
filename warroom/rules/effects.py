"""Effects: what the incident rules ask the outside world to do, as data.

An effect names one integration operation and carries its typed request. The
workflow maps each operation to its activity and runs it; the rules never see
an activity. `then` takes the operation's result, `failed` the reason when it
failed for good: both are the rules' own reactions, run in the workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Operation(StrEnum):
    """`<integration>.<operation>`: every side effect an incident can have."""

    OPEN_CHANNEL = "chat.open_channel"
    POST = "chat.post_to_channel"
    ANNOUNCE = "chat.announce"  # a post to a stakeholder channel, not the incident's
    SET_TOPIC = "chat.set_channel_topic"
    BOOKMARK = "chat.bookmark_channel"
    ARCHIVE_CHANNEL = "chat.archive_channel"
    DIRECT_MESSAGE = "chat.send_direct_message"
    INVITE = "chat.invite_to_channel"
    LIST_RECENT_CHANGES = "changes.list_recent_changes"
    PUBLISH_STATUS = "status_page.publish_status"
    PAGE = "paging.page_responder"
    UPDATE_PAGE = "paging.update_page"
    CREATE_ACTION_ITEM = "tracker.create_action_item"
    WRITE_POSTMORTEM_DRAFT = "postmortem.write_postmortem_draft"
    CHECK_POSTMORTEM = "postmortem.check_postmortem"
    TAKE_SIGNAL_SNAPSHOT = "signals.take_signal_snapshot"
    ROUTE_ALERTS_ONWARD = "routing.route_alerts_onward"
    ARCHIVE_INCIDENT = "archive.archive_incident"

    @property
    def integration(self) -> str:
        return self.value.partition(".")[0]


@dataclass
class Effect:
    operation: Operation
    request: BaseModel
    summary: str
    key: str  # `<incident>:<n>`: the idempotency key of whatever the operation creates
    then: Callable[[Any], None] | None = None
    failed: Callable[[str], None] | None = None
    shares_draft: bool = False  # a message whose text is the postmortem draft's link, once it is written
