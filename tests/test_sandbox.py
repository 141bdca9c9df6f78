"""Workflow code runs outside the sandbox in production; recorded histories and
the crash drill's runs replay inside it, where a non-deterministic call in
workflows/ (the incident rules included) must fail, not slip through."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from temporalio import workflow
from temporalio.client import WorkflowFailureError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import RestrictedWorkflowAccessError

from warroom.rules import lifecycle

with workflow.unsafe.imports_passed_through():  # this module is re-imported in the sandbox
    from warroom.settings import Settings
    from worker.worker import SANDBOXED_RUNNER, workflow_runner


# A refused call fails the workflow rather than its task, so the test sees why.
@workflow.defn(failure_exception_types=[RestrictedWorkflowAccessError])
class ReadsTheClock:
    @workflow.run
    async def run(self, where: str) -> str:
        clock = lifecycle.datetime if where == "the incident rules" else datetime
        return clock.now().isoformat()  # not workflow.now(): differs on replay


def test_production_workers_run_without_the_sandbox_unless_asked(tmp_path):
    assert isinstance(workflow_runner(Settings(data_dir=tmp_path, config=None, workflow_sandbox=False)), UnsandboxedWorkflowRunner)
    assert workflow_runner(Settings(data_dir=tmp_path, config=None, workflow_sandbox=True)) is SANDBOXED_RUNNER


@pytest.mark.parametrize("where", ["workflow code", "the incident rules"])
async def test_the_sandbox_refuses_a_non_deterministic_call(env, where):
    queue = f"sandbox-{uuid.uuid4().hex[:6]}"
    async with Worker(env.client, task_queue=queue, workflows=[ReadsTheClock], workflow_runner=SANDBOXED_RUNNER):
        with pytest.raises(WorkflowFailureError) as failed:
            await env.client.execute_workflow(ReadsTheClock.run, where, id=queue, task_queue=queue)
    assert "datetime.now" in str(failed.value.cause)
