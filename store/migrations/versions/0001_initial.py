"""The first schema: the incident archive, postmortem drafts, follow-ups, and
the built-in channel log, tracker and status page, people's remembered accounts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DOCUMENT = sa.JSON().with_variant(JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("service", sa.String(100), nullable=False, index=True),
        sa.Column("severity", sa.String(8), nullable=False, index=True),
        sa.Column("started_at", WHEN, nullable=False, index=True),
        sa.Column("closed_at", WHEN, index=True),
        sa.Column("record", DOCUMENT, nullable=False, comment="the incident's state query at closure"),
        sa.Column("facts", DOCUMENT, nullable=False, comment="what reports read of the record (warroom.report.Facts)"),
        sa.Column("archived_at", WHEN, nullable=False),
    )
    op.create_table(
        "postmortem_drafts",
        sa.Column("incident_id", sa.String(100), primary_key=True),
        sa.Column("markdown", sa.Text, nullable=False),
        sa.Column("generated_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "follow_up_runs",
        sa.Column("run_id", sa.String(200), primary_key=True),
        sa.Column("ran_at", WHEN, nullable=False, index=True),
        sa.Column("summary", DOCUMENT, nullable=False),
    )
    op.create_table(
        "action_item_statuses",
        sa.Column("incident_id", sa.String(100), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(200), primary_key=True),
        sa.Column("tracker_key", sa.String(100)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("observed_at", WHEN, nullable=False),
    )
    op.create_table(
        "channels",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("incident_id", sa.String(100), nullable=False, index=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("members", DOCUMENT, nullable=False, comment="the people invited"),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "channel_bookmarks",
        sa.Column("channel", sa.String(80), sa.ForeignKey("channels.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("title", sa.String(200), primary_key=True),
        sa.Column("link", sa.Text, nullable=False),
    )
    op.create_table(
        "channel_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False, comment="the idempotency key: a retried post is not logged twice"),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.UniqueConstraint("channel", "key"),
    )
    op.create_table(
        "slack_budget",
        sa.Column("method", sa.String(200), primary_key=True, comment="a Web API method, or chat.postMessage:<channel>"),
        sa.Column("next_at", sa.Float, nullable=False, comment="epoch seconds from which the next call may go"),
    )
    op.create_table(
        "tracker_issues",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("incident_id", "number"),
    )
    op.create_table(
        "status_page_incidents",
        sa.Column("incident_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("impact", sa.String(10), nullable=False),
        sa.Column("components", DOCUMENT, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False, index=True),
        sa.Column("resolved_at", WHEN),
    )
    op.create_table(
        "status_page_updates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id", sa.String(100),
            sa.ForeignKey("status_page_incidents.incident_id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column("key", sa.String(200), nullable=False, comment="the idempotency key: a retried update is not posted twice"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.UniqueConstraint("incident_id", "key"),
    )
    op.create_table(
        "status_page_components",
        sa.Column(
            "incident_id", sa.String(100),
            sa.ForeignKey("status_page_incidents.incident_id", ondelete="CASCADE"), primary_key=True,
        ),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(30), nullable=False, comment="what this incident set; the page shows the worst of the unresolved"),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column("service", sa.String(20), primary_key=True),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("account", sa.String(200), nullable=False, comment="the service's id for the person"),
        sa.Column("found_at", WHEN, nullable=False),
    )
    op.create_table(
        "alert_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", WHEN, nullable=False, index=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("dedup_key", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("alert", DOCUMENT, nullable=False, comment="the alert as parsed, before routing rules (warroom.alerts.AlertEvent)"),
        sa.Column("outcome", sa.String(20), nullable=False, comment="opened, joined, ignored, dropped or held"),
        sa.Column("incident_id", sa.String(100)),
        sa.Column("rule", sa.String(200), comment="the routing rules that matched"),
    )
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("service", sa.String(100), nullable=False, index=True),
        sa.Column("starts_at", WHEN, nullable=False),
        sa.Column("ends_at", WHEN, nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("silence_open", sa.Boolean, nullable=False, comment="the service's open incidents hold their pages meanwhile"),
        sa.Column("ended_at", WHEN, comment="set when ended early by hand"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_windows")
    op.drop_table("alert_records")
    for table in ("action_item_statuses", "follow_up_runs", "postmortem_drafts", "incidents"):
        op.drop_table(table)
    for table in ("identities", "status_page_components", "status_page_updates", "status_page_incidents", "tracker_issues",
                  "slack_budget", "channel_messages", "channel_bookmarks", "channels"):
        op.drop_table(table)
