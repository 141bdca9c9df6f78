"""One trace follows an incident from its caller into the workflow and activities."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from opentelemetry import propagate

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client

from warroom import models as m
from warroom.responders import Receipt
from warroom.settings import Settings
from gateway.app import create_app
from client.telemetry import tracing_interceptors
from worker.worker import build_worker
from workflows.incident import IncidentWorkflow


async def test_caller_workflow_and_activity_spans_share_one_trace(env, tmp_path):
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    settings = Settings(data_dir=tmp_path, task_queue=f"trace-{uuid.uuid4().hex[:6]}")
    config = env.client.config()
    # Keep the environment's own interceptors: they make result() skip time.
    client = Client(**{**config, "interceptors": [*config["interceptors"], *tracing_interceptors(settings, provider)]})

    async with build_worker(client, settings):
        with provider.get_tracer("test").start_as_current_span("alert received"):
            handle = await client.start_workflow(
                IncidentWorkflow.run, m.IncidentInput(title="Traced", severity="SEV3"),
                id=f"inc-{uuid.uuid4().hex[:8]}", task_queue=settings.task_queue,
            )
        # An acknowledged SEV3 goes public, so the trace has a status-page activity.
        await handle.execute_update("acknowledge", {"by": "alice"}, result_type=Receipt)
        await handle.execute_update("resolve", {"by": "alice", "summary": "done"}, result_type=Receipt)
        await handle.result()

    finished = spans.get_finished_spans()
    root = next(s for s in finished if s.name == "alert received")
    in_trace = {s.name for s in finished if s.context.trace_id == root.context.trace_id}
    assert "StartWorkflow:IncidentWorkflow" in in_trace
    assert "RunWorkflow:IncidentWorkflow" in in_trace
    assert "RunActivity:open_channel" in in_trace and "RunActivity:publish_status" in in_trace


async def test_an_alert_posted_to_the_gateway_is_one_trace_into_the_workflow(env, tmp_path):
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    settings = Settings(data_dir=tmp_path, config=None, task_queue=f"trace-{uuid.uuid4().hex[:6]}")
    config = env.client.config()
    client = Client(**{**config, "interceptors": [*config["interceptors"], *tracing_interceptors(settings, provider)]})
    app = create_app(settings, client, tracing=provider)
    caller = provider.get_tracer("alertmanager")
    async with build_worker(client, settings):
        with caller.start_as_current_span("notify") as parent:
            headers: dict[str, str] = {}
            propagate.inject(headers)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
                response = await http.post("/v1/alerts/generic", json={"dedup_key": "traced", "name": "Traced"}, headers=headers)
        assert response.status_code == 202
        handle = client.get_workflow_handle(response.json()["incidents"][0])
        for _ in range(200):  # until mobilization has run
            if (await handle.query("state")).get("channel"):
                break
            await asyncio.sleep(0.02)
        await handle.terminate()

    trace_id = parent.get_span_context().trace_id
    in_trace = {s.name for s in spans.get_finished_spans() if s.context.trace_id == trace_id}
    assert "POST /v1/alerts/generic" in in_trace
    assert "SignalWithStartWorkflow:IncidentWorkflow" in in_trace
    assert "RunWorkflow:IncidentWorkflow" in in_trace and "RunActivity:open_channel" in in_trace


def test_tracing_is_off_unless_configured():
    assert tracing_interceptors(Settings()) == []
    assert len(tracing_interceptors(Settings(otel_exporter="console"))) == 1
