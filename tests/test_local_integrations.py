"""The built-in channel log, status page and tracker: valid names, and a retried
write never repeats its effect."""

from __future__ import annotations

import json
from datetime import date

import pytest

from activities.chat import LocalChat, channel_name
from warroom.rules.requests import ChannelPost, ChannelTopic, OpenChannel
from activities.statuspage import LocalStatusPage
from warroom.rules.requests import StatusPost
from activities.tracker import LocalTracker
from warroom.rules.requests import TrackerItem
from warroom.models import PublicStatus, Severity

DAY = date(2026, 11, 24)


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


async def test_channel_open_and_post_are_idempotent(tmp_path):
    chat = LocalChat(tmp_path)
    req = OpenChannel(incident_id="inc-1", title="API down", declared_on=DAY, severity=Severity.SEV1, topic="t")
    first, again = await chat.open_channel(req), await chat.open_channel(req)
    assert first == again
    other = await chat.open_channel(req.model_copy(update={"incident_id": "inc-2"}))
    assert other.name == "incident-2026-11-24-api-down-2", "a name taken by another incident gets a suffix"
    post = ChannelPost(incident_id="inc-1", channel=first, text="hello", idempotency_key="inc-1:7")
    await chat.post(post)
    await chat.post(post)
    lines = chat.log_path(first.name).read_text().splitlines()
    assert sum('"inc-1:7"' in line for line in lines) == 1


async def test_status_page_never_creates_twice_and_skips_repeated_updates(tmp_path):
    page = LocalStatusPage(tmp_path)
    post = StatusPost(incident_id="inc-1", title="API down", service="api", status=PublicStatus.INVESTIGATING,
                      message="m", impact="major", components=["API"], idempotency_key="inc-1:3")
    await page.publish(post)
    await page.publish(post)
    await page.publish(post.model_copy(update={"status": PublicStatus.RESOLVED, "idempotency_key": "inc-1:9"}))
    doc = page.store.read()
    assert [u["status"] for u in doc["incidents"]["inc-1"]["updates"]] == ["investigating", "resolved"]
    assert doc["components"]["API"] == "operational"


async def test_tracker_finds_an_existing_item_by_labels(tmp_path):
    tracker = LocalTracker(tmp_path)
    item = TrackerItem(incident_id="inc-1", number=1, title="Canary", owner="ann", due=DAY, severity=Severity.SEV1, description="d")
    assert (await tracker.create(item)).key == (await tracker.create(item)).key == "WR-1"
    assert (await tracker.create(item.model_copy(update={"number": 2}))).key == "WR-2"


async def test_channels_opened_before_per_channel_records_still_take_topics(tmp_path):
    (tmp_path / "channels.json").write_text(json.dumps({"channels": {"incident-2026-11-24-api-down": {
        "incident_id": "inc-1", "created_at": "2026-11-24T10:00:00+00:00", "archived": False, "topic": "old",
        "members": [], "bookmarks": {},
    }}}))
    chat = LocalChat(tmp_path)
    req = OpenChannel(incident_id="inc-1", title="API down", declared_on=DAY, severity=Severity.SEV1, topic="t")
    ref = await chat.open_channel(req)
    assert ref.name == "incident-2026-11-24-api-down", "the incident keeps the channel it had"
    await chat.set_topic(ChannelTopic(incident_id="inc-1", channel=ref, topic="new"))
    assert chat.record(ref.name).read()["topic"] == "new"
