"""Create and Update: register, then run the model as the stack declares it now.

The first look records the request in the ledger as its resource's latest, with what it declares,
and registers the resource as an owner of the version (its owner tag) before it starts or adopts
it, ending the resource's earlier request if that is still unanswered. Outside its running windows
the resource holds the version idle: the request then stops the model unless another owner wants
it running. Polls go on only while the ledger still names their request. A rollback Update (back to
the version the resource had) also releases the version that the failed update registered on.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

from . import contract, gate, lead_time, start_times
from .cadence import Pace
from .decision import BILLABLE, RUNNING, STOPPED, STOPPED_STATE, Desired, Observation
from .holding import Holding
from .ledger import ResourceRecord
from .model_version import ModelVersion
from .ownership import TAG_LIMIT, is_idle, owners, request_of, stopping_until
from .properties import InvalidPropertiesError, ModelSpec, parse, project_arn_for
from .reconcile import Outcome, Result
from .rekognition import ModelVersionClient, RekognitionError
from .release import Release
from .request import PENDING, REGISTERED, Answer, Request, attributes, failed, registered_id
from .steps import Steps

logger = logging.getLogger(__name__)


class Deploy(Steps):
    """Create and Update requests, first look and polls alike."""

    def converge(self, request: Request) -> Answer:
        """Answer a Create or Update: the model as the stack declares it, once it is so."""
        try:
            spec = parse(request.properties)
        except InvalidPropertiesError as error:
            return failed(str(error))
        model = self._model(spec.version, request.data, spec.project_arn)
        owner = request.owner
        record = request.record()
        if request.first_look and spec.min_f1_score is not None:
            refused = self._promotion_refused(request, model, spec.min_f1_score)
            if refused:
                return failed(refused)
        try:
            # A first look tries again while throttled; a poll leaves that to the next poll.
            tags = self._patiently(request, model.read_tags) if request.first_look else model.read_tags()
        except RekognitionError as error:
            if request.first_look:
                return failed(_registration_reason(spec.version, error))
            return _pending_if_transient(error)
        mine = owners(tags).get(owner.key)
        if not request.first_look:
            latest = _latest_request(record, mine)
            if latest != request.request_id:
                return self._superseded(request, record)
        # Outside its running windows the resource holds the version idle: it wants it stopped,
        # unless another owner wants it running. Every look asks the schedule again.
        history, now = lead_time.history_in(tags), self._now()
        try:
            wanted = lambda: self._wanted_running(spec, history, now, model)  # noqa: E731
            idle = not (self._patiently(request, wanted) if request.first_look else wanted())
        except RekognitionError as error:
            if request.first_look:
                return failed(f"Model {spec.version.label}: {error}")
            return _pending_if_transient(error)
        # A look after the schedule's next change would still answer for the schedule as it was now:
        # this invocation stops looking there, and the next poll asks the schedule again.
        changes_in = lead_time.seconds_until_change(spec.schedule, history, now)
        request = replace(request, window=min(request.window, changes_in))
        holding = self._holding(request, model, request.request_id, wants=not idle)
        if request.first_look:
            try:
                self._patiently(request, lambda: self._register(request, spec, holding, record, mine, idle=idle))
            except RekognitionError as error:
                return failed(_registration_reason(spec.version, error))
        elif mine is None or is_idle(mine) != idle or stopping_until(mine) is not None:
            try:  # the resource's own request: it may restore its registration, and follows its windows
                holding.register(idle=idle)
            except RekognitionError as error:
                return _pending_if_transient(error)
        desired = STOPPED_STATE if idle else Desired(running=True, min_units=spec.min_units, max_units=spec.max_units)
        pace = None if idle else self._pace(request, tags, history)
        outcome = self._run(request, model, desired, guard=holding, pace=pace)
        if pace is not None and outcome.result is Result.DONE:
            self._time_start(model, history, pace)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.YIELDED and holding.superseded:
            return self._superseded(request, record)
        if outcome.result is Result.YIELDED:  # idle, and another owner wants the model running
            holding.stopped()
            logger.info("Leaving %s running for another owner: outside %s's windows", model.label, owner.logical_id)
            outcome = Outcome(Result.DONE, model.observe())
        if outcome.result is Result.FAILED:
            # CloudFormation's rollback (a Delete of this id, or an Update back) stops what was started.
            return failed(outcome.reason, registered_id(request))
        released = self._release_abandoned_version(request, spec.version)
        if released is not None and released.result is not Result.DONE:
            if released.result is Result.PENDING:
                return PENDING
            return failed(released.reason or "Stopping the abandoned version was interrupted", None)
        observation = outcome.observation or Observation(status=STOPPED if idle else RUNNING)
        return Answer(finished=True, physical_id=spec.version.arn, attributes=attributes(spec.version, observation))

    def _superseded(self, request: Request, record: ResourceRecord | None) -> Answer:
        """A poll whose request is no longer its resource's latest: a later request took over, and
        answers it FAILED (the ledger keeps whichever answer comes first)."""
        later = record.request_type if record is not None and record.request_type else "request"
        logger.info("A later %s of %s has taken over; this request ends", later, request.owner.logical_id)
        return failed(f"Ended by a later {later} of this resource", registered_id(request))

    def _promotion_refused(self, request: Request, model: ModelVersionClient, required: float) -> str | None:
        """Why the version may not be started under the gate, before anything is registered or started.

        A refused Create answers with an id that names no version, and a refused Update keeps the
        resource's id: the rollback finds nothing of this request to undo, and the old version
        keeps serving.
        """
        try:
            observation = self._patiently(request, model.observe)
        except RekognitionError as error:
            return f"Could not read the F1 score of model {model.label}: {error}; nothing was started"
        refused = gate.refusal(model.label, observation, required)
        if refused:
            logger.warning(refused)
        return refused

    def _register(
        self,
        request: Request,
        spec: ModelSpec,
        holding: Holding,
        record: ResourceRecord | None,
        mine: str | None,
        *,
        idle: bool,
    ) -> None:
        """Record the request as the resource's latest, ending an earlier one still unanswered, and
        the resource as an owner of the version (``idle`` outside its windows)."""
        earlier = _latest_request(record, mine)
        if earlier is not None and earlier != request.request_id and not (record is not None and record.released):
            self._end_earlier_request(request, earlier, spec.version.arn)
        if request.records is not None:
            declaration = {key: value for key, value in request.properties.items() if key != "ServiceToken"}
            request.records.record_registration(
                request.owner, request.request_id, request.request_type, spec.version.arn, declaration
            )
        holding.register(idle=idle)
        request.data[REGISTERED] = spec.version.arn
        state = " (idle: outside its running windows)" if idle else ""
        logger.info("Registered %s as an owner of %s%s", request.owner.logical_id, spec.version.label, state)

    @staticmethod
    def _time_start(model: ModelVersionClient, history: list[float], pace: Pace) -> None:
        """Record how long the start this run saw RUNNING took, when its making is known; a failure
        to write it is logged (the next start goes without it)."""
        timed = pace.timed_start()
        if timed is None:
            return
        try:
            start_times.seen_running(model, history, *timed)
        except RekognitionError as error:
            logger.warning("Could not record how long the start of %s took (%s)", model.label, error)

    @staticmethod
    def _wanted_running(spec: ModelSpec, history: list[float], now: datetime, model: ModelVersionClient) -> bool:
        """What the schedule wants ``now``; within the hour before an opening, a model already running
        for it stays wanted (lead_time.wanted_running), which takes a look at the model."""
        if lead_time.wanted_running(spec.schedule, history, now):
            return True
        if not lead_time.wanted_running(spec.schedule, history, now, running=True):
            return False
        return model.observe().status in BILLABLE

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _release_abandoned_version(self, request: Request, wanted: ModelVersion) -> Outcome | None:
        """In a rollback Update: release the version that the failed update registered on, if any.

        A rollback Update names the version the resource had (properties and PhysicalResourceId
        agree) while OldResourceProperties names the one the failed update tried. A forward
        update (old properties = physical id) leaves the old version to the cleanup-phase Delete,
        so that it keeps serving until the whole update has succeeded.
        """
        old_properties = request.event.get("OldResourceProperties") or {}
        abandoned = ModelVersion.from_arn(old_properties.get(contract.PROP_PROJECT_VERSION_ARN))
        physical_id = request.event.get("PhysicalResourceId")
        if abandoned is None or abandoned.arn in (wanted.arn, physical_id):
            return None
        model = self._model_factory(abandoned, project_arn_for(old_properties, abandoned))
        # Only a registration says the failed update started or adopted it: a version it was refused
        # (or never registered on) is left as it was found.
        release = Release(self._timing, model_factory=self._model_factory, clock=self._clock, sleep=self._sleep)
        return release.release(request, model, holds_version=False, end_earlier=request.records is None)


def _latest_request(record: ResourceRecord | None, mine: str | None) -> str | None:
    """The resource's latest request: as the ledger records it, else as its owner tag names it
    (a resource registered before the ledger existed)."""
    if record is not None:
        return None if record.released else record.request_id
    return request_of(mine) if mine is not None else None


def _pending_if_transient(error: RekognitionError) -> Answer:
    """PENDING for a transient error in a poll (the next poll looks again); any other is raised."""
    if not error.transient:
        raise error
    logger.warning("%s; looking again at the next poll", error)
    return PENDING


def _registration_reason(version: ModelVersion, error: RekognitionError) -> str:
    """Why the resource could not register as an owner of ``version`` (nothing was started)."""
    if error.code == "ResourceNotFoundException":
        return f"Model {version.label} not found: check the ARN, its region and account"
    if error.code == "ServiceQuotaExceededException":
        return (
            f"Model {version.label} holds {TAG_LIMIT} tags already; RunningModel records each owning "
            "resource in one tag: remove tags it does not need"
        )
    return f"Could not register as an owner of model {version.label}: {error}"
