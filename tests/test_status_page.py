"""Warroom's own status page: the router mounted in a throwaway FastAPI app,
served on 127.0.0.1, rendered in headless Chromium."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import async_playwright

from activities.statuspage import LocalStatusPage
from gateway.app import create_app
from store.db import Database
from store.statuspage import StatusPage
from warroom.rules.requests import StatusPost
from warroom.rules.wording import public_wording
from tests.fakes.server import Served
from warroom.models import PublicStatus
from warroom.public_state import ComponentStatus
from warroom.settings import Settings
from gateway.http import get_settings
from gateway.status_page import FEED, router

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def post(incident: str, title: str, status: PublicStatus, key: str, cause: str = "") -> StatusPost:
    return StatusPost(
        incident_id=incident, title=title, service="checkout", status=status,
        message=public_wording(status, "checkout", cause), impact="critical",
        components={"Checkout": "operational" if status is PublicStatus.RESOLVED else "major_outage"},
        idempotency_key=key,
    )


async def publish_incidents(database_url: str) -> None:
    store = LocalStatusPage(Database(database_url))
    await store.publish(post("inc-old", "Login <slow>", PublicStatus.INVESTIGATING, "o:1"))
    await store.publish(post("inc-old", "Login <slow>", PublicStatus.RESOLVED, "o:2"))
    await store.publish(post("inc-now", "Checkout down", PublicStatus.INVESTIGATING, "n:1"))
    await store.publish(post("inc-now", "Checkout down", PublicStatus.IDENTIFIED, "n:2", "a bad deploy"))


@pytest.fixture
async def page_url(database_url, tmp_path):
    await publish_incidents(database_url)
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_settings] = lambda: Settings(data_dir=tmp_path, database_url=database_url, config=None)
    served = Served(app).start()
    yield f"{served.url}/status"
    served.stop()


async def test_status_page_renders_current_incidents_components_and_history(page_url):
    if CHROMIUM is None:
        pytest.fail("needs Debian's chromium: run `make test`, which installs it")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 900, "height": 1000})
            response = await page.goto(page_url)
            assert response.status == 200
            assert await page.locator(".banner").inner_text() == "Active incident: Checkout down"
            assert await page.locator("ul.components li").inner_text() == "Checkout\nMajor outage"
            current = page.locator("article#inc-now")
            assert "The issue has been identified as a bad deploy." in await current.inner_text()
            updates = await current.locator(".update b").all_inner_texts()
            assert updates == ["Identified", "Investigating"]
            past = await page.locator("article#inc-old").inner_text()
            assert "Login <slow>" in past and "The issue has been resolved and all systems are operational." in past
            assert await page.locator("article#inc-old time").count() == 2
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "status-page.png"), full_page=True)
        finally:
            await browser.close()


async def test_the_status_page_and_its_feed_are_the_same_through_two_gateways(database_url, tmp_path):
    """Two gateways, each with a data directory of its own, on one database."""
    await publish_incidents(database_url)
    pages, feeds = [], []
    for pod in ("a", "b"):
        settings = Settings(data_dir=tmp_path / pod, database_url=database_url, config=None, public_url="https://status.example")
        transport = httpx.ASGITransport(app=create_app(settings, client=None))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=f"http://gateway-{pod}") as http:
            page, feed = await http.get("/status"), await http.get(FEED)
        assert page.status_code == feed.status_code == 200
        assert feed.headers["content-type"].startswith("application/atom+xml")
        pages.append(page.text)
        feeds.append(feed.text)
    assert pages[0] == pages[1] and feeds[0] == feeds[1]
    assert "Active incident: Checkout down" in pages[0] and f'href="{FEED}"' in pages[0]
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ET.fromstring(feeds[0]).findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == ["Checkout down", "Login <slow>"]
    assert entries[0].findtext(f"{atom}id") == "https://status.example/status#inc-now"
    content = entries[0].findtext(f"{atom}content")
    assert content.index("Identified") < content.index("Investigating") and "a bad deploy" in content


async def test_each_incident_has_its_page_and_a_rename_adds_no_update(database_url, tmp_path):
    await publish_incidents(database_url)
    renamed = post("inc-now", "Major outage: Checkout", PublicStatus.IDENTIFIED, "n:3").model_copy(update={"message": None})
    await LocalStatusPage(Database(database_url)).publish(renamed)
    settings = Settings(data_dir=tmp_path, database_url=database_url, config=None, public_url="https://status.example")
    transport = httpx.ASGITransport(app=create_app(settings, client=None))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        page, missing, feed = await http.get("/status/incidents/inc-now"), await http.get("/status/incidents/inc-nope"), await http.get(FEED)
    assert (page.status_code, missing.status_code) == (200, 404)
    assert "<h1>Major outage: Checkout</h1>" in page.text and page.text.count('class="update"') == 2
    atom = "{http://www.w3.org/2005/Atom}"
    entry = ET.fromstring(feed.text).findall(f"{atom}entry")[0]
    assert entry.find(f"{atom}link").get("href") == "https://status.example/status/incidents/inc-now"


def on_checkout(incident: str, status: PublicStatus, state: str, key: str) -> StatusPost:
    return post(incident, "Checkout", status, key).model_copy(update={"components": {"Checkout": ComponentStatus(state)}})


def shown(page: StatusPage) -> tuple:
    return page.components, [(i.id, i.status, i.updates) for i in page.incidents]


@pytest.mark.parametrize(("first", "left"), [("inc-minor", "major_outage"), ("inc-major", "degraded_performance")])
async def test_a_component_two_incidents_share_shows_the_worst_the_unresolved_hold(database_url, first, left):
    page = LocalStatusPage(Database(database_url))
    await page.publish(on_checkout("inc-major", PublicStatus.INVESTIGATING, "major_outage", "major:1"))
    await page.publish(on_checkout("inc-minor", PublicStatus.INVESTIGATING, "degraded_performance", "minor:1"))
    assert (await page.store.page()).components == {"Checkout": "major_outage"}
    resolve = on_checkout(first, PublicStatus.RESOLVED, "operational", f"{first}:2")
    await page.publish(resolve)
    assert (await page.store.page()).components == {"Checkout": left}
    before = shown(await page.store.page())
    await page.publish(resolve)  # a retry
    await page.publish(resolve.model_copy(update={"message": None}))  # a quiet one, twice
    assert shown(await page.store.page()) == before
    other = "inc-major" if first == "inc-minor" else "inc-minor"
    await page.publish(on_checkout(other, PublicStatus.RESOLVED, "operational", f"{other}:2"))
    assert (await page.store.page()).components == {"Checkout": "operational"}
