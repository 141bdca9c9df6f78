"""The archive and the follow-up record in the database, on SQLite and on a real
PostgreSQL: idempotent writes, one row however many workers archive an incident
at once, whole records for readers, statuses over time."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from temporalio.testing import ActivityEnvironment

from activities.archive import ArchiveActivities
from store.archive import Archive
from store.db import Database
from store.followups import FollowUps, Observed
from store.tables import action_item_statuses, follow_up_runs, incidents
from warroom.metrics import Metrics
from warroom.models import ActionItem, Impact, IncidentState, Phase, Severity, TimelineEntry
from warroom.report import Facts
from warroom.responders import ActionItemRequest
from warroom.rules.learn import add_after_closure
from warroom.rules.requests import ArchiveRequest

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def closed(incident_id: str = "inc-a", *, notes: int = 3, started: datetime = T0, items: int = 2, service: str = "checkout") -> IncidentState:
    """A closed incident; `notes` timeline entries, and a title that says how many."""
    return IncidentState(
        id=incident_id, title=f"{notes} notes", service=service, severity=Severity.SEV2, phase=Phase.CLOSED, impact=Impact(),
        source="manual", roles={"commander": "pat"},
        timeline=[TimelineEntry(at=started + timedelta(minutes=n), actor=f"person{n % 3}", kind="note", text=f"note {n}") for n in range(notes)],
        action_items=[ActionItem(number=n + 1, title=f"item {n + 1}", owner="olga", due=date(2026, 4, 1), tracker_key=f"WR-{n + 1}") for n in range(items)],
        metrics=Metrics(started_at=started, declared_at=started, resolved_at=started + timedelta(hours=1), closed_at=started + timedelta(days=2)),
    )


async def count(db: Database, table) -> int:
    async with db.reading() as session:
        return await session.scalar(select(func.count()).select_from(table))


async def test_putting_the_same_state_twice_leaves_one_unchanged_row(database_url):
    db = Database(database_url)
    archive = Archive(db)
    state = closed()
    await archive.put(state)
    async with db.reading() as session:
        first = (await session.execute(select(incidents))).one()
    await archive.put(state)
    async with db.reading() as session:
        again = (await session.execute(select(incidents))).one()
    assert await count(db, incidents) == 1
    assert again == first, "same state, same row (archived_at too)"
    assert await archive.get("inc-a") == state
    assert await archive.get("inc-nope") is None
    assert (first.title, first.service, first.severity) == ("3 notes", "checkout", "SEV2")


async def test_twenty_workers_archiving_one_incident_at_once_leave_one_row(database_url):
    db = Database(database_url)
    await asyncio.gather(*(Archive(db).put(closed()) for _ in range(20)))
    assert await count(db, incidents) == 1
    assert await Archive(db).get("inc-a") == closed()


async def test_the_archive_activity_retried_writes_one_record(database_url):
    db = Database(database_url)
    activities = ArchiveActivities(db)
    for _ in range(3):
        assert await ActivityEnvironment().run(activities.archive_incident, ArchiveRequest(state=closed())) == "inc-a"
    assert await count(db, incidents) == 1


async def test_a_reader_sees_one_whole_record_or_another_never_half_of_one(database_url):
    """Versions of one incident with 1..20 timeline entries, written concurrently:
    each read's title, timeline, columns and facts belong to one version."""
    db = Database(database_url)
    archive = Archive(db)
    await archive.put(closed(notes=1, items=1))
    writing = asyncio.gather(*(archive.put(closed(notes=n, items=n % 4)) for n in range(1, 21)))
    seen = set()
    while True:
        done = writing.done()
        async with db.reading() as session:
            row = (await session.execute(select(incidents.c.title, incidents.c.record, incidents.c.facts))).one()
        state = await archive.get("inc-a")
        for title, notes, items, facts_items in (
            (row.title, len(row.record["timeline"]), len(row.record["action_items"]), len(row.facts["action_items"])),
            (state.title, len(state.timeline), len(state.action_items), len(state.action_items)),
        ):
            assert title == f"{notes} notes" and items == facts_items == notes % 4, (title, notes, items, facts_items)
            seen.add(notes)
        if done:
            break
        await asyncio.sleep(0)
    await writing
    assert await count(db, incidents) == 1 and len(seen) >= 2


async def test_all_and_facts_read_the_incidents_started_since_oldest_first(database_url):
    archive = Archive(Database(database_url))
    states = [closed(f"inc-{n}", started=T0 - timedelta(days=n), service=("checkout", "search")[n % 2]) for n in (3, 0, 20, 1)]
    for s in states:
        await archive.put(s)
    assert [s.id for s in await archive.all()] == ["inc-20", "inc-3", "inc-1", "inc-0"]
    since = T0 - timedelta(days=5)
    assert [s.id for s in await archive.all(since)] == ["inc-3", "inc-1", "inc-0"]
    facts = await archive.facts(since)
    assert sorted(facts, key=lambda f: f.started_at) == [Facts.of(s) for s in sorted(states[:2] + states[3:], key=lambda s: s.metrics.started_at)]
    assert len(await archive.facts()) == 4
    assert [(a.incident_id, a.service, [i.title for i in a.items]) for a in await archive.action_items()][:2] == [
        ("inc-20", "checkout", ["item 1", "item 2"]), ("inc-3", "search", ["item 1", "item 2"])]


async def test_follow_up_runs_record_once_and_statuses_over_time_reach_every_reader(database_url):
    db = Database(database_url)
    archive, followups = Archive(db), FollowUps(db)
    await archive.put(closed("inc-a"))
    summary = {"items": 2, "done": 0}
    seen = [Observed("inc-a", 1, "open", "WR-1"), Observed("inc-a", 2, "open", "WR-2"), Observed("inc-open", 1, "open", None)]
    assert await followups.record("run-1", T0, summary, seen) == 3, "first sight of every item"
    assert await followups.record("run-1", T0, summary, seen) == 0, "a retried run records nothing twice"
    assert await followups.record("run-2", T0 + timedelta(hours=1), summary, seen) == 0, "nothing changed"
    done = [seen[0]._replace(status="done"), seen[1], seen[2]._replace(tracker_key="WR-9")]
    assert await followups.record("run-3", T0 + timedelta(hours=2), {"items": 2, "done": 1}, done) == 2
    assert await count(db, follow_up_runs) == 3 and await count(db, action_item_statuses) == 5
    assert await followups.run("run-3") == {"items": 2, "done": 1} and await followups.run("run-9") is None
    assert await followups.history("inc-a", 1) == [(T0, "open", "run-1"), (T0 + timedelta(hours=2), "done", "run-3")]
    assert (await followups.latest())[("inc-open", 1)] == Observed("inc-open", 1, "open", "WR-9")

    assert [i.status for i in (await archive.get("inc-a")).action_items] == ["done", "open"]
    assert [i.status for i in (await archive.all())[0].action_items] == ["done", "open"]
    (facts,) = await archive.facts()
    assert facts.action_items == {1: "done", 2: "open"}
    assert [i.status for i in (await archive.action_items())[0].items] == ["open", "open"], "the record as archived"


async def test_a_late_archive_retry_keeps_the_items_agreed_after_closure(database_url):
    """The archive activity's first attempt, still running when its retry closed the
    incident, writes after an item was agreed: the item and its entry stay."""
    db = Database(database_url)
    archive = Archive(db)
    state = closed(items=1)
    await archive.put(state)
    agreed = ActionItemRequest(by="bob", title="Alert on pool exhaustion", owner="carol", due=state.metrics.declared_at.date())
    item = await archive.amend("inc-a", lambda s: add_after_closure(s, agreed, datetime.now(UTC)))
    await archive.put(state)  # the late attempt, with the state it was given
    record = await archive.get("inc-a")
    assert [i.title for i in record.action_items][-1] == "Alert on pool exhaustion" and item.number == 2
    assert record.timeline[-1].text.endswith("(after closure)")
    assert await count(db, incidents) == 1
