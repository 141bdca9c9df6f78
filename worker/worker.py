"""The worker: IncidentWorkflow plus the activities of whichever integrations
are configured (built-in local ones when none are)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.archive import ArchiveActivities
from activities.chat import ChatActivities, LocalChat
from activities.followup import FollowUpActivities
from activities.paging import PagingActivities
from activities.policy import PolicyActivities
from activities.postmortem import PostmortemActivities
from activities.statuspage import LocalStatusPage, StatusPageActivities
from activities.tracker import LocalTracker, TrackerActivities
from warroom.settings import Settings
from workflows.followup import FollowUpWorkflow
from workflows.incident import IncidentWorkflow

WORKFLOWS = [IncidentWorkflow, FollowUpWorkflow]


def build_activities(settings: Settings, client: Client) -> list[Callable[..., Any]]:
    """Choose each integration's backend from settings and expose its activities."""
    data = settings.data_dir
    chat = LocalChat(data)
    status = LocalStatusPage(data, settings.gateway_url)
    tracker = LocalTracker(data)
    chat_acts = ChatActivities(chat)
    postmortems = PostmortemActivities(data)
    followup = FollowUpActivities(client, settings, chat, tracker)
    return [
        chat_acts.open_channel,
        chat_acts.post_to_channel,
        chat_acts.set_channel_topic,
        chat_acts.archive_channel,
        chat_acts.send_direct_message,
        StatusPageActivities(status).publish_status,
        TrackerActivities(tracker).create_action_item,
        PagingActivities(chat, settings.policy).page_responder,
        PolicyActivities(settings).load_incident_context,
        postmortems.write_postmortem_draft,
        postmortems.check_postmortem,
        ArchiveActivities(data).archive_incident,
        followup.collect_action_items,
        followup.sync_action_items,
        followup.remind_overdue_owner,
        followup.record_follow_up,
    ]


def build_worker(client: Client, settings: Settings, **options: Any) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(settings, client),
        **options,
    )
