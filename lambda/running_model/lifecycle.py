"""From a CloudFormation request (or one of its polls) to what to answer, using the reconciler.

Keys this module keeps in crhelper's Data between polls (Data is reloaded from the poll rule's
Input at every poll, so only what the first invocation stored survives):

- ``Deadline``: when this request gives up (epoch seconds).
- ``ProjectArn``: the project's ARN once looked up, to spare DescribeProjects on every poll.
- ``Cleanup``: set on the rule of a failed request whose model was still STARTING, to stop it
  once it can be stopped (see ``Lifecycle._cleanup``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from . import contract
from .decision import BILLABLE, RUNNING, STARTING, STOPPED_STATE, Desired, Observation
from .properties import InvalidPropertiesError, ModelVersion, parse, project_arn_for, service_timeout
from .reconcile import Outcome, Reconciler, Result, Window
from .rekognition import ModelVersionClient, RekognitionError, make_client
from .settings import Timing

logger = logging.getLogger(__name__)

DEADLINE = "Deadline"
PROJECT_ARN = "ProjectArn"
CLEANUP = "Cleanup"


@dataclass(frozen=True)
class Answer:
    """What to tell CloudFormation now.

    - ``finished`` False: nothing yet, poll again.
    - ``failure_reason`` empty: SUCCESS with ``physical_id`` and ``attributes``.
    - ``physical_id`` None on a failure: keep the request's own id (crhelper makes one for a Create).
    - ``cleanup``: Data for polls that go on after the answer, to stop a model left STARTING.
    - ``silent``: a cleanup poll has finished; CloudFormation has had its answer already.
    """

    finished: bool
    physical_id: str | None = None
    failure_reason: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)
    cleanup: dict[str, Any] | None = None
    silent: bool = False


PENDING = Answer(finished=False)


@dataclass(frozen=True)
class _Request:
    """One invocation's view of a request: the event, crhelper's Data, and how long to look."""

    event: Mapping[str, Any]
    data: MutableMapping[str, Any]
    window: float
    first_look: bool
    not_done_yet: Callable[[], bool] | None

    @property
    def properties(self) -> Mapping[str, Any]:
        return self.event.get("ResourceProperties", {})


def failed(reason: str, cleanup: dict[str, Any] | None = None) -> Answer:
    return Answer(finished=True, failure_reason=reason, cleanup=cleanup)


class Connections:
    """Clients for model versions, in their own regions (which may differ from the handler's).

    One Rekognition client per region, made at first use and kept: a warm Lambda container
    reuses it at every poll.
    """

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def __call__(self, version: ModelVersion, project_arn: str | None) -> ModelVersionClient:
        if version.region not in self._clients:
            self._clients[version.region] = make_client(version.region)
        return ModelVersionClient(self._clients[version.region], version, project_arn)


class Lifecycle:
    """Handles Create, Update and Delete, first look and polls alike."""

    def __init__(
        self,
        timing: Timing,
        *,
        model_factory: Callable[[ModelVersion, str | None], ModelVersionClient] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._timing = timing
        self._model_factory = model_factory or Connections()
        self._clock = clock
        self._sleep = sleep

    def handle(
        self,
        event: Mapping[str, Any],
        data: MutableMapping[str, Any],
        *,
        polling: bool,
        remaining_seconds: float,
        not_done_yet: Callable[[], bool] | None = None,
    ) -> Answer:
        """Answer ``event``. ``data`` is crhelper's Data; ``remaining_seconds`` the Lambda's time left.

        ``not_done_yet`` is called once the first look has not finished the request, with
        ``data`` complete (see Reconciler.run).
        """
        window = min(self._timing.window_seconds, remaining_seconds - self._timing.reserve_seconds)
        if CLEANUP in data:
            return self._cleanup(data[CLEANUP], window)
        request = _Request(event, data, window, first_look=not polling, not_done_yet=not_done_yet)
        if event["RequestType"] == "Delete":
            return self._delete(request)
        return self._converge(request)

    def _delete(self, request: _Request) -> Answer:
        physical_id = request.event.get("PhysicalResourceId", "")
        version = ModelVersion.from_arn(physical_id)
        if version is None:
            logger.info("Nothing to stop: %r is not a model version this resource started", physical_id)
            return Answer(finished=True, physical_id=physical_id)
        model = self._model(version, request.data, project_arn_for(request.properties, version))
        outcome = self._run(request, model, STOPPED_STATE)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.FAILED:
            return failed(outcome.reason)
        return Answer(finished=True, physical_id=version.arn)

    def _converge(self, request: _Request) -> Answer:
        try:
            spec = parse(request.properties)
        except InvalidPropertiesError as error:
            return failed(str(error))
        model = self._model(spec.version, request.data, spec.project_arn)
        desired = Desired(running=True, min_units=spec.min_units, max_units=spec.max_units)
        outcome = self._run(request, model, desired)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.FAILED:
            return self._fail_and_clean_up(model, outcome)
        return Answer(
            finished=True, physical_id=spec.version.arn, attributes=_attributes(spec.version, outcome.observation)
        )

    def _fail_and_clean_up(self, model: ModelVersionClient, outcome: Outcome) -> Answer:
        """A Create or Update failed: leave nothing running (and billed) behind."""
        status = outcome.observation.status if outcome.observation else None
        if status not in BILLABLE:
            return failed(outcome.reason)
        reason = outcome.reason.rstrip(".") + "."
        if status == STARTING:  # Rekognition cannot stop a model that is starting: come back for it.
            follow_up = {
                "ProjectVersionArn": model.version.arn,
                PROJECT_ARN: model.known_project_arn,
                DEADLINE: self._clock() + self._timing.cleanup_seconds,
            }
            return failed(reason + " The model will be stopped once it has started.", cleanup=follow_up)
        try:
            model.stop()
        except RekognitionError as error:
            logger.error("Could not stop %s after a failure: %s", model.version.label, error)
            return failed(reason + f" Stopping the model failed too ({error.code}): stop it by hand.")
        return failed(reason + " The model was stopped.")

    def _cleanup(self, follow_up: Mapping[str, Any], window: float) -> Answer:
        version = ModelVersion.from_arn(follow_up.get("ProjectVersionArn"))
        if version is None:
            return Answer(finished=True, silent=True)
        model = self._model_factory(version, follow_up.get(PROJECT_ARN))
        reconciler = self._reconciler(model, STOPPED_STATE)
        outcome = reconciler.run(Window(window, float(follow_up[DEADLINE])), first_look=False)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.FAILED:
            logger.error(
                "Gave up stopping %s after a failed deployment: %s. Stop it by hand.", version.label, outcome.reason
            )
        else:
            logger.info("Stopped %s, which a failed deployment had left starting", version.label)
        return Answer(finished=True, silent=True)

    def _model(self, version: ModelVersion, data: Mapping[str, Any], project_arn: str | None) -> ModelVersionClient:
        return self._model_factory(version, data.get(PROJECT_ARN) or project_arn)

    def _run(self, request: _Request, model: ModelVersionClient, desired: Desired) -> Outcome:
        data = request.data
        if DEADLINE not in data:
            data[DEADLINE] = self._clock() + self._budget(service_timeout(request.properties))
        hook = None
        if request.not_done_yet is not None:
            carry_on = request.not_done_yet

            def hook() -> bool:  # the polls get Data as it is now: with the project's ARN
                _remember_project(model, data)
                return carry_on()

        outcome = self._reconciler(model, desired).run(
            Window(request.window, float(data[DEADLINE])), first_look=request.first_look, not_done_yet=hook
        )
        _remember_project(model, data)
        return outcome

    def _reconciler(self, model: ModelVersionClient, desired: Desired) -> Reconciler:
        return Reconciler(
            model,
            desired,
            step_seconds=self._timing.step_seconds,
            quiet_seconds=self._timing.quiet_seconds,
            clock=self._clock,
            sleep=self._sleep,
        )

    def _budget(self, timeout_seconds: int) -> float:
        """Seconds this request may take: CloudFormation's timeout less a margin to clean up and answer."""
        return max(timeout_seconds - self._timing.deadline_margin_seconds, timeout_seconds / 2)


def _remember_project(model: ModelVersionClient, data: MutableMapping[str, Any]) -> None:
    """Keep the project's ARN in Data, to spare the polls DescribeProjects."""
    if model.known_project_arn:
        data[PROJECT_ARN] = model.known_project_arn


def _attributes(version: ModelVersion, observation: Observation | None) -> dict[str, str]:
    observed = observation or Observation(status=RUNNING)
    min_units = observed.min_units
    max_units = observed.max_units if observed.max_units is not None else min_units
    return {
        contract.ATTR_PROJECT_VERSION_ARN: version.arn,
        contract.ATTR_STATUS: observed.status or "",
        contract.ATTR_MIN_INFERENCE_UNITS: "" if min_units is None else str(min_units),
        contract.ATTR_MAX_INFERENCE_UNITS: "" if max_units is None else str(max_units),
    }
