"""ChangesWorkflow: the recent deploys, config and feature-flag changes of one
service, durable in Temporal and shared by every gateway and worker.

One workflow per service (`changes-<service>`), started by the first change
with update-with-start. `record` answers with the change id; recording the same
change again answers with the same id and stores nothing. Entries older than the
retention are pruned; the log continues-as-new before its history grows large.

Readers use the memo (`changes`), which the server answers without a worker: an
incident's declaration never waits for a workflow task of the log, even when
every worker slot is busy declaring incidents. A declared incident watches the
log: each change recorded later is signalled to it (`change_recorded`), so a
deploy during the incident becomes a suspect too.
"""

from __future__ import annotations


from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from warroom.changes import (
        CHANGE_RECORDED, FUTURE_TOLERANCE, MAX_WATCHERS, MEMO_KEY, RETENTION, ChangeLog, ChangeReceipt, ChangeWindow,
        ChangeRequest, change_id, within,
    )
    from warroom.models import Change

MAX_HISTORY_EVENTS = 2_000


@workflow.defn(name="ChangesWorkflow")
class ChangesWorkflow:
    @workflow.init
    def __init__(self, log: ChangeLog) -> None:
        self.service = log.service
        self.changes = {c.id: c for c in log.changes}
        self.watchers = log.watchers
        self.untold = log.untold

    @workflow.run
    async def run(self, log: ChangeLog) -> None:
        while not self._history_is_long():
            await workflow.wait_condition(lambda: bool(self.untold) or self._history_is_long())
            await self._tell_watchers()
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._prune()
        workflow.continue_as_new(
            ChangeLog(service=self.service, changes=list(self.changes.values()), watchers=self.watchers, untold=self.untold)
        )

    async def _tell_watchers(self) -> None:
        while self.untold:
            change = self.untold[0]
            for incident in list(self.watchers):
                try:
                    await workflow.get_external_workflow_handle(incident).signal(CHANGE_RECORDED, change)
                except FailureError:  # the incident has closed
                    self.watchers.remove(incident)
            self.untold.pop(0)

    @workflow.signal
    def watch(self, incidents: str | list[str]) -> None:
        """One incident, or every incident of the service declared at once (one signal)."""
        new = [i for i in dict.fromkeys([incidents] if isinstance(incidents, str) else incidents) if i not in self.watchers]
        if new:
            self.watchers = [*self.watchers, *new][-MAX_WATCHERS:]

    @workflow.update
    def record(self, req: ChangeRequest) -> ChangeReceipt:
        self._prune()
        when = req.when or workflow.now()
        cid = change_id(self.service, req, when)
        if cid in self.changes:
            return ChangeReceipt(id=cid, recorded=False)
        change = self.changes[cid] = Change(
            id=cid, service=self.service, kind=req.kind, summary=req.summary, who=req.who, when=when, link=req.link
        )
        workflow.upsert_memo({MEMO_KEY: list(self.changes.values())})
        self.untold.append(change)
        return ChangeReceipt(id=cid, recorded=True)

    @record.validator
    def check_record(self, req: ChangeRequest) -> None:
        now = workflow.now()
        if req.service != self.service:
            raise ApplicationError(f"this is the change log of {self.service}, not {req.service}", type="InvalidChange")
        if req.when and req.when < now - RETENTION:
            raise ApplicationError(f"when {req.when:%Y-%m-%d %H:%M} UTC is older than the {RETENTION.days}-day retention", type="InvalidChange")
        if req.when and req.when > now + FUTURE_TOLERANCE:
            raise ApplicationError(f"when {req.when:%Y-%m-%d %H:%M} UTC is in the future", type="InvalidChange")

    @workflow.query
    def recent(self, window: ChangeWindow) -> list[Change]:
        """For `temporal workflow query --type recent`: changes in the window, newest first."""
        return within(self.changes.values(), window)

    def _prune(self) -> None:
        horizon = workflow.now() - RETENTION
        self.changes = {cid: c for cid, c in self.changes.items() if c.when >= horizon}

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= MAX_HISTORY_EVENTS
