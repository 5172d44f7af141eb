"""Releasing a resource's hold on a model version: a Delete, or the version a failed update left.

A release stops the model first when no other owner wants it running, and removes the resource's
owner tag once the stop is made (holding.py), so that a model is never left running with no owner
for a later step that failed: polling that cannot be set up (EventBridge's rule quota) does not hold
the stop back, and a stop Rekognition refuses (a STARTING model) keeps the tag until it is made.
"""

from __future__ import annotations

import logging

from . import contract
from .decision import STOPPED_STATE, Verb
from .model_version import ModelVersion
from .ownership import owners, request_of, wanting
from .properties import project_arn_for
from .reconcile import Outcome, Permit, Result
from .rekognition import ModelVersionClient, RekognitionError
from .request import PENDING, RELEASING, Answer, PollingSetupError, Request, failed
from .steps import Steps

logger = logging.getLogger(__name__)


class Release(Steps):
    """Delete requests, and the release of a version (for a rollback Update)."""

    def delete(self, request: Request) -> Answer:
        """Answer a Delete: release the resource from the version its physical id (or, for a Create that
        CloudFormation cancelled, its properties) names."""
        physical_id = str(request.event.get("PhysicalResourceId", ""))
        version = ModelVersion.from_arn(physical_id)
        holds_version = version is not None
        if version is None:  # a Create that failed early, or that CloudFormation cancelled
            version = ModelVersion.from_arn(request.properties.get(contract.PROP_PROJECT_VERSION_ARN))
        if version is None:
            logger.info("Nothing to stop: %r is not a model version this resource started", physical_id)
            return Answer(finished=True, physical_id=physical_id)
        model = self._model(version, request.data, project_arn_for(request.properties, version))
        record = request.record()
        current = record is None or record.version_arn == version.arn  # not a version the resource left
        earlier = None if record is None or record.released or not current else record.request_id
        if request.first_look and earlier is not None and earlier != request.request_id:
            self._end_earlier_request(request, earlier, version.arn)
        outcome = self.release(request, model, holds_version=holds_version, end_earlier=record is None)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.FAILED:
            return failed(outcome.reason)
        if request.records is not None and current:
            request.records.record_release(request.owner, request.request_id, version.arn)
        return Answer(finished=True, physical_id=physical_id)

    def release(
        self, request: Request, model: ModelVersionClient, *, holds_version: bool, end_earlier: bool = False
    ) -> Outcome:
        """Remove the resource's registration; stop the model first when no other owner wants it.

        ``holds_version`` False (a Delete whose id is not a version ARN, or the version a failed
        update tried): release only when this resource had registered, i.e. its own request started
        or adopted the model. True with no registration: a resource from before ownership, whose
        Delete stops the model when no other owner wants it. ``end_earlier``: a resource the ledger
        does not know (registered before it existed): its owner tag names the request to end.
        """
        try:
            registered = owners(self._patiently(request, model.read_tags))
        except RekognitionError as error:
            if error.code == "ResourceNotFoundException":
                return Outcome(Result.DONE)  # the version is gone: nothing runs
            if request.first_look or not error.transient:
                raise
            return Outcome(Result.PENDING)
        owner = request.owner
        mine = registered.pop(owner.key, None)
        if end_earlier and request.first_look and mine is not None and request_of(mine) != request.request_id:
            self._end_earlier_request(request, request_of(mine), model.version.arn)
        if request.data.get(RELEASING) != model.version.arn:
            if mine is None and not holds_version:
                logger.info("Nothing to stop: %s never registered on %s", owner.logical_id, model.version.label)
                return Outcome(Result.DONE)
            request.data[RELEASING] = model.version.arn
        holding = self._holding(request, model, request_of(mine) if mine else request.request_id, releasing=True)
        # Another owner seemed to want it: that is decided on a read made after this one's own mark
        # (holding.py), or two owners leaving together would each leave the model to the other.
        if wanting(registered) and self._patiently(request, lambda: holding.before(Verb.STOP)) is Permit.YIELD:
            self._patiently(request, holding.stopped)
            return Outcome(Result.DONE)
        polling_failures: list[PollingSetupError] = []
        outcome = self._run(request, model, STOPPED_STATE, guard=holding, polling_failures=polling_failures)
        if outcome.result is Result.YIELDED and holding.superseded:  # another request of the resource holds it
            return Outcome(Result.DONE, outcome.observation)
        if outcome.result in (Result.DONE, Result.YIELDED):
            self._patiently(request, holding.stopped)
            return Outcome(Result.DONE, outcome.observation)
        if polling_failures and outcome.result is Result.PENDING:  # nothing will look again: say where it stands
            if holding.released:
                where = f"the stop of model {model.label} is made; it is STOPPING"
            else:
                status = outcome.observation.status if outcome.observation else "unknown"
                where = f"model {model.label} is {status} and cannot be stopped yet: it stays registered, idle"
            return Outcome(Result.FAILED, outcome.observation, f"{polling_failures[0]}; {where}")
        return outcome
