"""From a CloudFormation request (or one of its polls) to what to answer, using the reconciler.

Every invocation that gets here holds its resource's lease (resource.py): no other path of the
same resource runs meanwhile. Ownership (ownership.py, holding.py) decides who may start and stop
a model:

- Create/Update register their resource in the ledger as its latest request, with what it
  declares, and as an owner of the version (its owner tag) before they start or adopt it; they end
  the resource's earlier request if it is still unanswered. Their polls go on only while the
  ledger still names their request.
- A rollback Update (back to the version the resource had) also releases the version that the
  failed update registered on.
- Delete ends the resource's request still in flight, then releases its registration (from the
  PhysicalResourceId, or, for a Create that CloudFormation cancelled, from the properties). When
  another owner wants the model running, it only removes its tag; otherwise it stops the model
  first and removes its tag once the stop is made, so a model is never left running with no owner.
- A failed Create that registered answers with the version ARN, so that CloudFormation's own
  rollback Delete, which runs while the handler still exists, stops the model.

Keys this module keeps in crhelper's Data between polls (Data is reloaded from the poll rule's
Input at every poll, so only what the first invocation stored survives):

- ``Deadline``: when this request gives up (epoch seconds).
- ``ProjectArn``: the project's ARN once looked up, to spare DescribeProjects on every poll.
- ``Registered``: the version this request registered its resource on (so a failed Create
  answers with its ARN).
- ``Releasing``: the version this request releases (its first look found the resource registered).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from . import contract, gate, lead_time
from .decision import BILLABLE, RUNNING, STOPPED, STOPPED_STATE, Desired, Observation, Verb
from .holding import Holding
from .ledger import LedgerError, ResourceRecord
from .model_version import ModelVersion
from .ownership import TAG_LIMIT, Owner, is_idle, owners, request_of, stopping_until, wanting
from .properties import InvalidPropertiesError, ModelSpec, parse, project_arn_for, service_timeout
from .reconcile import Outcome, Permit, Reconciler, Result, Window
from .rekognition import ModelVersionClient, RekognitionClients, RekognitionError
from .settings import Timing

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEADLINE = "Deadline"
PROJECT_ARN = "ProjectArn"
REGISTERED = "Registered"
RELEASING = "Releasing"


@dataclass(frozen=True)
class Answer:
    """What to tell CloudFormation now.

    - ``finished`` False: nothing yet, poll again.
    - ``failure_reason`` empty: SUCCESS with ``physical_id`` and ``attributes``.
    - ``physical_id`` None on a failure: keep the request's own id (crhelper makes one for a Create).
    """

    finished: bool
    physical_id: str | None = None
    failure_reason: str = ""
    attributes: Mapping[str, str] = field(default_factory=dict)


PENDING = Answer(finished=False)


class PollingSetupError(Exception):
    """The poll rule could not be set up: the request fails with this, before anything started."""


class RequestPolls(Protocol):
    """What the lifecycle needs from the poll machinery (resource.PollingResource)."""

    def start_polling(self) -> bool:
        """Set up this request's poll rule; False when another delivery of it polls already.

        Raises PollingSetupError when the rule cannot be set up."""

    def end_request(self, logical_id: str, request_id: str, reason: str, physical_id: str) -> bool:
        """Answer an earlier request of the resource FAILED with ``reason`` unless it was answered,
        and stop polling it; True when it was still unanswered."""


class ResourceRecords(Protocol):
    """What the lifecycle keeps in the ledger (ledger.Ledger) about its resources."""

    def resource(self, owner: Owner) -> ResourceRecord | None: ...

    def record_registration(
        self, owner: Owner, request_id: str, request_type: str, version_arn: str, declaration: Mapping[str, Any]
    ) -> None: ...

    def record_release(self, owner: Owner, request_id: str, version_arn: str) -> None: ...


@dataclass(frozen=True)
class _Request:
    """One invocation's view of a request: the event, crhelper's Data, how long to look, and until
    when the invocation (and so its lease) lasts."""

    event: Mapping[str, Any]
    data: MutableMapping[str, Any]
    window: float
    first_look: bool
    polls: RequestPolls | None
    records: ResourceRecords | None
    lease_until: float

    @property
    def properties(self) -> Mapping[str, Any]:
        return self.event.get("ResourceProperties", {})

    @property
    def owner(self) -> Owner:
        return Owner.of(self.event)

    @property
    def request_id(self) -> str:
        return str(self.event["RequestId"])

    @property
    def request_type(self) -> str:
        return str(self.event["RequestType"])

    def record(self) -> ResourceRecord | None:
        return self.records.resource(self.owner) if self.records is not None else None


def failed(reason: str, physical_id: str | None = None) -> Answer:
    return Answer(finished=True, failure_reason=reason, physical_id=physical_id)


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
        self._model_factory = model_factory or RekognitionClients()
        self._clock = clock
        self._sleep = sleep

    def handle(
        self,
        event: Mapping[str, Any],
        data: MutableMapping[str, Any],
        *,
        polling: bool,
        remaining_seconds: float,
        polls: RequestPolls | None = None,
        records: ResourceRecords | None = None,
    ) -> Answer:
        """Answer ``event``. ``data`` is crhelper's Data; ``remaining_seconds`` the Lambda's time left.

        ``polls`` sets up polling once the first look has not finished the request (with
        ``data`` complete, before any start) and ends superseded requests; ``records`` is the
        ledger (without it, the owner tags alone say which request of a resource is the latest).
        """
        window = min(self._timing.window_seconds, remaining_seconds - self._timing.reserve_seconds)
        request = _Request(
            event,
            data,
            window,
            first_look=not polling,
            polls=polls,
            records=records,
            lease_until=self._clock() + remaining_seconds,
        )
        try:
            if event["RequestType"] == "Delete":
                return self._delete(request)
            return self._converge(request)
        except RekognitionError as error:  # a tag call failed (the reconciler handles the others)
            return failed(str(error), _registered_id(request))
        except PollingSetupError as error:
            return failed(str(error), _registered_id(request))
        except LedgerError as error:
            if not request.first_look:
                logger.warning("Could not read the handler's ledger (%s); looking again at the next poll", error)
                return PENDING
            return failed(f"Could not reach the handler's ledger (DynamoDB): {error}", _registered_id(request))

    # Create and Update

    def _converge(self, request: _Request) -> Answer:
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
        outcome = self._run(request, model, desired, guard=holding)
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
            return failed(outcome.reason, _registered_id(request))
        released = self._release_abandoned_version(request, spec.version)
        if released is not None and released.result is not Result.DONE:
            if released.result is Result.PENDING:
                return PENDING
            return failed(released.reason or "Stopping the abandoned version was interrupted", None)
        observation = outcome.observation or Observation(status=STOPPED if idle else RUNNING)
        return Answer(finished=True, physical_id=spec.version.arn, attributes=_attributes(spec.version, observation))

    def _superseded(self, request: _Request, record: ResourceRecord | None) -> Answer:
        """A poll whose request is no longer its resource's latest: a later request took over, and
        answers it FAILED (the ledger keeps whichever answer comes first)."""
        later = record.request_type if record is not None and record.request_type else "request"
        logger.info("A later %s of %s has taken over; this request ends", later, request.owner.logical_id)
        return failed(f"Ended by a later {later} of this resource", _registered_id(request))

    def _promotion_refused(self, request: _Request, model: ModelVersionClient, required: float) -> str | None:
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
        request: _Request,
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

    def _release_abandoned_version(self, request: _Request, wanted: ModelVersion) -> Outcome | None:
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
        return self._release(request, model, holds_version=False, end_earlier=request.records is None)

    # Delete

    def _delete(self, request: _Request) -> Answer:
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
        outcome = self._release(request, model, holds_version=holds_version, end_earlier=record is None)
        if outcome.result is Result.PENDING:
            return PENDING
        if outcome.result is Result.FAILED:
            return failed(outcome.reason)
        if request.records is not None and current:
            request.records.record_release(request.owner, request.request_id, version.arn)
        return Answer(finished=True, physical_id=physical_id)

    def _release(
        self, request: _Request, model: ModelVersionClient, *, holds_version: bool, end_earlier: bool = False
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

    def _end_earlier_request(self, request: _Request, earlier_request_id: str, physical_id: str) -> bool:
        """End the resource's earlier request if it is still unanswered; True if it was."""
        if request.polls is None:
            return False
        return request.polls.end_request(
            str(request.event["LogicalResourceId"]),
            earlier_request_id,
            f"Ended by a later {request.request_type} of this resource",
            physical_id,
        )

    # Shared

    def _holding(
        self,
        request: _Request,
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

    def _patiently(self, request: _Request, call: Callable[[], T]) -> T:
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
        request: _Request,
        model: ModelVersionClient,
        desired: Desired,
        *,
        guard: Holding,
        polling_failures: list[PollingSetupError] | None = None,
    ) -> Outcome:
        """Reconcile ``model`` towards ``desired`` within the invocation's window.

        On a first look that does not finish the request, polling is set up before any start or
        stop. Polling that cannot be set up fails the request at once, unless ``polling_failures``
        is given (a release: a stop is worth making all the same): the failure is then added to it.
        """
        data = request.data
        if DEADLINE not in data:
            data[DEADLINE] = self._clock() + self._budget(service_timeout(request.properties))
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


def _registered_id(request: _Request) -> str | None:
    """The id a failed Create answers with: the version ARN once it registered (its rollback Delete
    then stops the model), else None (crhelper's made-up id; an Update keeps its own)."""
    if request.event["RequestType"] != "Create":
        return None
    registered = request.data.get(REGISTERED)
    return str(registered) if registered else None


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
