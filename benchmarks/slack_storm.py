"""An incident storm against Slack's rate limits (issue 23): N SEV2 incidents
declared at once, two workers, a Slack fake that answers 429 with Retry-After
over each method's tier (tests/fakes/slack_limits.py). Measures how long until
every incident's channel is open with its first post and its page sent, how
many 429s Slack answered, and checks that no post is missing or doubled.

Slack's minute is shortened (`--window`, seconds) so a storm takes seconds, not
the minutes real Slack's tiers imply (50 channels at tier 2's twenty a minute
take two and a half minutes to create).

    python -m benchmarks.slack_storm [--incidents 50 --window 0.5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr
from temporalio.client import Client

from benchmarks.common import fresh_dev_server, write_section
from warroom import models as m
from warroom.settings import Settings
from client.incidents import start_incident
from store.migrate import upgrade
from tests.fakes.server import Served
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_limits import SlackRateLimits
from tests.slack_support import ON_CALL, PAGE_DM
from worker.worker import build_worker

TOKEN = "xoxb-storm"


@dataclass
class Storm:
    seconds: float
    channels: int
    first_posts: Counter[str] = field(default_factory=Counter)  # incident -> first posts in its channel
    pages: Counter[str] = field(default_factory=Counter)  # incident -> pages with its buttons
    duplicate_keys: list[str] = field(default_factory=list)
    limited: Counter[str] = field(default_factory=Counter)  # 429s by method
    calls: int = 0


async def storm(client: Client, settings: Settings, incidents: int, window: float, workers: int = 2) -> Storm:
    """Declare `incidents` SEV2s at once; wait until each has its channel, first post and page."""
    slack = FakeSlack(token=TOKEN)
    limits = SlackRateLimits(slack.app, window)
    served = Served(limits).start()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    policy = settings.data_dir / "storm.toml"
    policy.write_text(ON_CALL)  # `primary` is a person Slack knows by id
    settings = Settings(**{
        **settings.model_dump(exclude_unset=True), "config": policy,
        "slack_bot_token": SecretStr(TOKEN), "slack_api_url": f"{served.url}/api/", "slack_rate_window": timedelta(seconds=window),
    })
    await upgrade(settings.database)
    run = uuid.uuid4().hex[:6]
    ids = [f"inc-storm-{run}-{i}" for i in range(incidents)]
    try:
        async with contextlib.AsyncExitStack() as stack:
            for n in range(workers):  # a worker per connection, as separate processes would have
                connection = client if n == 0 else await Client.connect(
                    client.service_client.config.target_host, namespace=client.namespace, data_converter=client.data_converter,
                )
                await stack.enter_async_context(build_worker(connection, settings))
            began = time.monotonic()
            await asyncio.gather(*(start_incident(client, settings, ident, alert(i)) for i, ident in enumerate(ids)))
            while not mobilized(slack, ids):
                await asyncio.sleep(0.1)
            seconds = time.monotonic() - began
            await asyncio.gather(*(client.get_workflow_handle(ident).terminate("storm measured") for ident in ids))
    finally:
        served.stop()
    return tally(slack, ids, seconds, limits)


def alert(i: int) -> m.IncidentInput:
    return m.IncidentInput(title=f"Storm {i}", service="checkout", severity="SEV2", declared_by="alertmanager", source="alertmanager")


def mobilized(slack: FakeSlack, ids: list[str]) -> bool:
    with slack.lock:
        firsts, pages = posted(slack)
    return all(firsts[i] and pages[i] for i in ids)


def posted(slack: FakeSlack) -> tuple[Counter[str], Counter[str]]:
    """Messages with warroom's buttons, by incident: in incident channels (first posts) and in the page DM."""
    firsts: Counter[str] = Counter()
    pages: Counter[str] = Counter()
    for channel in list(slack.channels.values()):
        for message in channel["messages"]:
            incident = next((e["value"] for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]), None)
            if incident:
                (pages if channel["id"] == PAGE_DM else firsts)[incident] += 1
    return firsts, pages


def tally(slack: FakeSlack, ids: list[str], seconds: float, limits: SlackRateLimits) -> Storm:
    firsts, pages = posted(slack)
    keys = Counter(msg["metadata"]["event_payload"]["key"] for c in slack.channels.values() for msg in c["messages"] if msg.get("metadata"))
    return Storm(
        seconds=seconds, channels=sum(1 for c in slack.channels.values() if c.get("is_channel")),
        first_posts=Counter({i: firsts[i] for i in ids}), pages=Counter({i: pages[i] for i in ids}),
        duplicate_keys=[k for k, n in keys.items() if n > 1], limited=limits.limited, calls=len(slack.calls),
    )


def report(args: argparse.Namespace, result: Storm) -> str:
    limited = ", ".join(f"{method} {n}" for method, n in result.limited.most_common()) or "none"
    complete = sum(1 for n in result.first_posts.values() if n == 1) == args.incidents and set(result.pages.values()) == {1}
    return "\n".join([
        f"### Slack storm ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores)",
        "",
        f"{args.incidents} SEV2 incidents declared at once, two workers in one process, dev server; the Slack fake",
        f"enforces each method's tier with 429 + Retry-After over a {args.window} s minute (Slack's real minute is 60 s).",
        "",
        "| | |",
        "|---|---|",
        f"| all channels open, first posts and pages sent | {result.seconds:.1f} s |",
        f"| Web API calls | {result.calls} |",
        f"| 429s answered | {sum(result.limited.values())} ({limited}) |",
        f"| channels / first posts / pages, each once | {result.channels} / {'yes' if complete else 'NO'} |",
        f"| duplicate posts | {len(result.duplicate_keys)} |",
        "",
    ])


async def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=50)
    parser.add_argument("--window", type=float, default=0.5, help="Slack's minute, in seconds")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10 incidents")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents = 10
    async with fresh_dev_server(17474) as (client, settings):
        result = await storm(client, settings, args.incidents, args.window)
    text = report(args, result)
    if not args.no_write and not args.quick:
        write_section("slack_storm", text)
    return text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1:])), flush=True)
    sys.stdout.flush()
    os._exit(0)
