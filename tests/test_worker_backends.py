"""The worker uses a real integration only when all of its settings are present."""

from __future__ import annotations

from activities.chat import LocalChat
from activities.jira_tracker import JiraTracker
from activities.pagerduty import PagerDutyEvents
from activities.slack import SlackChat
from activities.statuspage import LocalStatusPage
from activities.statuspage_api import StatusPageAPI
from activities.tracker import LocalTracker
from warroom.settings import Settings
from worker.worker import chat_backend, pager, status_backend, tracker_backend


def test_no_settings_means_the_built_in_integrations(tmp_path):
    settings = Settings(data_dir=tmp_path, config=None, statuspage_api_key="k", jira_url="http://127.0.0.1:1", jira_user="u")
    assert isinstance(chat_backend(settings), LocalChat)
    assert isinstance(status_backend(settings), LocalStatusPage)  # no page id
    assert isinstance(tracker_backend(settings), LocalTracker)  # no token, no project


def test_complete_settings_select_slack_statuspage_and_jira(tmp_path):
    settings = Settings(
        data_dir=tmp_path, config=None, slack_bot_token="xoxb-1", statuspage_api_key="k", statuspage_page_id="p",
        jira_url="http://127.0.0.1:1", jira_user="u", jira_token="t", jira_project="OPS",
    )
    assert isinstance(chat_backend(settings), SlackChat)
    assert isinstance(status_backend(settings), StatusPageAPI)
    assert isinstance(tracker_backend(settings), JiraTracker)


def test_a_pagerduty_routing_key_selects_pagerduty_for_pages(tmp_path):
    assert pager(Settings(data_dir=tmp_path, config=None)) is None
    chosen = pager(Settings(data_dir=tmp_path, config=None, pagerduty_routing_key="k" * 32))
    assert isinstance(chosen, PagerDutyEvents) and chosen.events_url == "https://events.pagerduty.com/v2/enqueue"
