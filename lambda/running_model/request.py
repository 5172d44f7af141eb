"""A CloudFormation request as the lifecycle sees it in one invocation, and what it answers.

Keys kept in crhelper's Data between polls (Data is reloaded from the poll rule's Input at every
poll, so only what the first invocation stored survives):

- ``Deadline``: when this request gives up (epoch seconds).
- ``ProjectArn``: the project's ARN once looked up, to spare DescribeProjects on every poll.
- ``Registered``: the version this request registered its resource on (so a failed Create
  answers with its ARN).
- ``Releasing``: the version this request releases (its first look found the resource registered).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import contract
from .decision import RUNNING, Observation
from .ledger import ResourceRecord
from .model_version import ModelVersion
from .ownership import Owner

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


def failed(reason: str, physical_id: str | None = None) -> Answer:
    return Answer(finished=True, failure_reason=reason, physical_id=physical_id)


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
class Request:
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


def registered_id(request: Request) -> str | None:
    """The id a failed Create answers with: the version ARN once it registered (its rollback Delete
    then stops the model), else None (crhelper's made-up id; an Update keeps its own)."""
    if request.event["RequestType"] != "Create":
        return None
    registered = request.data.get(REGISTERED)
    return str(registered) if registered else None


def attributes(version: ModelVersion, observation: Observation | None) -> dict[str, str]:
    observed = observation or Observation(status=RUNNING)
    min_units = observed.min_units
    max_units = observed.max_units if observed.max_units is not None else min_units
    return {
        contract.ATTR_PROJECT_VERSION_ARN: version.arn,
        contract.ATTR_STATUS: observed.status or "",
        contract.ATTR_MIN_INFERENCE_UNITS: "" if min_units is None else str(min_units),
        contract.ATTR_MAX_INFERENCE_UNITS: "" if max_units is None else str(max_units),
    }
