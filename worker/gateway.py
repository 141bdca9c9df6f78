"""The HTTP gateway: alert intake, incidents, changes, Slack commands, the
status page, health and metrics, in one FastAPI app served by uvicorn.

Each concern is a router in its own module; this file only assembles them and
owns the app's lifetime (settings and one Temporal client in `app.state`).
"""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from temporalio.client import Client

from warroom.settings import Settings
from worker import status_page


def create_app(settings: Settings, client: Client) -> FastAPI:
    app = FastAPI(
        title="warroom gateway",
        version=version("warroom"),
        description="Alert intake and incident API for warroom: every incident is a durable Temporal workflow.",
    )
    app.state.settings = settings
    app.state.client = client
    app.include_router(status_page.router)
    return app
