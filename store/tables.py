"""The schema, as SQLAlchemy Core tables. `migrations/` creates and changes it;
until warroom 1.0.0 the initial migration is edited with this file, from then
on every change is a new revision."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text
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
