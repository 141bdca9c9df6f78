"""One JSON request to an integration's REST API, its failure mapped to
Temporal's retry rules (see `activities.failures`).

Shared by the httpx clients so that every one of them treats a lost
connection, a 429 with `Retry-After`, a 5xx and a 4xx alike, and none can let a
secret into the error message that lands in workflow history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from activities.failures import from_status, redact, retryable


async def request_json(
    http: httpx.AsyncClient, service: str, method: str, path: str, body: Any = None, secrets: Iterable[str] = ()
) -> Any:
    """The decoded answer of a successful request, else a retryable or final `ApplicationError`."""
    try:
        response = await http.request(method, path, json=body)
    except httpx.TransportError as err:
        raise retryable(service, f"{method} {path}: {type(err).__name__}") from None
    if response.is_success:
        return response.json()
    detail = redact(error_detail(response), secrets)
    raise from_status(service, response.status_code, f"{method} {path}: {detail}", response.headers.get("Retry-After"))


def error_detail(response: httpx.Response) -> str:
    """What the service says went wrong: its `error` or `message`, plus any `errors` list."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(data, dict):
        return str(data)
    text = str(data.get("error") or data.get("message") or data)
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        text += ": " + "; ".join(map(str, errors))
    return text
