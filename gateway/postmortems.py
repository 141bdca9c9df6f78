"""Postmortem drafts as people open them: `GET /postmortems/<incident>` (HTML),
`GET /postmortems/<incident>.md` (the markdown as stored) and
`GET /v1/postmortems/<incident>` (JSON, with the read scope). The page's URL
is the link warroom shares in the channel, the direct message and the
tracker's issues (`warroom.postmortem.draft_url`).

The page renders with markdown-it-py (CommonMark with tables, raw HTML off:
every `<` in a draft is text, and `javascript:` links stay text) under a
Content-Security-Policy that runs no script at all. A browser following a
link from Slack or Jira sends no token, so once the gateway has API tokens a
page opens with the key its shared link carries (`WARROOM_LINK_SECRET` signs
it per incident) or with a token that has the read scope; without tokens, as
on a laptop, the pages are open like the rest of the API.
"""

from __future__ import annotations

import json
from hmac import compare_digest
from datetime import datetime
from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from markdown_it import MarkdownIt
from pydantic import Field

from client.incidents import incident_id
from store.db import Database
from store.postmortems import Draft, PostmortemDrafts
from warroom.postmortem import draft_url, link_key
from warroom.settings import Settings
from gateway import tokens
from gateway.http import get_settings

router = APIRouter(tags=["postmortems"])
MARKDOWN = MarkdownIt("js-default")  # CommonMark + tables and strikethrough; html, linkify and typographer off
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",  # a requested draft replaces the text at the same URL
}
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328;line-height:1.5}
main{max-width:960px;margin:0 auto;padding:24px 20px;background:#fff;border:1px solid #d0d7de;border-radius:8px}
table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left;vertical-align:top}
table.meta th{background:#f6f8fa}blockquote{margin:12px 0;padding:0 14px;border-left:4px solid #d0d7de;color:#57606a}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px}nav{font-size:.9rem;color:#57606a;margin-bottom:12px}
"""


# A read token, or the `key` query parameter of the link warroom shared.
BY_LINK = {
    "security": [{tokens.READ: []}],
    "parameters": [{"name": "key", "in": "query", "required": False, "schema": {"type": "string"},
                    "description": "the key in the draft's shared link (WARROOM_LINK_SECRET); instead of a read token"}],
}


class DraftOut(Draft):
    url: str = Field(description="the draft's page; append .md for the markdown")


def allowed(request: Request, incident: str, settings: Settings) -> None:
    """Let the page through with its link's key, else ask for a read token (a 401 or 403)."""
    given = request.query_params.get("key", "")
    secret = settings.link_secret.get_secret_value() if settings.link_secret else ""
    if secret and given and compare_digest(given, link_key(secret, incident_id(incident))):
        return
    request.app.state.tokens.check(request.headers.get("authorization", "").encode("latin-1"), tokens.READ)


async def opened(request: Request, incident: str, settings: Settings) -> Draft | str:
    """The draft a page shows once it may be opened (else a 401 or 403), or why there is none."""
    allowed(request, incident, settings)
    try:
        return await found(incident, settings)
    except HTTPException as refused:
        return str(refused.detail)


async def found(incident: str, settings: Settings) -> Draft:
    """The incident's draft, or a 404 that says how one comes to exist."""
    wanted = incident_id(incident)
    if (draft := await PostmortemDrafts(Database(settings.database)).get(wanted)) is None:
        raise HTTPException(
            404, f"no postmortem draft for {wanted}: one is written when an incident that needs a postmortem "
            f"leaves its monitoring window, or on request (`warroom postmortem {wanted} draft`)",
        )
    return draft


@router.get(
    "/v1/postmortems/{incident}", summary="An incident's postmortem draft: markdown, times and its page's URL",
    dependencies=[Depends(tokens.read)], responses={**tokens.REFUSALS, 404: {"description": "no draft for this incident"}},
)
async def draft_json(incident: str, settings: Settings = Depends(get_settings)) -> DraftOut:
    draft = await found(incident, settings)
    secret = settings.link_secret.get_secret_value() if settings.link_secret else None
    return DraftOut(**draft.model_dump(), url=draft_url(settings.gateway_url, draft.incident_id, secret))


# Before the page's route, whose {incident} would take "inc-1.md" whole.
@router.get(
    "/postmortems/{incident}.md", response_class=PlainTextResponse, summary="A postmortem draft's markdown, as stored",
    responses={200: {"content": {"text/markdown": {}}}, **tokens.REFUSALS, 404: {"description": "no draft for this incident"}},
    openapi_extra=BY_LINK,
)
async def draft_markdown(request: Request, incident: str, settings: Settings = Depends(get_settings)) -> Response:
    draft = await opened(request, incident, settings)
    if isinstance(draft, str):
        return PlainTextResponse(draft + "\n", 404)
    return Response(draft.markdown, media_type="text/markdown; charset=utf-8", headers=HEADERS)


@router.get(
    "/postmortems/{incident}", response_class=HTMLResponse, summary="A postmortem draft as a web page",
    responses={**tokens.REFUSALS, 404: {"description": "no draft for this incident"}},
    openapi_extra=BY_LINK,
)
async def draft_page(request: Request, incident: str, settings: Settings = Depends(get_settings)) -> HTMLResponse:
    draft = await opened(request, incident, settings)
    if isinstance(draft, str):
        return HTMLResponse(page("No postmortem draft", f"<p>{escape(draft)}</p>"), 404, headers=HEADERS)
    meta, body = front_matter(draft.markdown)
    key = f"?key={quote(request.query_params['key'])}" if "key" in request.query_params else ""
    source = escape(quote(draft.incident_id, safe="") + ".md" + key)  # beside this page: /postmortems/<incident>.md
    nav = (
        f'<nav>Draft generated {_when(draft.generated_at)}, stored {_when(draft.updated_at)} · '
        f'<a href="{source}" type="text/markdown">markdown</a></nav>'
    )
    rows = "".join(f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in meta)
    table = f'<table class="meta">{rows}</table>' if rows else ""
    title = dict(meta).get("title") or draft.incident_id
    return HTMLResponse(page(f"Postmortem: {title}", nav + table + MARKDOWN.render(body)), headers=HEADERS)


def front_matter(markdown: str) -> tuple[list[tuple[str, str]], str]:
    """The YAML front matter's `key: value` lines (quoted values unquoted) and
    the markdown after it. Rendered as markdown, the block would turn its lines
    into a heading."""
    if not markdown.startswith("---\n") or (end := markdown.find("\n---\n", 3)) < 0:
        return [], markdown
    meta = []
    for line in markdown[4:end].splitlines():
        key, colon, value = line.partition(":")
        if colon:
            meta.append((key.strip(), _unquoted(value.strip())))
    return meta, markdown[end + 5:]


def _unquoted(value: str) -> str:
    """A YAML double-quoted scalar as warroom writes it (JSON's escapes) or a list of them."""
    if value[:1] in ('"', "["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return ", ".join(parsed) if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed) else str(parsed)
    return value


def _when(at: datetime) -> str:
    return f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M} UTC</time>'


def page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><main>
{body}
</main></body></html>
"""
