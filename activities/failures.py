"""How integration failures reach Temporal.

A remote service's answer decides whether retrying can help: 429 and 5xx (and
timeouts, lost connections) are retryable, honouring `Retry-After`; 4xx are
final, so the workflow records them at once instead of retrying for ten
minutes. Every message passes through `redact` because it lands in workflow
history, and tokens must never do so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from temporalio.exceptions import ApplicationError

# A Retry-After larger than the activity retry policy's maximum interval would
# only be cut to it by the server; keep what we ask for within it.
MAX_RETRY_AFTER = 30


def redact(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def retry_after_seconds(value: str | None, default: float = 1.0) -> float:
    """`Retry-After` in seconds (the APIs used here send delta-seconds)."""
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value is not None else default
    except ValueError:
        return default


def retryable(service: str, what: str, retry_after: float | None = None) -> ApplicationError:
    delay = timedelta(seconds=retry_after) if retry_after is not None else None
    return ApplicationError(f"{service}: {what}", type=f"{service}Unavailable", next_retry_delay=delay)


def final(service: str, what: str) -> ApplicationError:
    return ApplicationError(f"{service}: {what}", type=f"{service}Rejected", non_retryable=True)


def from_status(service: str, status: int, detail: str, retry_after: str | None = None) -> ApplicationError:
    """Map an HTTP status to a retryable or final error with a readable message."""
    if status == 429:
        return retryable(service, f"rate limited (HTTP 429): {detail}", retry_after_seconds(retry_after))
    if status >= 500:
        delay = retry_after_seconds(retry_after) if retry_after else None
        return retryable(service, f"server error (HTTP {status}): {detail}", delay)
    reason = {400: "bad request", 401: "unauthorized, check the token", 403: "forbidden", 404: "not found"}
    return final(service, f"{reason.get(status, 'rejected')} (HTTP {status}): {detail}")
