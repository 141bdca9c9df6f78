"""Warroom's own status page: the router mounted in a throwaway FastAPI app,
served on 127.0.0.1, rendered in headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import async_playwright

from activities.statuspage import LocalStatusPage
from warroom.rules.requests import StatusPost
from warroom.rules.wording import public_wording
from tests.fakes.server import Served
from warroom.models import PublicStatus
from warroom.settings import Settings
from gateway.http import get_settings
from gateway.status_page import router

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def post(incident: str, title: str, status: PublicStatus, key: str, cause: str = "") -> StatusPost:
    return StatusPost(
        incident_id=incident, title=title, service="checkout", status=status,
        message=public_wording(status, "checkout", cause), impact="critical", components=["Checkout"],
        idempotency_key=key,
    )


@pytest.fixture
async def page_url(tmp_path):
    store = LocalStatusPage(tmp_path)
    await store.publish(post("inc-old", "Login <slow>", PublicStatus.INVESTIGATING, "o:1"))
    await store.publish(post("inc-old", "Login <slow>", PublicStatus.RESOLVED, "o:2"))
    await store.publish(post("inc-now", "Checkout down", PublicStatus.INVESTIGATING, "n:1"))
    await store.publish(post("inc-now", "Checkout down", PublicStatus.IDENTIFIED, "n:2", "a bad deploy"))
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[get_settings] = lambda: Settings(data_dir=tmp_path, config=None)
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
