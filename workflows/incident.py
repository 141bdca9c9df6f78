"""IncidentWorkflow: one durable workflow per incident, from first alert to closure.

A thin shell around the incident rules (`warroom.rules`): every responder
message in the message table is a signal (fire and forget) and a validated
update (the caller gets an answer or a reason); the rules decide, and what they
ask of the outside world comes back as effects, which run here as activities
started from the main loop, in lanes, so a slow integration never delays a
deadline. Deadlines are durable timers: the main loop sleeps until the nearest.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.policy import PolicyActivities
    from client.search_attributes import CHANNEL, COMMANDER, DECLARED_AT, PHASE, SEARCH_ATTRIBUTES, SERVICE, SEVERITY
    from warroom import models as m
    from warroom.responders import Receipt
    from warroom.changes import CHANGE_RECORDED
    from warroom.pagerduty_events import SIGNAL as PAGER_EVENT, PagerEvent
    from warroom.observability import DEADLINE_LATENESS
    from warroom.policy import Policy
# The incident rules are workflow code: in the sandbox (tests, replays) they are
# imported into it like this module, so a clock or random call in them fails.
from warroom.alerts import AlertBatch, AlertRouting
from warroom.rules import MESSAGES, Effect, Lifecycle, Refused
from workflows.effects import BARRIER, activity_of, lane_of

INTEGRATION_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
INTEGRATION_DEADLINE = timedelta(minutes=10)
# Continue-as-new well before Temporal's limits (4,096 events suggested, 2,000 updates per run).
MAX_HISTORY_EVENTS = 3_000
MAX_MESSAGES_PER_RUN = 1_000
# Deadlines due within this much of each other fire together: no millisecond timers.
TIMER_GRANULARITY = timedelta(seconds=1)


def _record_lateness(late: timedelta) -> None:
    """How long after its due time a deadline was acted on (a reminder, a page
    step, a window): timer slack, plus any time without a worker. Not on replay."""
    workflow.metric_meter().create_histogram_float(
        DEADLINE_LATENESS, "Deadlines (reminders, page steps, windows) acted on after their due time", "s"
    ).record(max(late.total_seconds(), 0.0))


def _message_handlers(cls: type) -> type:
    """A signal and an update per message of the table, defined once on the class.
    (Registered per instance instead, their definitions cost a tenth of the
    worker's time in an alert storm: each one resolves its function's type hints.)"""
    for name, verb in MESSAGES.items():
        signal, update = _handlers_for(name, verb.model)
        setattr(cls, f"signal_{name}", signal)
        setattr(cls, f"update_{name}", update)
    return cls


def _handlers_for(name: str, model: type) -> tuple[Any, Any]:
    async def on_signal(self: Any, payload: dict[str, Any]) -> None:
        await self._on_signal(name, model, payload)

    async def on_update(self: Any, payload: dict[str, Any]) -> Any:
        return await self._on_update(name, model, payload)

    def validate(self: Any, payload: dict[str, Any]) -> None:
        self._validate(name, model, payload)

    update = workflow.update(name=name)(on_update)
    update.validator(validate)
    return workflow.signal(name=name)(on_signal), update


@workflow.defn(name="IncidentWorkflow")
@_message_handlers
class IncidentWorkflow:
    @workflow.init
    def __init__(self, inp: m.IncidentInput) -> None:
        self.life: Lifecycle | None = None
        self.input = inp
        self.wake = False
        self.busy: set[str] = set()  # lanes with an effect in flight
        self.messages_this_run = 0
        self.visible: dict[str, Any] = {}
        self.timer: asyncio.Task[None] | None = None
        self.timer_key: tuple[str, datetime] | None = None
        if inp.resume:
            self.life = Lifecycle(inp.resume, Policy.model_validate(inp.policy))
            self.visible = {
                key.name: value for key in SEARCH_ATTRIBUTES if (value := workflow.info().typed_search_attributes.get(key)) is not None
            }

    @workflow.run
    async def run(self, inp: m.IncidentInput) -> dict[str, Any]:
        if self.life is None:
            await self._declare(inp)
        life = self.life
        assert life is not None
        while life.state.phase is not m.Phase.CLOSED:
            self._show()
            if self._should_continue_as_new():
                await self._drain()
                state = life.state.model_copy(update={"runs": life.state.runs + 1})
                workflow.continue_as_new(
                    m.IncidentInput(title=state.title, service=state.service, resume=state, policy=life.policy.model_dump(mode="json"))
                )
            self._start_effects()
            fired = await self._sleep_until_next_deadline()
            if fired:  # deadlines a moment after the one whose timer fired fire with it
                _record_lateness(workflow.now() - fired)
                life.fire_due(fired + TIMER_GRANULARITY, workflow.now())
        self._show()
        if self.timer:
            self.timer.cancel()
        await self._drain()
        return life.state.public()

    async def _declare(self, inp: m.IncidentInput) -> None:
        context = await workflow.execute_local_activity_method(
            PolicyActivities.load_incident_context,
            workflow.info().workflow_id,
            start_to_close_timeout=timedelta(seconds=10),
            summary="Load severity policy",
        )
        policy = Policy.model_validate(context.policy)
        self.life = Lifecycle.declare(workflow.info().workflow_id, inp, policy, context.links, workflow.now())
        if workflow.memo_value("title", None, type_hint=str) != inp.title:
            workflow.upsert_memo({"title": inp.title})  # a start without the memo (`start_options`)
        self.life.mobilize(workflow.now())

    async def _sleep_until_next_deadline(self) -> datetime | None:
        """Wait for a message, an effect, or the nearest deadline's timer; the
        time that deadline was due at when its timer fired. The timer lives
        until that deadline changes: waking for a message does not cost a
        cancelled and a new timer. Even an overdue deadline waits for a timer,
        so that no decision here depends on the clock."""
        assert self.life is not None
        self.wake = False
        pending = self.life.pending()
        nearest = pending[0] if pending else None
        key = (nearest.name, nearest.next_fire) if nearest else None
        if key != self.timer_key:
            if self.timer and not self.timer.done():
                self.timer.cancel()
            self.timer, self.timer_key = None, key
            if nearest:
                # Never shorter than the granularity: a deadline rescheduled for
                # "in a moment" must not fire again at once, in a loop.
                delay = max(nearest.next_fire - workflow.now(), TIMER_GRANULARITY)
                self.timer = asyncio.create_task(workflow.sleep(delay, summary=nearest.summary))
        timer, key = self.timer, self.timer_key
        await workflow.wait_condition(lambda: self.wake or (timer is not None and timer.done()))
        if timer is not None and timer.done() and key is not None:
            self.timer, self.timer_key = None, None  # a fired timer must not wake the next wait (no deadline may follow)
            return key[1]
        return None

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= MAX_HISTORY_EVENTS
            or self.messages_this_run >= MAX_MESSAGES_PER_RUN
        )

    # --- effects ------------------------------------------------------------------------

    def _start_effects(self) -> None:
        """Start every queued effect whose lane is free, from the main loop, so
        commands come in one order on every replay."""
        assert self.life is not None
        while (effect := self._next_effect()) is not None:
            self.life.outbox.remove(effect)
            lane = lane_of(effect.operation)
            self.busy.add(lane)
            asyncio.create_task(self._run_effect(effect, lane))

    def _next_effect(self) -> Effect | None:
        """The first queued effect whose lane is free. A barrier (the archive)
        waits for every lane, and nothing queued after it overtakes it."""
        assert self.life is not None
        for effect in self.life.outbox:
            lane = lane_of(effect.operation)
            if lane == BARRIER:
                return effect if not self.busy and effect is self.life.outbox[0] else None
            if lane not in self.busy:
                return effect
        return None

    async def _drain(self) -> None:
        """Until every queued effect has run and every handler has finished."""
        assert self.life is not None
        life = self.life

        def drained() -> bool:
            return not life.outbox and not self.busy and workflow.all_handlers_finished()

        while not drained():
            self._start_effects()
            self.wake = False
            await workflow.wait_condition(lambda: self.wake or drained())

    async def _run_effect(self, effect: Effect, lane: str) -> None:
        """A failed integration is recorded and reported; it never stops the incident."""
        assert self.life is not None
        try:
            request = self.life.ready(effect)
            if request is None:
                return
            activity, local = activity_of(effect.operation)
            run = workflow.execute_local_activity_method if local else workflow.execute_activity_method
            try:
                result = await run(
                    activity,
                    request,
                    summary=effect.summary,
                    start_to_close_timeout=timedelta(seconds=30),
                    schedule_to_close_timeout=INTEGRATION_DEADLINE,
                    retry_policy=INTEGRATION_RETRY,
                )
            except FailureError as err:  # an ActivityError; a local activity's own failure comes unwrapped
                self.life.integration_failed(effect, _reason(err), workflow.now())
            else:
                if effect.then:
                    effect.then(result)
        finally:
            self.busy.discard(lane)
            self.wake = True

    def _show(self) -> None:
        """Keep search attributes exact and the Temporal UI's current details fresh."""
        assert self.life is not None
        s = self.life.state
        wanted = {
            SEVERITY: s.severity.value,
            PHASE: s.phase.value,
            SERVICE: s.service,
            COMMANDER: s.roles.get(m.Role.COMMANDER),
            DECLARED_AT: s.metrics.declared_at,
        }
        if s.channel:
            wanted[CHANNEL] = s.channel.id
        changes = [
            key.value_set(value) if value is not None else key.value_unset()
            for key, value in wanted.items()
            if self.visible.get(key.name) != value
        ]
        if changes:
            workflow.upsert_search_attributes(changes)
            self.visible.update({key.name: value for key, value in wanted.items()})
        workflow.set_current_details(self.life.details())

    # --- messages -----------------------------------------------------------------------

    async def _on_signal(self, name: str, model: type, payload: dict[str, Any]) -> None:
        await workflow.wait_condition(lambda: self.life is not None)
        assert self.life is not None
        now = workflow.now()
        self.messages_this_run += 1
        try:
            self.life.handle(name, model.model_validate(payload), now)
        except ValidationError as err:
            self.life.log(now, _actor(payload), "refused", f"{name} refused: {m.explain(err)}")
        except Refused as err:
            if name == "alerts":  # it left verify: the alerts belong to the next incident
                self.life.pass_alerts_on(AlertBatch.model_validate(payload), now)
            else:
                self.life.log(now, _actor(payload), "refused", f"{name} refused: {err}")
        self.wake = True

    def _validate(self, name: str, model: type, payload: dict[str, Any]) -> None:
        try:
            msg = model.model_validate(payload)
        except ValidationError as err:
            raise ApplicationError(f"{name}: {m.explain(err)}", type="InvalidMessage", non_retryable=True)
        if self.life is not None:
            try:
                self.life.check(name, msg)
            except Refused as err:
                kind = "IncidentLeftVerify" if name == "alerts" else "Refused"
                raise ApplicationError(str(err), type=kind, non_retryable=True)

    async def _on_update(self, name: str, model: type, payload: dict[str, Any]) -> Any:
        await workflow.wait_condition(lambda: self.life is not None)
        assert self.life is not None
        self.messages_this_run += 1
        try:
            outcome = self.life.handle(name, model.model_validate(payload), workflow.now())
        except Refused as err:
            raise ApplicationError(str(err), type="Refused", non_retryable=True)
        finally:
            self.wake = True
        s = self.life.state
        if isinstance(outcome, AlertRouting):
            return outcome
        return Receipt(incident_id=s.id, phase=s.phase, severity=s.severity, text=outcome)

    @workflow.signal(name=CHANGE_RECORDED)
    async def change_recorded(self, change: m.Change) -> None:
        """From the service's change log (the incident watches it since declaration)."""
        await workflow.wait_condition(lambda: self.life is not None)
        assert self.life is not None
        self.life.add_suspect(change, workflow.now())
        self.wake = True

    @workflow.signal(name=PAGER_EVENT)
    async def pagerduty_event(self, event: PagerEvent) -> None:
        """From PagerDuty's webhooks (gateway/pagerduty_webhooks.py): an acknowledgement there counts here."""
        await workflow.wait_condition(lambda: self.life is not None)
        assert self.life is not None
        self.life.on_pager_event(event, workflow.now())
        self.wake = True

    @workflow.query
    def state(self) -> dict[str, Any]:
        """The whole incident as JSON."""
        if self.life is None:
            return {"id": workflow.info().workflow_id, "title": self.input.title, "phase": m.Phase.TRIAGE.value}
        pending = len(self.life.outbox) + len(self.busy)
        return {**self.life.state.public(), "pending_effects": pending}


def _actor(payload: Any) -> str:
    return str(payload.get("by") or "unknown") if isinstance(payload, dict) else "unknown"


def _reason(err: FailureError) -> str:
    cause = err.cause if isinstance(err, ActivityError) else err
    return str(cause.message if isinstance(cause, ApplicationError) else cause or err)
