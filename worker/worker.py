"""The worker: IncidentWorkflow plus the activities of whichever integrations
are configured (built-in local ones when none are)."""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.archive import ArchiveActivities
from activities.canary import CanaryActivities
from activities.changes import ChangeActivities
from activities.chat import ChatActivities, ChatBackend, LocalChat
from activities.followup import FollowUpActivities
from activities.heartbeat import HeartbeatActivities
from activities.jira_tracker import JiraTracker
from activities.pagerduty import PagerDutyEvents
from activities.paging import Pager, PagingActivities
from activities.policy import PolicyActivities
from activities.postmortem import PostmortemActivities
from activities.prometheus import PrometheusAPI
from activities.routing import RoutingActivities
from activities.signals import SignalActivities
from activities.slack import SlackChat
from activities.slack_budget import SlackPace
from activities.statuspage import LocalStatusPage, StatusPageActivities, StatusPageBackend
from activities.statuspage_api import StatusPageAPI
from activities.tracker import LocalTracker, TrackerActivities, TrackerBackend
from store.db import Database
from store.identities import Identities
from store.slack_budget import SlackBudgets
import warroom
from warroom.settings import Settings
from worker.metrics import WorkerMetrics
from workflows.canary import CanaryWorkflow
from workflows.changes import ChangesWorkflow
from workflows.followup import FollowUpWorkflow
from workflows.heartbeat import HeartbeatWorkflow
from workflows.incident import IncidentWorkflow
from workflows.maintenance import MaintenanceWindowWorkflow

WORKFLOWS = [IncidentWorkflow, FollowUpWorkflow, ChangesWorkflow, MaintenanceWindowWorkflow, HeartbeatWorkflow, CanaryWorkflow]


def build_activities(settings: Settings, client: Client) -> list[Callable[..., Any]]:
    """Choose each integration's backend from settings and expose its activities."""
    chat = chat_backend(settings)
    status = status_backend(settings)
    tracker = tracker_backend(settings)
    chat_acts = ChatActivities(chat)
    paging = PagingActivities(chat, settings.policy, pager(settings))
    link_secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    postmortems = PostmortemActivities(Database(settings.database), settings.gateway_url, link_secret)
    followup = FollowUpActivities(client, settings, chat, tracker, Database(settings.database))
    routing = RoutingActivities(client, settings)
    canary = CanaryActivities(client, settings)
    return [
        chat_acts.open_channel,
        chat_acts.post_to_channel,
        chat_acts.set_channel_topic,
        chat_acts.archive_channel,
        chat_acts.send_direct_message,
        chat_acts.invite_to_channel,
        chat_acts.bookmark_channel,
        StatusPageActivities(status).publish_status,
        TrackerActivities(tracker).create_action_item,
        paging.page_responder,
        paging.update_page,
        PolicyActivities(settings).load_incident_context,
        ChangeActivities(client, settings.task_queue).list_recent_changes,
        postmortems.write_postmortem_draft,
        postmortems.check_postmortem,
        ArchiveActivities(Database(settings.database)).archive_incident,
        routing.route_alerts_onward,
        routing.release_held_alerts,
        SignalActivities(PrometheusAPI(settings.prometheus_url) if settings.prometheus_url else None).take_signal_snapshot,
        followup.file_untracked_action_items,
        followup.collect_action_items,
        followup.sync_action_items,
        followup.remind_overdue_owner,
        followup.record_follow_up,
        HeartbeatActivities(settings.heartbeat_url, Database(settings.database)).send_heartbeat,
        canary.send_canary_alert,
        canary.check_canary,
        canary.page_canary_missed,
    ]


def chat_backend(settings: Settings) -> ChatBackend:
    """Slack when a bot token is set (its calls paced by the budgets all workers
    share), else channel logs in the database."""
    if settings.slack_bot_token:
        identities = Identities(Database(settings.database), "slack")
        pace = SlackPace(SlackBudgets(Database(settings.database)), settings.slack_rate_window.total_seconds())
        return SlackChat(settings.slack_bot_token.get_secret_value(), settings.slack_api_url, identities=identities, pace=pace)
    return LocalChat(Database(settings.database))


def status_backend(settings: Settings) -> StatusPageBackend:
    """Atlassian Statuspage with an API key and page id, else warroom's own page."""
    if settings.statuspage_api_key and settings.statuspage_page_id:
        return StatusPageAPI(
            settings.statuspage_api_key.get_secret_value(), settings.statuspage_page_id, settings.statuspage_api_url
        )
    return LocalStatusPage(Database(settings.database), settings.gateway_url)


def pager(settings: Settings) -> Pager | None:
    """PagerDuty with a routing key; without one, pages are chat direct messages."""
    if settings.pagerduty_routing_key:
        return PagerDutyEvents(settings.pagerduty_routing_key.get_secret_value(), settings.pagerduty_events_url)
    return None


def tracker_backend(settings: Settings) -> TrackerBackend:
    """Jira when server, user, token and project are all set, else the local tracker."""
    if settings.jira_url and settings.jira_user and settings.jira_token and settings.jira_project:
        return JiraTracker(
            settings.jira_url, settings.jira_user, settings.jira_token.get_secret_value(), settings.jira_project
        )
    return LocalTracker(Database(settings.database))


# Temporal's sandbox imports a workflow's modules afresh and refuses the calls
# that break replay (the clock, randomness, uuid4, I/O). Recorded histories and
# every run of the crash drill replay inside it, with everything under
# workflows/ and the incident rules (warroom.rules) imported into it, so such a
# call on any path they take fails CI (tests/test_sandbox.py). Workers run
# workflows without it unless WARROOM_WORKFLOW_SANDBOX asks: re-importing per
# incident and entering it on every activation and payload cost the worker a
# quarter of its CPU in an alert storm (benchmarks/RESULTS.md), and the cheaper
# variant that passed every module through refused almost nothing. (In-process
# test workers run as production does: with sandboxed workers in threads beside
# the test's own work, the test process twice died of interpreter errors.)
RULES_IN_SANDBOX = "rules"
SHARED_DATA = ("warroom.rules.requests", "warroom.rules.effects")  # plain models and names: no decisions in them
SANDBOXED_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "activities", "client", "pydantic", *SHARED_DATA,
        *(f"warroom.{mod.name}" for mod in pkgutil.iter_modules(warroom.__path__) if mod.name != RULES_IN_SANDBOX),
    )
)


def workflow_runner(settings: Settings) -> WorkflowRunner:
    return SANDBOXED_RUNNER if settings.workflow_sandbox else UnsandboxedWorkflowRunner()


def build_worker(client: Client, settings: Settings, **options: Any) -> Worker:
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=WORKFLOWS,
        activities=build_activities(settings, client),
        interceptors=[WorkerMetrics()],
        **{"workflow_runner": workflow_runner(settings), **options},
    )
