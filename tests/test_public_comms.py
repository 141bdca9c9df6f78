"""Public communication end to end, on the time-skipping server: the built-in
status page read in headless Chromium through the real gateway, and Atlassian
Statuspage through its fake; the announcements channel and the SEV1 executive
summary in the built-in chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.fakes.server import Served
from tests.fakes.statuspage import FakeStatuspage
from tests.support import Warroom, serve_gateway
from tests.test_status_page import CHROMIUM, CHROMIUM_ARGS

INTERNAL_TITLE = "HighErrorRate on payments-api"
INTERNAL = "The issue has been identified as bad deploy of payments-api 41. We are implementing a fix."
PUBLIC = "Some checkout payments are failing. A fix is rolling out; we will update within 30 minutes."
CONFIG = """
[services.checkout]
components = ["Checkout"]

[stakeholders]
announce = "#incidents"
executives = ["vp-eng", "#exec"]
executive_every = "20m"
"""


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "warroom.toml"
    path.write_text(CONFIG)
    return path


@dataclass
class Public:
    """What the public sees, whichever page is configured: the incident's name,
    its updates oldest first as (status, text), and the Checkout component."""

    name: str | None
    updates: list[tuple[str, str]]
    checkout: str
    everything: str  # every public text at once, to search for what must not be there


class BuiltInPage:
    def __init__(self, browser: Browser, base_url: str):
        self.browser, self.base_url = browser, base_url

    async def read(self, incident_id: str) -> Public:
        page = await self.browser.new_page()
        try:
            await page.goto(f"{self.base_url}/status")
            checkout = await page.locator("ul.components li", has_text="Checkout").locator("span").nth(1).inner_text()
            everything = await page.locator("body").inner_text()
            response = await page.goto(f"{self.base_url}/status/incidents/{incident_id}")
            if response.status == 404:
                return Public(None, [], checkout, everything)
            name = await page.locator("h1").inner_text()
            statuses = await page.locator(".update b").all_inner_texts()
            texts = [await u.evaluate("e => e.childNodes[1].textContent.trim()") for u in await page.locator(".update").all()]
            everything += await page.locator("body").inner_text()
            feed = await page.request.get(f"{self.base_url}/status/feed.atom")
            everything += await feed.text()
            return Public(name, list(reversed([(s.lower(), t) for s, t in zip(statuses, texts, strict=True)])), checkout, everything)
        finally:
            await page.close()


class StatuspageFake:
    LABELS = {"operational": "Operational", "partial_outage": "Partial outage", "major_outage": "Major outage",
              "degraded_performance": "Degraded performance"}

    def __init__(self, fake: FakeStatuspage):
        self.fake = fake

    async def read(self, incident_id: str) -> Public:
        checkout = self.LABELS[self.fake.components["cmp-checkout"]["status"]]
        mine = [i for i in self.fake.incidents.values() if i["metadata"].get("warroom", {}).get("incident_id") == incident_id]
        if not mine:
            return Public(None, [], checkout, repr(self.fake.incidents))
        [incident] = mine
        updates = [(u["status"], u["body"]) for u in reversed(incident["incident_updates"])]
        return Public(incident["name"], updates, checkout, repr(self.fake.incidents))


@pytest.fixture(params=["built-in", "statuspage"])
async def public(request, env, tmp_path) -> AsyncIterator[tuple[Warroom, Any]]:
    settings: dict[str, Any] = {"config": write_config(tmp_path)}
    if request.param == "statuspage":
        fake = FakeStatuspage(api_key="sp-public", page_id="page1")
        served = Served(fake.app).start()
        settings |= {"statuspage_api_key": fake.api_key, "statuspage_page_id": "page1", "statuspage_api_url": f"{served.url}/v1/"}
        async with Warroom(env, tmp_path / "data", settings=settings) as w:
            yield w, StatuspageFake(fake)
        served.stop()
    else:
        if CHROMIUM is None:
            pytest.fail("needs Debian's chromium: run `make test`, which installs it")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            async with Warroom(env, tmp_path / "data", settings=settings) as w, serve_gateway(w.settings, w.client) as url:
                yield w, BuiltInPage(browser, url)
            await browser.close()


async def test_only_what_a_publisher_chose_goes_public_and_only_once_someone_acknowledged(public):
    w, page = public
    handle = await w.declare(INTERNAL_TITLE, severity="SEV2", source="alertmanager", declared_by="alertmanager")
    state = await w.state(handle)
    seen = await page.read(handle.id)
    assert (seen.name, seen.updates, seen.checkout) == (None, [], "Operational"), "an alert-opened SEV2 waits for a person"
    assert "**Status page:** not public yet: SEV2 goes public once someone acknowledges" in (await w.messages(state))[1]

    refused = await w.send(handle, "update", by="mallory", status="identified", message=INTERNAL, public="All fixed!")
    assert refused.text.endswith("public part refused: mallory is not a publisher (publishers: comms_lead, commander)")
    await w.state(handle)
    assert (await page.read(handle.id)).name is None, "a non-publisher's text changes nothing public"

    await w.send(handle, "acknowledge", by="bob")  # bob becomes commander: a publisher
    await w.state(handle)
    seen = await page.read(handle.id)
    assert (seen.name, seen.checkout) == ("Partial outage: Checkout", "Partial outage")
    assert seen.updates == [("identified", "The issue has been identified. We are implementing a fix.")]

    await handle.signal("update", {"by": "mallory", "status": "monitoring", "message": "watching", "public": "Resolved!",
                                   "public_title": "Nothing"})  # as a signal: recorded as refused
    await w.send(handle, "update", by="bob", status="identified", message=INTERNAL, public=PUBLIC)
    await w.send(handle, "resolve", by="bob", summary="rolled back payments-api to 40")
    state = await w.state(handle)
    seen = await page.read(handle.id)
    assert seen.name == "Partial outage: Checkout" and seen.checkout == "Operational"
    assert seen.updates == [
        ("identified", "The issue has been identified. We are implementing a fix."),
        ("identified", PUBLIC),
        ("monitoring", "A fix has been implemented and we are monitoring the results."),
    ]
    for internal in ("payments-api", INTERNAL_TITLE, "All fixed!", "Resolved!", "Nothing", "rolled back"):
        assert internal not in seen.everything, internal
    assert [e.text for e in state.timeline if e.kind == "refused"] == [
        "public part refused: mallory is not a publisher (publishers: comms_lead, commander)"] * 2
    assert any(INTERNAL in text for text in await w.messages(state)), "the internal part went to the channel"

    await w.env.sleep(timedelta(minutes=31))
    await w.state(handle)
    seen = await page.read(handle.id)
    assert seen.updates[-1] == ("resolved", "The issue has been resolved and all systems are operational.")
    assert seen.checkout == "Operational"


async def test_components_follow_severity_changes_of_a_public_incident(public):
    w, page = public
    handle = await w.declare("Checkout slow", severity="SEV3")
    await w.send(handle, "acknowledge", by="alice")
    await w.state(handle)
    seen = await page.read(handle.id)
    assert (seen.name, seen.checkout) == ("Degraded performance: Checkout", "Degraded performance")
    await w.send(handle, "escalate", severity="SEV1", reason="nobody can pay")
    await w.state(handle)
    seen = await page.read(handle.id)
    assert (seen.name, seen.checkout, len(seen.updates)) == ("Major outage: Checkout", "Major outage", 1), "no new update"
    await w.send(handle, "update", status="identified", message="x", components="Checkout=partial_outage")
    await w.state(handle)
    assert (await page.read(handle.id)).checkout == "Partial outage"
    await w.send(handle, "resolve", summary="fixed")
    await w.state(handle)
    assert (await page.read(handle.id)).checkout == "Operational"


async def test_the_announcements_channel_gets_exactly_its_lines(env, tmp_path):
    async with Warroom(env, tmp_path / "data", settings={"config": write_config(tmp_path)}) as w:
        handle = await w.declare("Search slow", severity="SEV3")  # a SEV3 peak owes no postmortem: it closes
        await w.send(handle, "downgrade", severity="SEV4", reason="a workaround exists")
        await w.send(handle, "note", text="not for the announcements")
        await w.send(handle, "resolve", summary="reindexed")
        await w.env.sleep(timedelta(minutes=31))
        assert (await handle.result())["phase"] == "closed"
        lines = [m.text for m in await w.channel_log("incidents")]
    tail = "(IC alice) · Search slow"
    assert lines == [
        f"{handle.id} · SEV3 · checkout: declared {tail}",
        f"{handle.id} · SEV4 · checkout: downgraded SEV3 -> SEV4: a workaround exists {tail}",
        f"{handle.id} · SEV4 · checkout: resolved: reindexed {tail}",
        f"{handle.id} · SEV4 · checkout: closed {tail}",
    ]


async def test_the_sev1_executive_summary_arrives_on_its_cadence_until_resolution(env, tmp_path):
    async with Warroom(env, tmp_path / "data", settings={"config": write_config(tmp_path)}) as w:
        handle = await w.declare("Checkout down", severity="SEV1", impact={"description": "nobody can pay"})
        await w.send(handle, "update", status="identified", message="bad deploy", eta="45 minutes")
        await w.env.sleep(timedelta(minutes=19))
        await w.state(handle)
        assert await w.direct_messages("vp-eng") == []
        await w.env.sleep(timedelta(minutes=2))
        await w.state(handle)
        [first] = await w.direct_messages("vp-eng")
        assert [m.text for m in await w.channel_log("exec")] == [first]
        assert "**Impact:** nobody can pay" in first and "**ETA:** 45 minutes" in first
        assert "**Customer effect:** status page shows 'Major outage: Checkout' (identified)" in first
        await w.env.sleep(timedelta(minutes=20))
        await w.state(handle)
        assert len(await w.direct_messages("vp-eng")) == 2
        await w.send(handle, "resolve", summary="rolled back")
        await w.env.sleep(timedelta(minutes=25))
        await w.state(handle)
        assert len(await w.direct_messages("vp-eng")) == 2, "none after resolution"
