"""`warroom list|show|report --url`: the same commands against a deployment,
through its gateway's read API, with a token that has the read scope
(`WARROOM_TOKEN`). What they print is the same as locally."""

from __future__ import annotations

import os
from typing import Annotated, Any

import httpx
import typer

from cli.runtime import Failure

Url = Annotated[
    str | None,
    typer.Option("--url", envvar="WARROOM_URL", help="a deployment's gateway (token: WARROOM_TOKEN); default: this machine's Temporal"),
]
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def get(url: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET `path` from the gateway at `url` as JSON; every refusal is one line for people."""
    token = os.environ.get("WARROOM_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    query = {k: v for k, v in (params or {}).items() if v is not None}
    try:
        with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=TIMEOUT) as http:
            answer = http.get(path, params=query)
    except httpx.HTTPError as err:
        raise Failure(f"cannot reach the gateway at {url}: {err}") from None
    if answer.status_code == 401:
        raise Failure(f"the gateway at {url} wants a token with the read scope: set WARROOM_TOKEN")
    if answer.is_error:
        raise Failure(f"the gateway at {url} answered {answer.status_code}: {_reason(answer)}")
    return answer.json()


def _reason(answer: httpx.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return answer.text[:200]
    return detail if isinstance(detail, str) else str(detail)[:200]
