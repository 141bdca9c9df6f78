"""The worker's own metrics, recorded around every activity by an interceptor
(so no integration has to remember to): integration failures by integration
and reason, and the first page's latency from the alert that started the
incident. They go through the Temporal SDK's meter (see `warroom.observability`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from warroom.observability import INTEGRATION_FAILURES, PAGE_LATENCY
from warroom.rules.requests import PageRequest, PageResult

REASONS = ("Unavailable", "Rejected")  # the ApplicationError types of `activities.failures`: <Service><Reason>


def failure_labels(activity_type: str, err: BaseException) -> dict[str, str]:
    """Few, stable label values: `SlackUnavailable` -> Slack, unavailable; any
    other error -> the activity, and the error's class."""
    if isinstance(err, ApplicationError) and err.type:
        for reason in REASONS:
            if err.type.endswith(reason) and err.type != reason:
                return {"integration": err.type.removesuffix(reason), "reason": reason.lower()}
    return {"integration": activity_type, "reason": type(err).__name__}


class WorkerMetrics(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Recording(next)


class _Recording(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        try:
            result = await super().execute_activity(input)
        except Exception as err:  # not a cancellation: that is the workflow's decision, not a failure
            activity.metric_meter().create_counter(
                INTEGRATION_FAILURES, "Integration calls that failed (each attempt), by integration and reason"
            ).add(1, failure_labels(info.activity_type, err))
            raise
        if isinstance(result, PageResult) and input.args and isinstance(input.args[0], PageRequest) and input.args[0].step == 0:
            await _record_page_latency(input.args[0], result)
        return result


async def _record_page_latency(request: PageRequest, result: PageResult) -> None:
    """From the incident's start (the alert's signal-with-start reached Temporal)
    to the first page accepted: what a backlog or a slow pager adds, it shows.
    (An incident escalated into a paging severity counts from its start too.)"""
    meter = activity.metric_meter()
    if meter is MetricMeter.noop:
        return  # this worker exports no metrics (no WARROOM_SDK_METRICS_ADDRESS): spare Temporal the call
    info = activity.info()
    try:
        described = await activity.client().get_workflow_handle(info.workflow_id, run_id=info.workflow_run_id).describe()
    except RPCError:
        return  # a metric is never worth failing a page over
    if described.raw_description.workflow_execution_info.first_run_id not in ("", described.run_id):
        return  # a continued run: its start is not the alert's
    latency = ((result.delivered_at or datetime.now(UTC)) - described.start_time).total_seconds()
    meter.create_histogram_float(PAGE_LATENCY, "Alert in (incident start) to the first page accepted", "s").record(
        latency, {"severity": request.severity.value, "via": result.via}
    )
