"""What the gateway's routers share: the running app's settings and Temporal
client as FastAPI dependencies, the answer when Temporal is unavailable, and
the body limit. Tokens and scopes are in `gateway.tokens`."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from warroom.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_client(request: Request) -> Client:
    return request.app.state.client


def temporal_unavailable(exc: RPCError) -> JSONResponse | None:
    """Temporal slow or down: a 503 the caller should retry (nothing was
    half-done); None for any other refusal, which is a bug to surface."""
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED):
        return JSONResponse({"detail": f"Temporal unavailable: {exc.message}"}, 503, headers={"Retry-After": "1"})
    return None


class BodyLimit:
    """Refuse request bodies above `limit` bytes with 413, whether or not the
    client announced their length, before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.limit:
            response = JSONResponse({"detail": self.reason}, status_code=413)
            return await response(scope, receive, send)
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise HTTPException(413, self.reason)
            return message

        await self.app(scope, limited, send)

    @property
    def reason(self) -> str:
        return f"request body above {self.limit // 1024} KiB"
