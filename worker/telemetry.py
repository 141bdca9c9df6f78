"""Tracing: one trace follows an incident from the caller through the workflow
into its activities, via the Temporal SDK's OpenTelemetry interceptor.

`WARROOM_OTEL_EXPORTER` chooses where spans go: `none` (default), `console`
(stdout, for local runs) or `otlp` (HTTP to `WARROOM_OTEL_ENDPOINT`, or the
standard OTEL_EXPORTER_OTLP_* variables).
"""

from __future__ import annotations

from functools import cache

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

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


def tracing_interceptors(settings: Settings, provider: TracerProvider | None = None) -> list[TracingInterceptor]:
    """Interceptors for the Temporal client (workers built from it inherit them)."""
    if provider is None:
        if settings.otel_exporter == "none":
            return []
        provider = _provider(settings.otel_exporter, settings.otel_endpoint)
    return [TracingInterceptor(provider.get_tracer("warroom"))]
