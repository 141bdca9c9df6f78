"""The built-in channel log, status page and tracker, in the database (SQLite
and PostgreSQL): valid names, and a retried, concurrent or other worker's write
never repeats its effect."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from activities.chat import LocalChat, channel_name
from activities.statuspage import LocalStatusPage
from activities.tracker import LocalTracker
from store.chat import ChannelLog
from store.db import Database, dispose_all
from store.statuspage import StatusPageStore
from warroom.models import PublicStatus, Severity
from warroom.rules.requests import (
    ChannelArchive, ChannelBookmark, ChannelPost, ChannelTopic, DirectMessage, OpenChannel, StatusPost, TrackerItem,
)

DAY = date(2026, 11, 24)
BASE = "incident-2026-11-24-api-down"


def opening(incident_id: str = "inc-1", **fields) -> OpenChannel:
    return OpenChannel(incident_id=incident_id, title="API down", declared_on=DAY, severity=Severity.SEV1, topic="t", **fields)


def status(key: str, state: PublicStatus = PublicStatus.INVESTIGATING, incident_id: str = "inc-1") -> StatusPost:
    return StatusPost(incident_id=incident_id, title="API down", service="api", status=state, message=f"m {key}",
                      impact="major", idempotency_key=key,
                      components=dict.fromkeys(["API", "Auth"], "operational" if state is PublicStatus.RESOLVED else "partial_outage"))


def action(number: int, incident_id: str = "inc-1") -> TrackerItem:
    return TrackerItem(incident_id=incident_id, number=number, title="Canary", owner="ann", due=DAY,
                       severity=Severity.SEV1, description="d")


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Checkout DOWN!!", "incident-2026-11-24-checkout-down"),
        ("Zahlungen schlagen fehl – Überweisung", "incident-2026-11-24-zahlungen-schlagen-fehl-uberweisung"),
        ("🔥🔥🔥", "incident-2026-11-24-incident"),
        ("x" * 200, "incident-2026-11-24-" + "x" * 60),
    ],
)
def test_channel_names_follow_slack_rules(title, name):
    result = channel_name(DAY, title)
    assert result == name
    assert len(result) <= 80 and result == result.lower()


async def test_channel_open_post_and_archive_are_idempotent(database_url):
    db = Database(database_url)
    chat, log = LocalChat(db), ChannelLog(db)
    first = await chat.open_channel(opening(invite=["bob", "ann", "bob"], bookmarks={"Runbook": "https://r"}))
    assert first == await chat.open_channel(opening()) and first.name == BASE
    other = await chat.open_channel(opening("inc-2"))
    assert other.name == f"{BASE}-2", "a name taken by another incident gets a suffix"
    post = ChannelPost(incident_id="inc-1", channel=first, text="hello", idempotency_key="inc-1:7")
    await chat.post(post)
    await chat.post(post)
    await chat.set_topic(ChannelTopic(incident_id="inc-1", channel=first, topic="new"))
    for link in ("https://old", "https://new"):
        await chat.bookmark(ChannelBookmark(incident_id="inc-1", channel=first, title="Bridge", link=link))
    for _ in range(2):
        await chat.archive(ChannelArchive(incident_id="inc-1", channel=first))
    assert [(m.kind, m.text) for m in await log.messages(first.name)] == [
        ("opened", f"#{BASE} opened for API down"), ("message", "hello"), ("archived", "channel archived"),
    ]
    channel = await log.channel(first.name)
    assert (channel.incident_id, channel.topic, channel.archived, channel.members) == ("inc-1", "new", True, ["ann", "bob"])
    assert channel.bookmarks == {"Runbook": "https://r", "Bridge": "https://new"}
    assert (await log.channel(other.name)).archived is False


async def test_concurrent_retries_open_one_channel_and_post_once(database_url):
    chat = LocalChat(Database(database_url))
    refs = await asyncio.gather(*(chat.open_channel(opening()) for _ in range(8)))
    assert {ref.name for ref in refs} == {BASE}
    post = ChannelPost(incident_id="inc-1", channel=refs[0], text="update", idempotency_key="inc-1:3")
    direct = DirectMessage(incident_id="inc-1", user="ann@example.com", text="paged", idempotency_key="inc-1:page:1")
    await asyncio.gather(*(chat.post(post) for _ in range(8)), *(chat.direct(direct) for _ in range(8)))
    log = ChannelLog(Database(database_url))
    assert [m.kind for m in await log.messages(BASE)] == ["opened", "message"]
    assert [m.text for m in await log.messages("dm-ann_example.com")] == ["paged"]


async def test_two_workers_racing_for_one_name_each_claim_a_name_of_their_own(database_url):
    """Two workers (each its own event loop, engine and connections) open
    channels for twelve incidents with one title at once, then again as
    retries: every incident gets one name, no name two incidents."""
    incidents = [f"inc-{n}" for n in range(12)]

    async def worker(mine: list[str]) -> dict[str, str]:
        chat = LocalChat(Database(database_url))
        try:
            opened = await asyncio.gather(*(chat.open_channel(opening(i)) for i in mine))
            retried = await asyncio.gather(*(chat.open_channel(opening(i)) for i in reversed(mine)))
            assert [r.name for r in opened] == [r.name for r in reversed(retried)], "a retry finds its channel"
            return {i: ref.name for i, ref in zip(mine, opened)}
        finally:
            await dispose_all()

    other = asyncio.create_task(asyncio.to_thread(asyncio.run, worker(incidents[1::2])))
    claimed = {**(await worker(incidents[::2])), **(await other)}
    assert sorted(claimed.values()) == sorted([BASE] + [f"{BASE}-{n}" for n in range(2, 13)])
    log = ChannelLog(Database(database_url))
    for incident_id, name in claimed.items():
        assert (await log.channel(name)).incident_id == incident_id
        assert [m.kind for m in await log.messages(name)] == ["opened"]


async def test_status_page_never_creates_twice_and_skips_repeated_updates(database_url):
    db = Database(database_url)
    page = LocalStatusPage(db, "http://status.example")
    ref = await page.publish(status("inc-1:3"))
    assert (ref.id, ref.url) == ("inc-1", "http://status.example/status/incidents/inc-1")
    await asyncio.gather(*(page.publish(status("inc-1:3")) for _ in range(6)))
    current = await StatusPageStore(db).page()
    assert current.components == {"API": "partial_outage", "Auth": "partial_outage"}
    await asyncio.gather(*(page.publish(status("inc-1:9", PublicStatus.RESOLVED)) for _ in range(6)))
    await page.publish(status("inc-2:1", incident_id="inc-2"))
    shown = await StatusPageStore(db).page()
    assert [i.id for i in shown.incidents] == ["inc-2", "inc-1"], "most recently updated first"
    resolved = shown.incidents[1]
    assert [(u.status, u.body) for u in resolved.updates] == [("investigating", "m inc-1:3"), ("resolved", "m inc-1:9")]
    assert resolved.status == "resolved" and resolved.resolved_at and resolved.updated_at >= resolved.created_at
    assert shown.components == {"API": "partial_outage", "Auth": "partial_outage"}, "inc-2 is still on"
    assert [i.id for i in (await StatusPageStore(db).page(history=0)).incidents] == ["inc-2"]


async def test_tracker_creates_one_issue_per_action_item_under_retries_and_concurrency(database_url):
    tracker = LocalTracker(Database(database_url))
    assert (await tracker.create(action(1))).key == (await tracker.create(action(1))).key == "WR-1"
    refs = await asyncio.gather(*(tracker.create(action(2)) for _ in range(6)))
    assert len({ref.key for ref in refs}) == 1 and refs[0].status == "open"
    assert await tracker.status(refs[0].key) == "open"
    assert await tracker.status("WR-999") is None and await tracker.status("OPS-1") is None
    assert (await tracker.create(action(1, "inc-2"))).key not in {"WR-1", refs[0].key}
