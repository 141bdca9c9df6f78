"""warroom's database: everything outside Temporal that must outlive a pod.

SQLAlchemy 2 (async) over SQLite by default (a file in the data directory) or
PostgreSQL in production (`WARROOM_DATABASE_URL`); the schema is Alembic's
(`store/migrations`, `warroom db upgrade`). Temporal holds open incidents; the
database is the record: the archive, postmortem drafts, follow-ups and the
built-in channel log, tracker and status page. Every write is idempotent,
keyed by incident id or effect key, and one transaction: a crash mid-write
leaves the previous record, never half of one."""
