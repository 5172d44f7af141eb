"""Drift repair: a scheduled event, not a CloudFormation request, re-asserts one resource's declared state.

The construct's schedule (``repair_every``) sends ``{REPAIR_EVENT: {"StackId", "LogicalResourceId",
"ResourceProperties"}}``. Nothing is answered. The handler acts only while the resource still owns
the version (its owner tag is there) and no CloudFormation request of the resource is in progress
(that request's poll rule exists): a deploy's result is what the stack reported, and a Delete that
released the version is never undone. It takes one action at most, the decision table's for a
first look (a FAILED model is started again), and leaves the waiting to the next repair.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import contract
from .decision import Desired, Verb, decide
from .model_version import ModelVersion
from .ownership import Owner, owners, request_of
from .properties import InvalidPropertiesError, parse
from .rekognition import ModelVersionClient, RekognitionClients, RekognitionError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Repair:
    """What one repair found and did: ``action`` START or STOP, or None when it did nothing."""

    found: str | None
    action: Verb | None = None
    why_not: str = ""


def is_repair(event: Mapping[str, Any]) -> bool:
    """True for the repair schedule's event (CloudFormation's requests carry RequestType instead)."""
    return contract.REPAIR_EVENT in event


class Repairer:
    """Handles the repair events of every resource of the stack."""

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
        body = event[contract.REPAIR_EVENT]
        owner = Owner(str(body["StackId"]), str(body["LogicalResourceId"]))
        try:
            spec = parse(body.get("ResourceProperties", {}))
        except InvalidPropertiesError as error:
            logger.error("Repair of %s: %s", owner.logical_id, error)
            return Repair(found=None, why_not=str(error))
        model = self._model_factory(spec.version, spec.project_arn)
        try:
            return self._repair(model, owner, Desired(True, spec.min_units, spec.max_units))
        except RekognitionError as error:  # the next repair looks again
            logger.warning("Repair of %s on %s: %s", owner.logical_id, model.label, error)
            return Repair(found=None, why_not=str(error))

    def _repair(self, model: ModelVersionClient, owner: Owner, desired: Desired) -> Repair:
        registered = owners(model.read_tags()).get(owner.key)
        if registered is None:
            return self._leave(model, owner, None, "the resource does not own the version (not deployed, or deleted)")
        if self._request_in_progress(owner.logical_id, request_of(registered)):
            return self._leave(model, owner, None, "a CloudFormation request of the resource is in progress")
        observation = model.observe()
        action = decide(observation, desired, first_look=True)
        if action.verb not in (Verb.START, Verb.STOP):
            if action.verb is Verb.FAIL:
                logger.error("Repair of %s: model %s %s", owner.logical_id, model.label, action.reason)
            return Repair(found=observation.status, why_not=action.reason or action.verb.value)
        # Ownership once more, right before acting: a Delete may have released the version meanwhile.
        if owners(model.read_tags()).get(owner.key) != registered:
            return self._leave(model, owner, observation.status, "the resource's ownership changed meanwhile")
        if action.verb is Verb.START:
            model.start(desired.min_units, desired.max_units)
        else:  # running with other units: stopped now, started with the declared ones by the next repair
            model.stop()
        logger.warning(
            "Repaired %s: model %s was %s; %s it (the stack declares it RUNNING with %s unit(s))",
            owner.logical_id,
            model.label,
            observation.status,
            "started" if action.verb is Verb.START else "stopped",
            desired.min_units,
        )
        self._emit(repairs_metric_line(model.version, found=str(observation.status), now=self._clock()))
        return Repair(found=observation.status, action=action.verb)

    @staticmethod
    def _leave(model: ModelVersionClient, owner: Owner, found: str | None, why: str) -> Repair:
        logger.info("Repair of %s leaves model %s alone: %s", owner.logical_id, model.label, why)
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
