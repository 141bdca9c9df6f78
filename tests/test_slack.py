"""SlackChat through slack_sdk's AsyncWebClient over real HTTP against the fake."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.exceptions import ApplicationError

from activities.chat import ChatActivities
from warroom.rules.requests import ChannelArchive, ChannelBookmark, ChannelPost, ChannelTopic, DirectMessage, FirstPost, OpenChannel
from activities.slack import SlackChat
from tests.fakes.server import Served, json_response
from tests.fakes.slack import FakeSlack
from warroom.models import ChannelRef, Severity

TOKEN = "xoxb-secret-123"


@pytest.fixture
def fake():
    slack = FakeSlack(token=TOKEN)
    served = Served(slack.app).start()
    slack.url = served.url
    yield slack
    served.stop()


@pytest.fixture
def chat(fake):
    return SlackChat(TOKEN, f"{fake.url}/api/")


def opening(incident_id="inc-1", title="Checkout down", **kw) -> OpenChannel:
    return OpenChannel(
        incident_id=incident_id, title=title, declared_on=date(2026, 3, 4), severity=Severity.SEV1,
        topic=kw.pop("topic", "SEV1 | Investigating | IC: alice | Checkout down"),
        invite=kw.pop("invite", ["alice@example.com", "UCAROL", "nobody@example.com"]),
        bookmarks={"Temporal UI": "http://127.0.0.1:8233/x", "Status page": "http://127.0.0.1:8080/status"}, **kw,
    )


async def test_open_channel_creates_once_with_topic_members_and_bookmarks(fake, chat):
    ref = await chat.open_channel(opening())
    assert "conversations.list" not in fake.calls  # a new channel costs no listing (tier 2)
    again = await chat.open_channel(opening())
    assert again == ref and ref.name == "incident-2026-03-04-checkout-down"
    assert ref.url == f"https://fake.slack.test/archives/{ref.id}"
    channel = fake.channel(ref.name)
    assert channel["topic"]["value"].startswith("SEV1 | Investigating")
    assert "[warroom:inc-1]" in channel["purpose"]["value"]
    assert {"UALICE", "UCAROL"} <= set(channel["members"])
    assert [b["title"] for b in channel["bookmarks"]] == ["Temporal UI", "Status page"]
    assert [c["name"] for c in fake.channels.values()] == [ref.name]


async def test_any_title_gives_a_valid_name_and_a_taken_name_gets_a_suffix(fake, chat):
    first = await chat.open_channel(opening("inc-1", "Zahlung kaputt 🔥 — ÄÖÜ!!"))
    second = await chat.open_channel(opening("inc-2", "Zahlung kaputt 🔥 — ÄÖÜ!!"))
    assert first.name == "incident-2026-03-04-zahlung-kaputt-aou"
    assert second.name == "incident-2026-03-04-zahlung-kaputt-aou-2"
    long = await chat.open_channel(opening("inc-3", "x" * 200))
    assert len(long.name) <= 80


async def test_a_create_whose_answer_was_lost_is_found_by_the_retry(fake, chat):
    fake.faults.rate = 0.5  # seeded mix of 429 and 500, some 500s after applying
    for _ in range(40):
        try:
            ref = await chat.open_channel(opening())
            break
        except ApplicationError as err:
            assert not err.non_retryable
    assert fake.faults.injected["500-after"] > 0
    assert [c["name"] for c in fake.channels.values()] == [ref.name]
    assert len(fake.channel(ref.name)["bookmarks"]) == 2


async def test_the_opening_activity_posts_the_first_update_once_however_often_it_is_retried(fake, chat):
    fake.faults.rate = 0.5  # seeded 429s and 500s, some after Slack applied the call
    opening_with_update = opening(first_post=FirstPost(text="Investigating: checkout down", idempotency_key="inc-1:1:first"))
    refs = []
    for _ in range(60):
        try:
            refs.append(await ChatActivities(chat).open_channel(opening_with_update))
        except ApplicationError as err:
            assert not err.non_retryable
        if len(refs) == 2:  # and once more after it succeeded, as a retry after a lost answer would
            break
    assert len(refs) == 2 and refs[0] == refs[1]
    assert fake.faults.injected["500-after"] > 0
    assert [c["name"] for c in fake.channels.values() if c.get("is_channel")] == [refs[0].name]
    assert [m["text"] for m in fake.messages(refs[0].id)] == ["Investigating: checkout down"]


async def test_posts_are_idempotent_by_key_and_archive_is_too(fake, chat):
    ref = await chat.open_channel(opening())
    post = ChannelPost(incident_id="inc-1", channel=ref, text="update 1", idempotency_key="inc-1:2")
    await chat.post(post)
    await chat.post(post)
    await chat.set_topic(ChannelTopic(incident_id="inc-1", channel=ref, topic="t" * 300))
    assert [m["text"] for m in fake.messages(ref.id)] == ["update 1"]
    assert len(fake.channel(ref.name)["topic"]["value"]) == 250
    await chat.archive(ChannelArchive(incident_id="inc-1", channel=ref))
    await chat.archive(ChannelArchive(incident_id="inc-1", channel=ref))
    with pytest.raises(ApplicationError, match="is_archived") as err:
        await chat.post(post.model_copy(update={"idempotency_key": "inc-1:3"}))
    assert err.value.non_retryable


async def test_direct_messages_open_a_dm_and_post_once(fake, chat):
    dm = DirectMessage(incident_id="inc-1", user="bob@example.com", text="you are paged", idempotency_key="inc-1:9")
    await chat.direct(dm)
    await chat.direct(dm)
    assert [m["text"] for m in fake.messages("D-UBOB")] == ["you are paged"]


async def test_rate_limit_is_retryable_with_retry_after(fake, chat):
    ref = await chat.open_channel(opening())
    fake.faults.fail_next(json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "7"}))
    with pytest.raises(ApplicationError) as err:
        await chat.post(ChannelPost(incident_id="inc-1", channel=ref, text="x", idempotency_key="k"))
    assert not err.value.non_retryable and err.value.next_retry_delay.total_seconds() == 7


async def test_bad_token_is_final_and_never_shows_the_token(fake):
    chat = SlackChat("xoxb-wrong-token", f"{fake.url}/api/")
    with pytest.raises(ApplicationError) as err:
        await chat.open_channel(opening())
    assert err.value.non_retryable and "invalid_auth" in str(err.value)
    assert "xoxb" not in str(err.value)


async def test_an_invalid_name_is_reported_not_retried(fake, chat):
    with pytest.raises(ApplicationError, match="invalid_name_specials") as err:
        await chat._create_channel("inc-1", "Not Valid!")
    assert err.value.non_retryable


async def test_a_bookmark_whose_answer_was_lost_is_not_added_again(fake, chat):
    ref = await chat.open_channel(opening())
    bridge = ChannelBookmark(incident_id="inc-1", channel=ref, title="War-room bridge", link="https://meet.example.com/inc-1")
    fake.faults.fail_next(json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"}))
    with pytest.raises(ApplicationError):
        await chat.bookmark(bridge)
    fake.faults.fail_next(json_response({"ok": False, "error": "internal_error"}, 500), after_apply=True)
    with pytest.raises(ApplicationError):
        await chat.bookmark(bridge)
    await chat.bookmark(bridge)
    titles = [b["title"] for b in fake.channel(ref.name)["bookmarks"]]
    assert titles == ["Temporal UI", "Status page", "War-room bridge"]


async def test_a_channel_named_in_config_is_found_joined_and_posted_to_once(fake, chat):
    incidents = fake.add_channel("incidents")
    announce = ChannelPost(incident_id="inc-1", channel=ChannelRef(id="#incidents", name="incidents"), text="inc-1 declared", idempotency_key="k1")
    await chat.post(announce)
    await chat.post(announce)  # a retry
    assert [m["text"] for m in fake.messages(incidents)] == ["inc-1 declared"]
    assert fake.calls.count("conversations.join") == 1 and fake.calls.count("conversations.list") == 1
    await chat.post(announce.model_copy(update={"idempotency_key": "k2", "text": "inc-1 resolved"}))
    assert fake.calls.count("conversations.list") == 1, "the name is looked up once"


async def test_a_channel_name_slack_does_not_know_is_a_final_failure_that_says_what_to_do(fake, chat):
    missing = ChannelPost(incident_id="inc-1", channel=ChannelRef(id="#exec", name="exec"), text="summary", idempotency_key="k1")
    with pytest.raises(ApplicationError) as failed:
        await chat.post(missing)
    assert failed.value.non_retryable and "no channel #exec the bot can see" in failed.value.message


async def test_slack_refuses_a_post_where_the_bot_is_no_member(fake, chat):
    private = fake.add_channel("leads")
    with pytest.raises(ApplicationError) as failed:
        await chat.post(ChannelPost(incident_id="inc-1", channel=ChannelRef(id=private, name="leads"), text="x", idempotency_key="k1"))
    assert "not_in_channel" in failed.value.message
