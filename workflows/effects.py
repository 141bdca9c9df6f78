"""Which activity carries out each operation the incident rules ask for, and
in which lane it runs.

Effects run one at a time per lane, lanes side by side. What ends up in the
channel shares its lane, so it stays in order; the archive is a barrier that
waits for everything before it. The recent changes wait in the chat lane too:
their list goes to the channel, and reading them must not compete with the
channel, the status page and the page in an incident's first second. They are
two quick calls to Temporal, so they run as a local activity: no activity task
and no workflow task of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.archive import ArchiveActivities
    from activities.changes import ChangeActivities
    from activities.chat import ChatActivities
    from activities.paging import PagingActivities
    from activities.postmortem import PostmortemActivities
    from activities.routing import RoutingActivities
    from activities.signals import SignalActivities
    from activities.statuspage import StatusPageActivities
    from activities.tracker import TrackerActivities
    from warroom.rules.effects import Operation

BARRIER = "barrier"
LOCAL = {Operation.LIST_RECENT_CHANGES}
ACTIVITIES: dict[Operation, Callable[..., Any]] = {
    Operation.OPEN_CHANNEL: ChatActivities.open_channel,
    Operation.POST: ChatActivities.post_to_channel,
    Operation.ANNOUNCE: ChatActivities.post_to_channel,
    Operation.SET_TOPIC: ChatActivities.set_channel_topic,
    Operation.BOOKMARK: ChatActivities.bookmark_channel,
    Operation.ARCHIVE_CHANNEL: ChatActivities.archive_channel,
    Operation.DIRECT_MESSAGE: ChatActivities.send_direct_message,
    Operation.INVITE: ChatActivities.invite_to_channel,
    Operation.LIST_RECENT_CHANGES: ChangeActivities.list_recent_changes,
    Operation.PUBLISH_STATUS: StatusPageActivities.publish_status,
    Operation.PAGE: PagingActivities.page_responder,
    Operation.UPDATE_PAGE: PagingActivities.update_page,
    Operation.CREATE_ACTION_ITEM: TrackerActivities.create_action_item,
    Operation.WRITE_POSTMORTEM_DRAFT: PostmortemActivities.write_postmortem_draft,
    Operation.CHECK_POSTMORTEM: PostmortemActivities.check_postmortem,
    Operation.TAKE_SIGNAL_SNAPSHOT: SignalActivities.take_signal_snapshot,
    Operation.ROUTE_ALERTS_ONWARD: RoutingActivities.route_alerts_onward,
    Operation.ARCHIVE_INCIDENT: ArchiveActivities.archive_incident,
}
LANES = {"chat": "chat", "postmortem": "chat", "changes": "chat", "status_page": "status", "archive": BARRIER}


def activity_of(operation: Operation) -> tuple[Callable[..., Any], bool]:
    """The activity method, and whether it runs as a local activity."""
    return ACTIVITIES[operation], operation in LOCAL


def lane_of(operation: Operation) -> str:
    return LANES.get(operation.integration, operation.integration)
