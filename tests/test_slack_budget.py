"""Slack's rate budgets shared through the database (issue 23): urgent calls
queue ahead of the others, a 429 holds the method for every worker until its
Retry-After, and a rate-limited call is made again in place, once applied."""

from __future__ import annotations

import asyncio
import time

from starlette.routing import Route

from activities.slack import SlackChat
from activities.slack_budget import SlackPace
from store.db import Database
from store.migrate import upgrade
from store.slack_budget import SlackBudgets
from gateway.slack_http import SlackWork
from tests.fakes.server import json_response
from tests.slack_support import TOKEN, served_fake
from warroom.models import ChannelRef
from warroom.settings import Settings
from warroom.rules.requests import ChannelPost

TIER_2 = 3.0  # seconds between tier-2 calls: twenty a minute


async def test_urgent_calls_queue_ahead_and_the_others_wait_for_a_free_moment(database_url):
    budgets = SlackBudgets(Database(database_url))
    now = 1000.0
    assert await budgets.take("conversations.setTopic", TIER_2, now, urgent=False, horizon=20) == (0.0, True)
    assert await budgets.take("conversations.setTopic", TIER_2, now, urgent=True, horizon=20) == (3.0, True)
    assert await budgets.take("conversations.setTopic", TIER_2, now, urgent=True, horizon=20) == (6.0, True)
    assert await budgets.take("conversations.setTopic", TIER_2, now, urgent=False, horizon=20) == (9.0, False)  # after both
    assert await budgets.take("conversations.setTopic", TIER_2, now + 9, urgent=False, horizon=20) == (0.0, True)
    assert await budgets.take("conversations.setTopic", TIER_2, now + 9, urgent=True, horizon=1) == (3.0, False)  # too far
    assert await budgets.take("chat.postMessage:C1", 1.0, now, urgent=False, horizon=20) == (0.0, True)  # keys apart


async def test_a_429_holds_the_method_for_everyone_until_retry_after(database_url):
    one, other = SlackBudgets(Database(database_url)), SlackBudgets(Database(database_url))  # two workers
    await one.hold("conversations.create", until=1030.0)
    await one.hold("conversations.create", until=1010.0)  # an earlier hold does not shorten it
    assert await other.take("conversations.create", TIER_2, 1000.0, urgent=True, horizon=60) == (30.0, True)
    assert await other.take("conversations.create", TIER_2, 1000.0, urgent=False, horizon=60) == (33.0, False)


async def test_a_rate_limited_post_waits_its_retry_after_and_goes_once(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'warroom.db'}"
    await upgrade(url)
    fake, served = served_fake()
    try:
        budgets = SlackBudgets(Database(url))
        chat = SlackChat(TOKEN, f"{fake.url}/api/", pace=SlackPace(budgets))
        fake.m_conversations_create({"name": "incident-2026-03-04-x"})
        cid = next(iter(fake.channels))
        fake.faults.fail_next(json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"}))
        before = time.time()
        await chat.post(ChannelPost(incident_id="inc-1", channel=ChannelRef(id=cid, name="x"), text="update", idempotency_key="inc-1:7"))
        # retried in place rather than failing the activity, after the hold every worker sees
        held, _ = await budgets.take(f"chat.postMessage:{cid}", 1.0, before, urgent=False, horizon=60)
        assert held >= 1.0
        assert [m["text"] for m in fake.messages(cid)] == ["update"]
        assert fake.calls.count("chat.postMessage") == 2
    finally:
        served.stop()


async def test_workers_taking_at_once_never_share_a_moment(database_url):
    workers = [SlackBudgets(Database(database_url)) for _ in range(4)]
    taken = await asyncio.gather(*(w.take("conversations.invite", 1.2, 1000.0, urgent=True, horizon=60) for w in workers * 5))
    assert sorted(round(delay, 6) for delay, _ in taken) == [round(1.2 * n, 6) for n in range(20)]


async def test_the_gateways_own_calls_draw_on_the_workers_budgets_and_honour_a_429(tmp_path):
    """A button's chat.update from the gateway takes its moment from the same
    budget the workers use, and a 429 it meets holds the method for them too."""
    fake, served = served_fake()
    try:
        settings = Settings(data_dir=tmp_path, slack_bot_token=TOKEN, slack_api_url=f"{fake.url}/api/", slack_rate_window="6s")
        await upgrade(settings.database)
        work = SlackWork(settings)
        budgets = SlackBudgets(Database(settings.database))
        channel = fake.add_channel("general", members=["UBOT"])
        posted = await work.call("chat.postMessage", channel=channel, text="hello")
        assert posted and posted["ok"]
        began = time.time()
        await work.call("chat.update", channel=channel, ts=posted["ts"], text="hello, edited")
        # The workers' next chat.update must wait the tier-3 interval (6 s / 50) after the gateway's.
        delay, _ = await budgets.take("chat.update", 6 / 50, began, urgent=False, horizon=0)
        assert 0 < delay <= 6 / 50 + 0.05

        fake.app.router.routes.insert(0, _limited("chat.update", retry_after=30))
        assert await work.call("chat.update", channel=channel, ts=posted["ts"], text="again") is None
        delay, taken = await budgets.take("chat.update", 6 / 50, time.time(), urgent=False, horizon=0)
        assert not taken and delay > 25, "the 429's Retry-After holds chat.update for every worker"
    finally:
        served.stop()


def _limited(method: str, retry_after: int) -> Route:
    async def answer(request):
        return json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)})

    return Route(f"/api/{method}", answer, methods=["POST"])
