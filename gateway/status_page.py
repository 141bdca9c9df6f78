"""Warroom's own public status page, `GET /status`, for when there is no
Atlassian Statuspage account: current incidents, component status and recent
history with every update's text and time, and the same as an Atom feed at
`GET /status/feed.atom`; each incident has its own page at
`GET /status/incidents/<id>`, which the feed links. Only what the incident
rules published is here: public names and texts, never the internal ones. Both read the database (`store.statuspage`), so every
gateway serves the same page.

The gateway includes `router`; settings come from the gateway's `get_settings`
dependency, which a test may override.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, Response

from store.db import Database
from store.statuspage import PageIncident, StatusPage, StatusPageStore
from warroom.settings import Settings
from gateway.http import get_settings

HISTORY = 20
LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
STATUS_LABELS = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring", "resolved": "Resolved"}

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1f2328}
main{max-width:820px;margin:0 auto;padding:32px 20px}
h1{font-size:1.6rem;margin:0 0 20px}h2{font-size:1.15rem;margin:32px 0 12px}
.banner{padding:16px 20px;border-radius:8px;color:#fff;font-weight:600;font-size:1.1rem}
.ok{background:#2da44e}.bad{background:#cf222e}
ul.components{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px}
ul.components li{display:flex;justify-content:space-between;padding:12px 16px;border-top:1px solid #d0d7de}
ul.components li:first-child{border-top:none}
.operational{color:#2da44e}.degraded_performance{color:#bf8700}.partial_outage{color:#d1242f}.major_outage{color:#82071e}
article{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:14px}
article h3{margin:0 0 8px;font-size:1.05rem}
.update{margin:10px 0 0}.update b{display:inline-block;min-width:110px}
time{color:#57606a;font-size:.85rem;display:block}
.empty{color:#57606a}
"""


router = APIRouter()
FEED = "/status/feed.atom"


async def read(settings: Settings) -> StatusPage:
    """The page from the database; components named in the policy and never
    touched by an incident are operational."""
    page = await StatusPageStore(Database(settings.database)).page(history=HISTORY)
    configured = {name: "operational" for svc in settings.policy.services.values() for name in svc.components}
    return page.model_copy(update={"components": {**configured, **page.components}})


@router.get("/status", response_class=HTMLResponse, summary="Public status page")
async def status_page(settings: Settings = Depends(get_settings)) -> HTMLResponse:
    return HTMLResponse(render(await read(settings)))


@router.get("/status/incidents/{incident_id}", response_class=HTMLResponse, summary="One incident of the public status page")
async def incident_page(incident_id: str, settings: Settings = Depends(get_settings)) -> HTMLResponse:
    incident = await StatusPageStore(Database(settings.database)).incident(incident_id)
    if incident is None:
        raise HTTPException(404, f"no incident {incident_id} on the status page")
    return HTMLResponse(render_incident(incident))


@router.get(FEED, summary="Public status page as an Atom feed")
async def status_feed(settings: Settings = Depends(get_settings)) -> Response:
    return Response(feed(await read(settings), settings.gateway_url), media_type="application/atom+xml")


def document(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{escape(title)}</title><style>{STYLE}</style>
<link rel="alternate" type="application/atom+xml" title="Status updates" href="{FEED}"></head>
<body><main>
{body}
</main></body></html>"""


def render_incident(incident: PageIncident) -> str:
    state = "Resolved" if incident.status == "resolved" else STATUS_LABELS.get(incident.status, incident.status)
    affected = "".join(f"<li><span>{escape(name)}</span></li>" for name in incident.components)
    return document(incident.name, f"""<p><a href="/status">&larr; System status</a></p>
<h1>{escape(incident.name)}</h1>
<div class="banner {'ok' if incident.status == 'resolved' else 'bad'}">{escape(state)}</div>
<h2>Affected components</h2>
<ul class="components">{affected or '<li class="empty">None named</li>'}</ul>
<h2>Updates</h2>
{_incident(incident)}""")


def render(page: StatusPage) -> str:
    current = [i for i in page.incidents if i.status != "resolved"]
    past = [i for i in page.incidents if i.status == "resolved"]
    banner = (
        '<div class="banner bad">Active incident: ' + escape(current[0].name) + "</div>"
        if current else '<div class="banner ok">All systems operational</div>'
    )
    component_rows = "".join(
        f'<li><span>{escape(name)}</span><span class="{escape(state)}">{LABELS.get(state, escape(state))}</span></li>'
        for name, state in sorted(page.components.items())
    ) or '<li class="empty">No components configured</li>'
    return document("Status", f"""<h1>System status</h1>
{banner}
<h2>Components</h2>
<ul class="components">{component_rows}</ul>
<h2>Current incidents</h2>
{"".join(map(_incident, current)) or '<p class="empty">No current incidents.</p>'}
<h2>Past incidents</h2>
{"".join(map(_incident, past)) or '<p class="empty">No incidents reported.</p>'}""")


def feed(page: StatusPage, base_url: str) -> str:
    """An Atom feed: an entry per incident on the page, its updates the content."""
    updated = max((i.updated_at for i in page.incidents), default=datetime.fromtimestamp(0, UTC))
    entries = "".join(
        f"""<entry><id>{escape(base_url)}/status#{escape(i.id)}</id><title>{escape(i.name)}</title>
<updated>{i.updated_at.isoformat()}</updated><published>{i.created_at.isoformat()}</published>
<link rel="alternate" type="text/html" href="{escape(base_url)}{incident_path(i.id)}"/>
<content type="html">{escape(_updates(i))}</content></entry>
"""
        for i in page.incidents
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>{escape(base_url)}/status</id><title>System status</title>
<updated>{updated.isoformat()}</updated><author><name>warroom</name></author>
<link rel="self" href="{escape(base_url)}{FEED}"/><link rel="alternate" type="text/html" href="{escape(base_url)}/status"/>
{entries}</feed>
"""


def incident_path(incident_id: str) -> str:
    return f"/status/incidents/{quote(incident_id)}"


def _incident(incident: PageIncident) -> str:
    link = f'<a href="{escape(incident_path(incident.id))}">{escape(incident.name)}</a>'
    return f'<article id="{escape(incident.id)}"><h3>{link}</h3>{_updates(incident)}</article>'


def _updates(incident: PageIncident) -> str:
    """Newest first."""
    return "".join(
        f'<div class="update"><b>{STATUS_LABELS.get(u.status, escape(u.status))}</b> {escape(u.body)}'
        f'<time datetime="{u.at.isoformat()}">{u.at.strftime("%b %d, %Y %H:%M UTC")}</time></div>'
        for u in reversed(incident.updates)
    )
