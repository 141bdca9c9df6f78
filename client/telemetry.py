"""Telemetry. Tracing: one trace follows an incident from the caller through the workflow
into its activities, via the Temporal SDK's OpenTelemetry interceptor.

`WARROOM_OTEL_EXPORTER` chooses where spans go: `none` (default), `console`
(stdout, for local runs) or `otlp` (HTTP to `WARROOM_OTEL_ENDPOINT`, or the
standard OTEL_EXPORTER_OTLP_* variables). Metrics: the Temporal SDK's, served
for Prometheus at `WARROOM_SDK_METRICS_ADDRESS` (the gateway adds them to its
own `/metrics`).
"""

from __future__ import annotations

from functools import cache

from opentelemetry import propagate
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from warroom.observability import SECONDS_BUCKETS
from warroom.settings import Settings


def exporter(settings: Settings) -> SpanExporter | None:
    if settings.otel_exporter == "console":
        return ConsoleSpanExporter()
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otel_endpoint) if settings.otel_endpoint else OTLPSpanExporter()
    return None


@cache
def _provider(kind: str, endpoint: str | None) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "warroom"}))
    span_exporter = exporter(Settings(otel_exporter=kind, otel_endpoint=endpoint))
    if span_exporter:
        provider.add_span_processor(BatchSpanProcessor(span_exporter))
    return provider


@cache
def sdk_runtime(address: str) -> Runtime:
    """One runtime per process whose Temporal SDK metrics (requests, polls,
    schedule-to-start latency, ...) and warroom's own worker metrics
    (`warroom.observability`) Prometheus can scrape at `address`."""
    metrics = PrometheusConfig(
        bind_address=address, counters_total_suffix=True, durations_as_seconds=True, histogram_bucket_overrides=SECONDS_BUCKETS,
    )
    return Runtime(telemetry=TelemetryConfig(metrics=metrics))


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The process's provider for these settings; None when tracing is off."""
    if settings.otel_exporter == "none":
        return None
    return _provider(settings.otel_exporter, settings.otel_endpoint)


def tracing_interceptors(settings: Settings, provider: TracerProvider | None = None) -> list[TracingInterceptor]:
    """Interceptors for the Temporal client (workers built from it inherit them)."""
    provider = provider or tracer_provider(settings)
    return [TracingInterceptor(provider.get_tracer("warroom"))] if provider else []


class TraceRequests:
    """A server span per gateway request, continuing the caller's trace
    (W3C `traceparent`), so the Temporal calls it makes are its children."""

    def __init__(self, app: ASGIApp, provider: TracerProvider):
        self.app = app
        self.tracer = provider.get_tracer("warroom.gateway")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        name = f"{scope['method']} {scope['path']}"
        with self.tracer.start_as_current_span(name, context=propagate.extract(headers), kind=SpanKind.SERVER) as span:
            status = 500

            async def record(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await self.app(scope, receive, record)
            span.set_attribute("http.response.status_code", status)
