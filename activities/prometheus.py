"""The Prometheus HTTP API (`/api/v1/query`) over httpx.

Prometheus answers a query it cannot run with `{"status": "error", "errorType",
"error"}` (400 bad_data, 422 execution, 503 timeout): that is about the query,
so it comes back as a `QueryFailed` the snapshot shows. Anything else (no
connection, a proxy's 502, a wrong URL) is about reaching Prometheus and is
raised as a retryable or final activity error, like every other integration.
"""

from __future__ import annotations

import math
from datetime import datetime
from urllib.parse import quote

import httpx

from activities.failures import from_status, retryable

SERVICE = "Prometheus"
QUERY_TIMEOUT = 10.0


class QueryFailed(Exception):
    """Prometheus refused or could not evaluate one expression."""


class PrometheusAPI:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def graph_url(self, expr: str) -> str:
        return f"{self.base_url}/graph?g0.expr={quote(expr, safe='')}&g0.tab=0&g0.range_input=1h"

    async def value(self, http: httpx.AsyncClient, expr: str, at: datetime | None = None) -> float | None:
        """The expression's value at `at` (Prometheus's now when None); the
        largest of several series; None when there is no data."""
        params = {"query": expr, "timeout": f"{QUERY_TIMEOUT:g}s"}
        if at is not None:
            params["time"] = f"{at.timestamp():.3f}"
        try:
            response = await http.get(f"{self.base_url}/api/v1/query", params=params, timeout=QUERY_TIMEOUT + 2)
        except httpx.TransportError as err:
            raise retryable(SERVICE, f"query: {type(err).__name__}") from None
        body = _json(response)
        if isinstance(body, dict) and body.get("status") == "error":
            raise QueryFailed(f"{body.get('errorType', 'error')}: {str(body.get('error', ''))[:200]}")
        if not response.is_success or not isinstance(body, dict):
            raise from_status(SERVICE, response.status_code, f"query: {_detail(response)}", response.headers.get("Retry-After"))
        return _largest(body.get("data") or {})


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: httpx.Response) -> str:
    """A web page is not worth quoting: it means the URL is not the Prometheus API."""
    if "html" in response.headers.get("content-type", ""):
        return f"{response.request.url.copy_with(query=None)} answered with a web page, not the Prometheus API"
    return response.text[:200]


def _largest(data: dict) -> float | None:
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        samples = [result]
    elif kind == "vector":
        samples = [series.get("value") for series in result or []]
    else:
        raise QueryFailed(f"expected an instant vector or scalar, got {kind}")
    values = [float(sample[1]) for sample in samples if sample]
    finite = [v for v in values if math.isfinite(v)]
    return max(finite) if finite else None
