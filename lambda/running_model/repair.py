"""The schedules' events, not CloudFormation requests: drift repair, and the edges of running windows.

The construct's schedules send ``{REPAIR_EVENT or WINDOW_EVENT: {"StackId", "LogicalResourceId",
"ResourceProperties"}}``; nothing is answered. Either re-asserts what the resource declares at this
moment: RUNNING inside a running window (or when a window opens within the model's measured start
time), else STOPPED unless another owner wants it running.

An event is only a wake-up call: what it re-asserts is what the resource's latest request declared,
as the ledger records it, not the properties the event carries (a schedule the stack no longer
declares fires until CloudFormation deletes it, after the resource's update). It acts under the
resource's lease, only while the resource still holds the version (its owner tag names the request
the ledger names: a Delete that released it is never undone, and an event never writes an owner tag
back) and no CloudFormation request of the resource is in progress (its answer is not recorded: the
deploy's result is what the stack reported). It may mark the resource idle or wanting as its windows
say, then takes one action at most, the decision table's for a first look (a FAILED model is started
again), with the same checks against the other owners as a deploy (holding.py), and leaves the
waiting to the next event. Starts it makes are timed (lead_time.py), on the version's tags, to know
how far ahead of a window to start.

A resource the ledger does not know (deployed before the ledger existed) is re-asserted from the
properties the event carries, as long as its owner tag is there and its request is not being polled.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import contract, emf, lead_time, start_times
from .decision import BILLABLE, RUNNING, STARTING, STOPPED_STATE, Desired, Observation, Verb
from .holding import Holding
from .ledger import Ledger, LedgerError, ResourceRecord
from .model_version import ModelVersion
from .ownership import Owner, is_idle, owners, request_of, stopping_until
from .properties import InvalidPropertiesError, ModelSpec, parse
from .reconcile import Reconciler, Result, Window
from .rekognition import ModelVersionClient, RekognitionClients, RekognitionError
from .settings import Timing

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Repair:
    """What one event found and did: ``action`` START or STOP, or None when it did nothing."""

    found: str | None
    action: Verb | None = None
    why_not: str = ""


def is_repair(event: Mapping[str, Any]) -> bool:
    """True for a schedule's event (CloudFormation's requests carry RequestType instead)."""
    return contract.REPAIR_EVENT in event or contract.WINDOW_EVENT in event


class Repairer:
    """Handles the schedules' events of every resource of the stack."""

    def __init__(
        self,
        *,
        ledger: Ledger | None,
        request_in_progress: Callable[[str, str], bool],
        timing: Timing,
        model_factory: Callable[[ModelVersion, str | None], ModelVersionClient] | None = None,
        emit: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``ledger``: the handler's ledger (None when it cannot be reached: the event then does nothing).
        ``request_in_progress(logical_id, request_id)``: whether that request is being polled (for a
        resource the ledger does not know). ``emit`` writes one line to the function's log (print:
        Lambda sends stdout there)."""
        self._ledger = ledger
        self._request_in_progress = request_in_progress
        self._timing = timing
        self._model_factory = model_factory or RekognitionClients()
        self._emit = emit
        self._clock = clock
        self._sleep = sleep

    def handle(self, event: Mapping[str, Any], context: Any = None) -> Repair:
        repair = contract.REPAIR_EVENT in event
        body = event[contract.REPAIR_EVENT if repair else contract.WINDOW_EVENT]
        owner = Owner(str(body["StackId"]), str(body["LogicalResourceId"]))
        remaining = (
            context.get_remaining_time_in_millis() / 1000
            if context is not None
            else self._timing.lambda_timeout_seconds
        )
        until = self._clock() + remaining
        if self._ledger is None:
            return Repair(found=None, why_not="the handler's ledger cannot be reached")
        holder = f"{getattr(context, 'aws_request_id', 'event')}-{uuid.uuid4().hex[:8]}"
        try:
            if not self._take_lease(owner, holder, until):
                logger.info("Scheduled look at %s: another invocation works on the resource", owner.logical_id)
                return Repair(found=None, why_not="another invocation works on the resource")
            try:
                done = self._handle(repair, body, owner, until, remaining)
            finally:
                self._ledger.give_back_lease(owner, holder)
        except LedgerError as error:  # the next event looks again
            logger.warning("Scheduled look at %s: the handler's ledger: %s", owner.logical_id, error)
            return Repair(found=None, why_not=str(error))
        return done

    def _take_lease(self, owner: Owner, holder: str, until: float) -> bool:
        assert self._ledger is not None
        give_up = self._clock() + self._timing.step_seconds
        while not self._ledger.take_lease(owner, holder, until):
            if self._clock() >= give_up:
                return False
            self._sleep(min(1.0, self._timing.step_seconds / 10))
        return True

    def _handle(self, repair: bool, body: Mapping[str, Any], owner: Owner, until: float, remaining: float) -> Repair:
        assert self._ledger is not None
        record = self._ledger.resource(owner)
        if record is not None and record.released:
            return Repair(found=None, why_not="the resource was deleted")
        if record is not None and self._in_progress(record):
            logger.info(
                "Scheduled look at %s: a CloudFormation request of the resource is in progress", owner.logical_id
            )
            return Repair(found=None, why_not="a CloudFormation request of the resource is in progress")
        declared = record.declaration if record is not None else body.get("ResourceProperties", {})
        try:
            spec = parse(declared)
        except InvalidPropertiesError as error:
            logger.error("Scheduled look at %s: %s", owner.logical_id, error)
            return Repair(found=None, why_not=str(error))
        model = self._model_factory(spec.version, spec.project_arn)
        window = min(self._timing.window_seconds, remaining - self._timing.reserve_seconds)
        try:
            done = self._look(model, owner, spec, record, until, window)
        except RekognitionError as error:  # the next event looks again
            logger.warning("Scheduled look at %s on %s: %s", owner.logical_id, model.label, error)
            return Repair(found=None, why_not=str(error))
        if repair and done.action is not None:
            self._emit(repairs_metric_line(model.version, found=str(done.found), now=self._clock()))
        return done

    def _in_progress(self, record: ResourceRecord) -> bool:
        """Whether the resource's latest request is still unanswered."""
        assert self._ledger is not None
        request = self._ledger.request(record.request_id)
        return request is not None and not request.answered

    def _look(
        self,
        model: ModelVersionClient,
        owner: Owner,
        spec: ModelSpec,
        record: ResourceRecord | None,
        until: float,
        window: float,
    ) -> Repair:
        tags = model.read_tags()
        mine = owners(tags).get(owner.key)
        if mine is None or (record is not None and request_of(mine) != record.request_id):
            return self._leave(model, owner, None, "the resource does not hold the version (not deployed, or deleted)")
        if record is None and self._request_in_progress(owner.logical_id, request_of(mine)):
            return self._leave(model, owner, None, "a CloudFormation request of the resource is in progress")
        observation = model.observe()
        history = self._timed_start(model, tags, observation)
        now = datetime.fromtimestamp(self._clock(), UTC)
        wanted = lead_time.wanted_running(spec.schedule, history, now, running=observation.status in BILLABLE)
        holding = Holding(model, owner, request_of(mine), wants=wanted, mark_until=until, clock=self._clock)
        if is_idle(mine) == wanted or stopping_until(mine) is not None:  # a window opened or closed
            holding.register(idle=not wanted)
        desired = Desired(True, spec.min_units, spec.max_units) if wanted else STOPPED_STATE
        reconciler = Reconciler(
            model, desired, step_seconds=self._timing.step_seconds, clock=self._clock, sleep=self._sleep
        )
        outcome = reconciler.run(Window(window, until), first_look=True, guard=holding, act_once=True, seen=observation)
        if outcome.result is Result.YIELDED:
            holding.stopped()
            return Repair(found=observation.status, why_not="another owner wants it running")
        if outcome.result is Result.FAILED:
            logger.error("Scheduled look at %s: %s", owner.logical_id, outcome.reason)
            return Repair(found=observation.status, why_not=outcome.reason)
        if outcome.acted is None:
            return Repair(
                found=observation.status, why_not="nothing to do" if outcome.result is Result.DONE else "not now"
            )
        logger.warning(
            "%s: model %s was %s; %s it (%s)",
            owner.logical_id,
            model.label,
            observation.status,
            "started" if outcome.acted is Verb.START else "stopped",
            "the stack declares it RUNNING now" if wanted else "outside the resource's running windows",
        )
        return Repair(found=observation.status, action=outcome.acted)

    def _timed_start(self, model: ModelVersionClient, tags: Mapping[str, str], observation: Observation) -> list[float]:
        """The version's recent start times, with a start this handler made timed once it is seen RUNNING.

        While the start is seen STARTING, the look records so (lead_time.started_at_value): a start
        first seen RUNNING hours later (at a close, or the next repair) is then timed by the last look
        that saw it STARTING, never as hours long.
        """
        history = lead_time.history_in(tags)
        value = tags.get(lead_time.STARTED_AT_TAG)
        if value is None:
            return history
        started, now = lead_time.started_at(value), self._clock()
        if started is not None and observation.status == STARTING:
            model.tag(lead_time.STARTED_AT_TAG, lead_time.started_at_value(started[0], now))
            return history
        if started is not None and observation.status == RUNNING:
            return start_times.seen_running(model, history, started, now)
        model.untag(lead_time.STARTED_AT_TAG)  # unreadable, or ended otherwise (FAILED, stopped)
        return history

    @staticmethod
    def _leave(model: ModelVersionClient, owner: Owner, found: str | None, why: str) -> Repair:
        logger.info("Scheduled look at %s leaves model %s alone: %s", owner.logical_id, model.label, why)
        return Repair(found=found, why_not=why)


def repairs_metric_line(version: ModelVersion, *, found: str, now: float) -> str:
    """One repair as a CloudWatch embedded-metric-format log line: CloudWatch Logs turns it into a
    count of REPAIRS_METRIC per version, with no PutMetricData permission needed."""
    return emf.metric_line(
        contract.REPAIRS_NAMESPACE,
        {contract.REPAIRS_METRIC: 1},
        now=now,
        dimensions={
            contract.METRIC_DIMENSION_PROJECT: version.project,
            contract.METRIC_DIMENSION_VERSION: version.version,
        },
        properties={"Found": found, "ModelVersionArn": version.arn},
    )
