"""The schema, as SQLAlchemy Core tables. `migrations/` creates and changes it;
until warroom 1.0.0 the initial migration is edited with this file, from then
on every change is a new revision."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Document = JSON().with_variant(JSONB(), "postgresql")
When = DateTime(timezone=True)

# Closed incidents: the record that outlives Temporal's retention, read by reports and follow-ups.
incidents = Table(
    "incidents", metadata,
    Column("id", String(100), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("service", String(100), nullable=False, index=True),
    Column("severity", String(8), nullable=False, index=True),
    Column("started_at", When, nullable=False, index=True),
    Column("closed_at", When, index=True),
    Column("record", Document, nullable=False, comment="the incident's state query at closure"),
    Column("facts", Document, nullable=False, comment="what reports read of the record (warroom.report.Facts)"),
    Column("archived_at", When, nullable=False),
)

# Postmortem drafts, written from the timeline; the gateway serves them at /postmortems/<incident>.
postmortem_drafts = Table(
    "postmortem_drafts", metadata,
    Column("incident_id", String(100), primary_key=True),
    Column("markdown", Text, nullable=False),
    Column("generated_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
)

# One row per run of the follow-up schedule: what it found and the close rates.
follow_up_runs = Table(
    "follow_up_runs", metadata,
    Column("run_id", String(200), primary_key=True),
    Column("ran_at", When, nullable=False, index=True),
    Column("summary", Document, nullable=False),
)

# Action items' tracker status over time, as each follow-up run saw it.
action_item_statuses = Table(
    "action_item_statuses", metadata,
    Column("incident_id", String(100), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("run_id", String(200), primary_key=True),
    Column("tracker_key", String(100)),
    Column("status", String(10), nullable=False),
    Column("observed_at", When, nullable=False),
)

# The built-in channel log (no Slack): a channel per incident, its name claimed
# by the primary key, so two workers never take one name.
channels = Table(
    "channels", metadata,
    Column("name", String(80), primary_key=True),
    Column("incident_id", String(100), nullable=False, index=True),
    Column("topic", Text, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("members", Document, nullable=False, comment="the people invited"),
    Column("created_at", When, nullable=False),
)

# A link pinned in a channel's header: one per title, however often sent.
channel_bookmarks = Table(
    "channel_bookmarks", metadata,
    Column("channel", String(80), ForeignKey("channels.name", ondelete="CASCADE"), primary_key=True),
    Column("title", String(200), primary_key=True),
    Column("link", Text, nullable=False),
)

# Every message in order: incident channels, `incident-log-<id>` (no channel yet) and `dm-<user>`.
channel_messages = Table(
    "channel_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),
    Column("key", String(200), nullable=False, comment="the idempotency key: a retried post is not logged twice"),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", When, nullable=False),
    UniqueConstraint("channel", "key"),
)

# Slack's per-method rate budgets, shared by every worker (activities/slack_budget.py).
slack_budget = Table(
    "slack_budget", metadata,
    Column("method", String(200), primary_key=True, comment="a Web API method, or chat.postMessage:<channel>"),
    Column("next_at", Float, nullable=False, comment="epoch seconds from which the next call may go"),
)

# The built-in tracker (no Jira): one issue per action item, `WR-<id>`.
tracker_issues = Table(
    "tracker_issues", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("title", String(300), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("due", Date, nullable=False),
    Column("severity", String(8), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_at", When, nullable=False),
    UniqueConstraint("incident_id", "number"),
)

# The built-in status page (no Statuspage account), served at /status: a page
# incident per warroom incident, its updates, and the components' state.
status_page_incidents = Table(
    "status_page_incidents", metadata,
    Column("incident_id", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("service", String(100), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("impact", String(10), nullable=False),
    Column("components", Document, nullable=False),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False, index=True),
    Column("resolved_at", When),
)

status_page_updates = Table(
    "status_page_updates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(100), ForeignKey("status_page_incidents.incident_id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False, comment="the idempotency key: a retried update is not posted twice"),
    Column("status", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", When, nullable=False),
    UniqueConstraint("incident_id", "key"),
)

# Per incident, not per component: incidents sharing a component must not undo
# each other, so the page shows the worst status over the unresolved ones.
status_page_components = Table(
    "status_page_components", metadata,
    Column("incident_id", String(100), ForeignKey("status_page_incidents.incident_id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("status", String(30), nullable=False, comment="what this incident set; the page shows the worst of the unresolved"),
    Column("updated_at", When, nullable=False),
)

# People's accounts in other services found by e-mail (Slack users.lookupByEmail,
# Jira user search), remembered so each is asked once, by every worker.
identities = Table(
    "identities", metadata,
    Column("service", String(20), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("account", String(200), nullable=False, comment="the service's id for the person"),
    Column("found_at", When, nullable=False),
)

# Every alert the gateway received, and what became of it: the record the
# routing dry run (`warroom route check`) replays, and where a drop is counted.
alert_records = Table(
    "alert_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", When, nullable=False, index=True),
    Column("source", String(40), nullable=False),
    Column("dedup_key", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("alert", Document, nullable=False, comment="the alert as parsed, before routing rules (warroom.alerts.AlertEvent)"),
    Column("outcome", String(20), nullable=False, comment="opened, joined, ignored, dropped or held"),
    Column("incident_id", String(100)),
    Column("rule", String(200), comment="the routing rules that matched"),
)

# Maintenance windows started by people (`warroom maintenance start`); the
# scheduled ones live in warroom.toml.
maintenance_windows = Table(
    "maintenance_windows", metadata,
    Column("id", String(40), primary_key=True),
    Column("service", String(100), nullable=False, index=True),
    Column("starts_at", When, nullable=False),
    Column("ends_at", When, nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("silence_open", Boolean, nullable=False, comment="the service's open incidents hold their pages meanwhile"),
    Column("ended_at", When, comment="set when ended early by hand"),
)
