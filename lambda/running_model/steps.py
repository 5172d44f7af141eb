"""What every request's invocation does, Create, Update and Delete alike: look patiently, reconcile
within its window (setting up polling first), and act through its holding on a version."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

from . import lead_time
from .cadence import Cadence, Pace
from .decision import Desired
from .holding import Holding
from .model_version import ModelVersion
from .properties import service_timeout
from .reconcile import Outcome, Reconciler, Window
from .rekognition import ModelVersionClient, RekognitionClients, RekognitionError
from .request import DEADLINE, PROJECT_ARN, PollingSetupError, Request
from .settings import Timing

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Steps:
    """The steps every request takes, on ``clock`` and ``sleep`` (the real ones by default; tests
    and the benchmark pass their own)."""

    def __init__(
        self,
        timing: Timing,
        *,
        model_factory: Callable[[ModelVersion, str | None], ModelVersionClient] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._timing = timing
        self._model_factory = model_factory or RekognitionClients()
        self._clock = clock
        self._sleep = sleep

    def _end_earlier_request(self, request: Request, earlier_request_id: str, physical_id: str) -> bool:
        """End the resource's earlier request if it is still unanswered; True if it was."""
        if request.polls is None:
            return False
        return request.polls.end_request(
            str(request.event["LogicalResourceId"]),
            earlier_request_id,
            f"Ended by a later {request.request_type} of this resource",
            physical_id,
        )

    def _holding(
        self,
        request: Request,
        model: ModelVersionClient,
        request_id: str,
        *,
        wants: bool = False,
        releasing: bool = False,
    ) -> Holding:
        return Holding(
            model,
            request.owner,
            request_id,
            wants=wants,
            releasing=releasing,
            mark_until=request.lease_until,
            clock=self._clock,
        )

    def _patiently(self, request: Request, call: Callable[[], T]) -> T:
        """``call()``, tried again on the reconciler's beat while a transient error (throttling,
        after botocore's own retries) lasts and this invocation's window has room."""
        give_up = self._clock() + request.window
        while True:
            try:
                return call()
            except RekognitionError as error:
                if not error.transient or self._clock() + self._timing.step_seconds > give_up:
                    raise
                logger.warning("%s; trying again in %.0f s", error, self._timing.step_seconds)
                self._sleep(self._timing.step_seconds)

    def _model(self, version: ModelVersion, data: Mapping[str, Any], project_arn: str | None) -> ModelVersionClient:
        return self._model_factory(version, data.get(PROJECT_ARN) or project_arn)

    def _run(
        self,
        request: Request,
        model: ModelVersionClient,
        desired: Desired,
        *,
        guard: Holding,
        polling_failures: list[PollingSetupError] | None = None,
        pace: Pace | None = None,
    ) -> Outcome:
        """Reconcile ``model`` towards ``desired`` within the invocation's window.

        On a first look that does not finish the request, polling is set up before any start or
        stop. Polling that cannot be set up fails the request at once, unless ``polling_failures``
        is given (a release: a stop is worth making all the same): the failure is then added to it.
        ``pace``: when the run looks while it waits (Reconciler.run).
        """
        data = request.data
        self._set_deadline(request)
        hook = None
        if request.first_look and request.polls is not None:
            polls = request.polls

            def hook() -> bool:  # the polls get Data as it is now: with the project's ARN
                _remember_project(model, data)
                try:
                    return polls.start_polling()
                except PollingSetupError as error:
                    if polling_failures is None:
                        raise
                    polling_failures.append(error)
                    return True

        outcome = self._reconciler(model, desired).run(
            Window(request.window, float(data[DEADLINE])),
            first_look=request.first_look,
            not_done_yet=hook,
            guard=guard,
            pace=pace,
        )
        _remember_project(model, data)
        return outcome

    def _set_deadline(self, request: Request) -> None:
        """The request's deadline in Data, set by its first look."""
        if DEADLINE not in request.data:
            request.data[DEADLINE] = self._clock() + self._budget(service_timeout(request.properties))

    def _pace(self, request: Request, tags: Mapping[str, str], history: list[float]) -> Pace | None:
        """How a run waiting for the model to run looks (cadence.py): at the start the version's
        ``tags`` record, timed by its recent starts (``history``, as read from them), else at a wait
        that began with the request; None when every step is a look."""
        step, limit = self._timing.step_seconds, self._timing.sparse_limit_seconds
        if limit <= step:
            return None
        started = lead_time.started_at(tags.get(lead_time.STARTED_AT_TAG))
        if started is not None:
            cadence = Cadence.for_start(started[0], history, step=step, limit=limit)
            return Pace(cadence, history, made=started[0], looked_before=not request.first_look)
        self._set_deadline(request)
        begun = float(request.data[DEADLINE]) - self._budget(service_timeout(request.properties))
        return Pace(Cadence.for_wait(begun, step=step, limit=limit), history, looked_before=not request.first_look)

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
