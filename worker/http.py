"""What the gateway's routers share: the running app's settings and Temporal
client, as FastAPI dependencies (tests override them or build their own app)."""

from __future__ import annotations

from fastapi import Request
from temporalio.client import Client

from warroom.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_client(request: Request) -> Client:
    return request.app.state.client
