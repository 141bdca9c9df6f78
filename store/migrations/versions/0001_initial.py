"""The first schema: the incident archive, postmortem drafts and follow-ups.

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


def downgrade() -> None:
    for table in ("action_item_statuses", "follow_up_runs", "postmortem_drafts", "incidents"):
        op.drop_table(table)
