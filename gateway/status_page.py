"""Warroom's own public status page, `GET /status`, for when there is no
Atlassian Statuspage account: current incidents, component status and recent
history with every update's text and time, read from the LocalStatusPage store.

The gateway includes `router`; settings come from the gateway's `get_settings`
dependency, which a test may override.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from activities.statuspage import LocalStatusPage
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


@router.get("/status", response_class=HTMLResponse, summary="Public status page")
def status_page(settings: Settings = Depends(get_settings)) -> HTMLResponse:
    doc = LocalStatusPage(settings.data_dir).store.read()
    components = {name: "operational" for svc in settings.policy.services.values() for name in svc.components}
    components.update(doc.get("components", {}))
    return HTMLResponse(render(doc.get("incidents", {}).values(), components))


def render(incidents: Any, components: dict[str, str]) -> str:
    newest_first = sorted(incidents, key=lambda i: i.get("updated_at") or i.get("created_at", ""), reverse=True)
    current = [i for i in newest_first if i.get("status") != "resolved"]
    past = [i for i in newest_first if i.get("status") == "resolved"][:HISTORY]
    banner = (
        '<div class="banner bad">Active incident: ' + escape(current[0]["name"]) + "</div>"
        if current else '<div class="banner ok">All systems operational</div>'
    )
    component_rows = "".join(
        f'<li><span>{escape(name)}</span><span class="{escape(state)}">{LABELS.get(state, escape(state))}</span></li>'
        for name, state in sorted(components.items())
    ) or '<li class="empty">No components configured</li>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Status</title><style>{STYLE}</style></head>
<body><main>
<h1>System status</h1>
{banner}
<h2>Components</h2>
<ul class="components">{component_rows}</ul>
<h2>Current incidents</h2>
{"".join(map(_incident, current)) or '<p class="empty">No current incidents.</p>'}
<h2>Past incidents</h2>
{"".join(map(_incident, past)) or '<p class="empty">No incidents reported.</p>'}
</main></body></html>"""


def _incident(incident: dict[str, Any]) -> str:
    updates = "".join(
        f'<div class="update"><b>{STATUS_LABELS.get(u["status"], escape(u["status"]))}</b> {escape(u["body"])}'
        f'<time datetime="{escape(u["at"])}">{_when(u["at"])}</time></div>'
        for u in reversed(incident.get("updates", []))
    )
    return f'<article id="{escape(incident["id"])}"><h3>{escape(incident["name"])}</h3>{updates}</article>'


def _when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).strftime("%b %d, %Y %H:%M UTC")
    except ValueError:
        return escape(stamp)
