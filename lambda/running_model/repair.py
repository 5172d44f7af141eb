"""The schedules' events, not CloudFormation requests: drift repair, and the edges of running windows.

The construct's schedules send ``{REPAIR_EVENT or WINDOW_EVENT: {"StackId", "LogicalResourceId",
"ResourceProperties"}}``; nothing is answered. Either re-asserts what the resource declares at this
moment: RUNNING inside a running window (or when a window opens within the model's measured start
time), else STOPPED unless another owner wants it running. The handler acts only while the resource
still holds the version (its owner tag is there: a Delete that released it is never undone) and no
CloudFormation request of the resource is in progress (that request's poll rule exists: the
deploy's result is what the stack reported). It takes one action at most, the decision table's for
a first look (a FAILED model is started again), and leaves the waiting to the next event. Starts it
makes are timed (lead_time.py), on the version's tags, to know how far ahead of a window to start.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import contract, lead_time
from .decision import BILLABLE, RUNNING, STOPPED_STATE, Desired, Observation, Verb, decide
from .model_version import ModelVersion
from .ownership import Owner, is_idle, owners, request_of, wanting
from .properties import InvalidPropertiesError, ModelSpec, parse
from .rekognition import ModelVersionClient, RekognitionClients, RekognitionError

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
        request_in_progress: Callable[[str, str], bool],
        model_factory: Callable[[ModelVersion, str | None], ModelVersionClient] | None = None,
        emit: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``request_in_progress(logical_id, request_id)``: whether that request is being polled.
        ``emit`` writes one line to the function's log (print: Lambda sends stdout there)."""
        self._request_in_progress = request_in_progress
        self._model_factory = model_factory or RekognitionClients()
        self._emit = emit
        self._clock = clock

    def handle(self, event: Mapping[str, Any]) -> Repair:
        repair = contract.REPAIR_EVENT in event
        body = event[contract.REPAIR_EVENT if repair else contract.WINDOW_EVENT]
        owner = Owner(str(body["StackId"]), str(body["LogicalResourceId"]))
        try:
            spec = parse(body.get("ResourceProperties", {}))
        except InvalidPropertiesError as error:
            logger.error("Scheduled look at %s: %s", owner.logical_id, error)
            return Repair(found=None, why_not=str(error))
        model = self._model_factory(spec.version, spec.project_arn)
        try:
            done = self._look(model, owner, spec)
        except RekognitionError as error:  # the next event looks again
            logger.warning("Scheduled look at %s on %s: %s", owner.logical_id, model.label, error)
            return Repair(found=None, why_not=str(error))
        if repair and done.action is not None:
            self._emit(repairs_metric_line(model.version, found=str(done.found), now=self._clock()))
        return done

    def _look(self, model: ModelVersionClient, owner: Owner, spec: ModelSpec) -> Repair:
        tags = model.read_tags()
        registered = owners(tags).get(owner.key)
        if registered is None:
            return self._leave(model, owner, None, "the resource does not hold the version (not deployed, or deleted)")
        if self._request_in_progress(owner.logical_id, request_of(registered)):
            return self._leave(model, owner, None, "a CloudFormation request of the resource is in progress")
        observation = model.observe()
        history = self._timed_start(model, tags, observation)
        now = datetime.fromtimestamp(self._clock(), UTC)
        wanted = lead_time.wanted_running(spec.schedule, history, now, running=observation.status in BILLABLE)
        value = owner.value(request_of(registered), idle=not wanted)
        if is_idle(registered) == wanted:  # a window opened or closed: the resource now holds it so
            model.tag(owner.key, value)
        others = wanting(owners(tags))
        others.pop(owner.key, None)
        if wanted:
            action = decide(observation, Desired(True, spec.min_units, spec.max_units), first_look=True)
        elif others:
            return Repair(found=observation.status, why_not="another owner wants it running")
        else:
            action = decide(observation, STOPPED_STATE, first_look=True)
        if action.verb not in (Verb.START, Verb.STOP):
            if action.verb is Verb.FAIL:
                logger.error("Scheduled look at %s: model %s %s", owner.logical_id, model.label, action.reason)
            return Repair(found=observation.status, why_not=action.reason or action.verb.value)
        # Right before acting: a Delete may have released the version meanwhile, or (to stop) another
        # owner come to want it running.
        now_tags = owners(model.read_tags())
        if now_tags.get(owner.key) != value or (action.verb is Verb.STOP and not wanted and len(wanting(now_tags))):
            return self._leave(model, owner, observation.status, "the version's owners changed meanwhile")
        if action.verb is Verb.START:
            model.start(spec.min_units, spec.max_units)
            model.tag(lead_time.STARTED_AT_TAG, str(int(self._clock())))
        else:
            model.stop()
        logger.warning(
            "%s: model %s was %s; %s it (%s)",
            owner.logical_id,
            model.label,
            observation.status,
            "started" if action.verb is Verb.START else "stopped",
            "the stack declares it RUNNING now" if wanted else "outside the resource's running windows",
        )
        return Repair(found=observation.status, action=action.verb)

    def _timed_start(self, model: ModelVersionClient, tags: Mapping[str, str], observation: Observation) -> list[float]:
        """The version's recent start times; a start this handler made that has reached RUNNING is added."""
        history = lead_time.history_in(tags)
        started_at = tags.get(lead_time.STARTED_AT_TAG)
        if started_at is not None and observation.status == RUNNING:
            try:
                took = self._clock() - float(started_at)
            except ValueError:
                took = -1.0
            if took > 0:
                history = lead_time.remember(history, took)
                model.tag(lead_time.STARTS_TAG, lead_time.format_history(history))
            model.untag(lead_time.STARTED_AT_TAG)
        return history

    @staticmethod
    def _leave(model: ModelVersionClient, owner: Owner, found: str | None, why: str) -> Repair:
        logger.info("Scheduled look at %s leaves model %s alone: %s", owner.logical_id, model.label, why)
        return Repair(found=found, why_not=why)


def repairs_metric_line(version: ModelVersion, *, found: str, now: float) -> str:
    """One repair as a CloudWatch embedded-metric-format log line: CloudWatch Logs turns it into a
    count of REPAIRS_METRIC per version, with no PutMetricData permission needed."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(now * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": contract.REPAIRS_NAMESPACE,
                        "Dimensions": [[contract.METRIC_DIMENSION_PROJECT, contract.METRIC_DIMENSION_VERSION]],
                        "Metrics": [{"Name": contract.REPAIRS_METRIC, "Unit": "Count"}],
                    }
                ],
            },
            contract.METRIC_DIMENSION_PROJECT: version.project,
            contract.METRIC_DIMENSION_VERSION: version.version,
            contract.REPAIRS_METRIC: 1,
            "Found": found,
            "ModelVersionArn": version.arn,
        }
    )
