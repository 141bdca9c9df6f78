"""The names of warroom's own metrics, once: the gateway, the worker and the
workflow record them, `client.telemetry` gives their histograms buckets, and
the Prometheus rules and Grafana dashboard in `deploy/prometheus` and
`deploy/grafana` query them (tests check that every name they use exists).

The gateway's metrics are prometheus-client's, on its `/metrics`. The worker's
and the workflow's go through the Temporal SDK's metric meter, so they appear
where the SDK's metrics do: on the worker's `WARROOM_SDK_METRICS_ADDRESS`
(and on the gateway's `/metrics` when both run in one process, as `warroom up`)."""

from __future__ import annotations

# --- recorded by the worker (Temporal SDK meter) --------------------------------------
PAGE_LATENCY = "warroom_page_latency_seconds"  # alert in (the incident's start) -> first page accepted
DEADLINE_LATENESS = "warroom_deadline_lateness_seconds"  # a reminder, page step or window acted on after its due time
INTEGRATION_FAILURES = "warroom_integration_failures"  # exported with the SDK's `_total` suffix
CANARY_LATENCY = "warroom_canary_page_latency_seconds"  # a canary's alert in -> its page out
CANARY_MISSED = "warroom_canary_missed"  # canaries that did not page within their deadline (`_total`)
CANARY_COMPLETED = "warroom_canary_completed"  # (`_total`)

# --- set by the gateway at each scrape (prometheus-client) ----------------------------
BACKLOG = "warroom_task_queue_backlog"  # tasks waiting for a worker, by task type
BACKLOG_AGE = "warroom_task_queue_backlog_age_seconds"  # how long the oldest waited: its schedule-to-start so far
POLLERS = "warroom_task_queue_pollers"  # workers that polled within WARROOM_READY_POLLER_WINDOW
OPEN_INCIDENTS = "warroom_open_incidents"  # by severity and phase
READY = "warroom_ready"  # 1 when a readiness check passes, by check

SECONDS_BUCKETS = {
    PAGE_LATENCY: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300, 600],
    CANARY_LATENCY: [1, 2, 5, 10, 15, 20, 30, 45, 60, 120, 300, 600],
    DEADLINE_LATENESS: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
}
