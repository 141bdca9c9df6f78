"""Postmortem drafts in the database (SQLite and PostgreSQL), served by the
gateway at their stable URL, and the blameless check reading them there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from activities.postmortem import PostmortemActivities
from gateway.app import create_app
from store.db import Database
from store.postmortems import PostmortemDrafts
from store.tables import postmortem_drafts
from warroom.metrics import Metrics
from warroom.models import Impact, IncidentState, Phase, Severity, TimelineEntry
from warroom.rules.requests import CheckRequest, DraftRequest
from warroom.settings import Settings

PUBLIC = "https://warroom.example.com"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BLAMEFUL = "\n## Notes\n\nBob forgot to renew the certificate.\n"


def incident(title: str = "Exports failing <script>alert(1)</script>", note: str = "disabled the exporter") -> IncidentState:
    return IncidentState(
        id="inc-0042", title=title, service="exports", severity=Severity.SEV2, phase=Phase.LEARN,
        impact=Impact(user_share=0.3), source="manual",
        timeline=[TimelineEntry(at=T0 + timedelta(minutes=5), actor="bob", kind="mitigate", text=note)],
        metrics=Metrics(started_at=T0, declared_at=T0, resolved_at=T0 + timedelta(hours=1)),
    )


def draft(**fields) -> DraftRequest:
    return DraftRequest(**{"state": incident(), "generated_at": T0 + timedelta(hours=2), **fields})


async def rows(url: str) -> int:
    async with Database(url).reading() as session:
        return len((await session.execute(postmortem_drafts.select())).all())


async def test_a_draft_written_twice_is_one_row_and_an_automatic_one_keeps_what_is_there(database_url):
    acts = PostmortemActivities(Database(database_url), PUBLIC + "/")
    first = await acts.write_postmortem_draft(draft())
    assert first.url == f"{PUBLIC}/postmortems/inc-0042" and first.written
    again = await acts.write_postmortem_draft(draft(state=incident(note="a later timeline")))
    assert again == first.model_copy(update={"written": False}), "an existing draft is kept"
    assert await rows(database_url) == 1
    stored = await PostmortemDrafts(Database(database_url)).get("inc-0042")
    assert "disabled the exporter" in stored.markdown and "a later timeline" not in stored.markdown
    assert stored.generated_at == T0 + timedelta(hours=2) and stored.updated_at.tzinfo is not None


async def test_a_requested_draft_replaces_the_text_at_the_same_url(database_url):
    acts = PostmortemActivities(Database(database_url), PUBLIC)
    await acts.write_postmortem_draft(draft())
    later = T0 + timedelta(days=1)
    ref = await acts.write_postmortem_draft(draft(state=incident(note="a later timeline"), generated_at=later, replace=True))
    assert ref.url == f"{PUBLIC}/postmortems/inc-0042" and ref.written
    assert await rows(database_url) == 1
    stored = await PostmortemDrafts(Database(database_url)).get("inc-0042")
    assert "a later timeline" in stored.markdown and stored.generated_at == later
    assert await PostmortemDrafts(Database(database_url)).get("inc-none") is None


async def test_the_blameless_check_reads_our_own_drafts_from_the_database(database_url, tmp_path):
    acts = PostmortemActivities(Database(database_url), PUBLIC)
    drafts = PostmortemDrafts(Database(database_url))
    ref = await acts.write_postmortem_draft(draft())
    clean = await acts.check_postmortem(CheckRequest(incident_id="inc-0042", link=ref.url))
    assert clean.checked and clean.findings == []
    stored = await drafts.get("inc-0042")
    await drafts.save("inc-0042", stored.markdown + BLAMEFUL, T0, replace=True)
    for link in (ref.url, ref.url + ".md", ref.url + "#timeline"):
        result = await acts.check_postmortem(CheckRequest(incident_id="inc-0042", link=link))
        assert result.checked and [f.sentence for f in result.findings] == ["Bob forgot to renew the certificate."], link

    missing = await acts.check_postmortem(CheckRequest(incident_id="inc-0042", link=f"{PUBLIC}/postmortems/inc-other"))
    assert not missing.checked and "no draft of inc-other" in missing.reason
    elsewhere = await acts.check_postmortem(CheckRequest(incident_id="inc-0042", link="https://wiki.example.com/postmortems/inc-0042"))
    assert not elsewhere.checked and "not a local file" in elsewhere.reason, "other web links are not fetched"
    submitted = tmp_path / "postmortem.md"  # `warroom postmortem ... --file`: the path is the link
    submitted.write_text(BLAMEFUL)
    from_file = await acts.check_postmortem(CheckRequest(incident_id="inc-0042", link=str(submitted)))
    assert from_file.checked and len(from_file.findings) == 1


@pytest.fixture
async def gateway(database_url):
    settings = Settings(config=None, database_url=SecretStr(database_url), public_url=PUBLIC)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, client=None)), base_url=PUBLIC) as http:  # type: ignore[arg-type]
        yield http


async def test_the_gateway_serves_a_draft_as_a_page_as_markdown_and_as_json(gateway, database_url):
    await PostmortemActivities(Database(database_url), PUBLIC).write_postmortem_draft(draft())
    markdown = (await PostmortemDrafts(Database(database_url)).get("inc-0042")).markdown

    page = await gateway.get("/postmortems/inc-0042")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"] and "default-src 'none'" in page.headers["content-security-policy"]
    assert "<title>Postmortem: Exports failing &lt;script&gt;" in page.text, "the title from the front matter"
    assert "<th>severity</th><td>SEV2</td>" in page.text and "<h2>Timeline</h2>" in page.text and "<table>" in page.text
    assert 'href="inc-0042.md"' in page.text
    assert (await gateway.get("/postmortems/0042")).text == page.text, "the inc- prefix is optional, as in /v1/incidents"

    source = await gateway.get("/postmortems/inc-0042.md")
    assert source.status_code == 200 and source.headers["content-type"] == "text/markdown; charset=utf-8"
    assert source.text == markdown

    answer = await gateway.get("/v1/postmortems/inc-0042")
    assert answer.status_code == 200
    body = answer.json()
    assert body == {
        "incident_id": "inc-0042", "markdown": markdown, "url": f"{PUBLIC}/postmortems/inc-0042",
        "generated_at": "2026-03-02T11:00:00Z", "updated_at": body["updated_at"],
    }
    assert datetime.fromisoformat(body["updated_at"]).tzinfo is not None


async def test_an_unknown_draft_is_a_404_that_says_how_one_is_written(gateway):
    for path in ("/postmortems/inc-nope", "/postmortems/inc-nope.md", "/v1/postmortems/inc-nope"):
        response = await gateway.get(path)
        assert response.status_code == 404, path
        assert "no postmortem draft for inc-nope" in response.text and "warroom postmortem inc-nope draft" in response.text
    assert "<script" not in (await gateway.get("/postmortems/<script>x")).text


def test_markdown_links_cannot_run_script():
    from gateway.postmortems import MARKDOWN

    html = MARKDOWN.render("[x](javascript:alert(1)) <img src=x onerror=alert(1)> <javascript:alert(1)>")
    assert "href" not in html and "<img" not in html


async def test_with_tokens_a_draft_opens_with_its_links_key_or_a_read_token(database_url):
    """A browser following the shared link sends no token: the link's key opens
    that one draft; without it the page wants a read token like the JSON."""
    secret = "link-secret-0123456789abcdef"
    settings = Settings(
        config=None, database_url=SecretStr(database_url), public_url=PUBLIC, link_secret=SecretStr(secret),
        tokens=SecretStr("ci:ingest:ingest-token-0123456789,reader:read:read-token-0123456789"),
    )
    shared = (await PostmortemActivities(Database(database_url), PUBLIC, secret).write_postmortem_draft(draft())).url
    other = (await PostmortemActivities(Database(database_url), PUBLIC, secret).write_postmortem_draft(
        draft(state=incident().model_copy(update={"id": "inc-0043"}))
    )).url
    assert shared.startswith(f"{PUBLIC}/postmortems/inc-0042?key=") and shared != other.replace("inc-0043", "inc-0042")
    key = shared.partition("?")[2]
    reader = {"Authorization": "Bearer read-token-0123456789"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, client=None)), base_url=PUBLIC) as http:  # type: ignore[arg-type]
        assert (await http.get("/v1/postmortems/inc-0042")).status_code == 401
        wrong = await http.get("/v1/postmortems/inc-0042", headers={"Authorization": "Bearer ingest-token-0123456789"})
        assert wrong.status_code == 403
        right = await http.get("/v1/postmortems/inc-0042", headers=reader)
        assert right.status_code == 200 and right.json()["url"] == shared
        page = await http.get(shared)
        assert page.status_code == 200 and f'inc-0042.md?{key}' in page.text, "the page links its markdown with the key"
        assert (await http.get(f"/postmortems/inc-0042.md?{key}")).status_code == 200
        assert (await http.get("/postmortems/inc-0042")).status_code == 401, "no key, no token"
        assert (await http.get("/postmortems/inc-0042?key=0123456789abcdef0123456789abcdef")).status_code == 401
        assert (await http.get(f"/postmortems/inc-0043?{key}")).status_code == 401, "one draft's key opens no other"
        assert (await http.get("/postmortems/inc-0042", headers=reader)).status_code == 200
