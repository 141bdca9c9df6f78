"""Serve an ASGI app on a free 127.0.0.1 port in a thread, and inject faults.

`Faults` fails a share of writes, chosen by a seeded random generator so a
failing run can be replayed: 429 with a small Retry-After, or 500, half of the
500s after the write was applied (the answer lost on the way back, the case
idempotency exists for). Both carry `Retry-After` so that retries wait about
a second, not the retry policy's growing backoff."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.responses import JSONResponse, Response


class Faults:
    def __init__(self, rate: float = 0.0, seed: int = 0, retry_after: int = 1):
        self.rate = rate
        self.random = random.Random(seed)
        self.retry_after = retry_after
        self.injected: Counter[str] = Counter()
        self.scripted: list[tuple[Response, bool]] = []
        self.lock = threading.Lock()

    @property
    def retry_header(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    def fail_next(self, response: Response, after_apply: bool = False) -> None:
        """Answer the next write with `response`; with `after_apply` the write
        lands first (the answer is lost on the way back)."""
        self.scripted.append((response, after_apply))

    def write(self, apply: Callable[[], Response], busy: Callable[[int], Response], broken: Callable[[], Response]) -> Response:
        """Run one write through the fault plan: `busy(retry_after)` is the
        service's 429 answer, `broken()` its 500 answer."""
        kind = None
        with self.lock:
            scripted = self.scripted.pop(0) if self.scripted else None
            if scripted is None:
                if self.random.random() < self.rate:
                    kind = self.random.choice(["429", "500-before", "500-after"])
                    self.injected[kind] += 1
        if scripted is not None:
            response, after_apply = scripted
            if after_apply:
                apply()
            return response
        if kind == "429":
            return busy(self.retry_after)
        if kind == "500-before":
            return broken()
        result = apply()
        return broken() if kind == "500-after" else result


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


class Served:
    """An app served by uvicorn in a daemon thread until `stop()`."""

    def __init__(self, app: Any):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
