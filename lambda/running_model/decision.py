"""The heart of the handler: observed model status x desired state -> one action.

Pure: no AWS call, no clock. It implements the lifecycle table of docs/design.md and is used alike
by create, update, delete and every poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS"
TRAINING_COMPLETED = "TRAINING_COMPLETED"
TRAINING_FAILED = "TRAINING_FAILED"
STARTING = "STARTING"
RUNNING = "RUNNING"
FAILED = "FAILED"
STOPPING = "STOPPING"
STOPPED = "STOPPED"
DELETING = "DELETING"
COPYING_IN_PROGRESS = "COPYING_IN_PROGRESS"
COPYING_COMPLETED = "COPYING_COMPLETED"
COPYING_FAILED = "COPYING_FAILED"
DEPRECATED = "DEPRECATED"
EXPIRED = "EXPIRED"

ALL_STATUSES = (
    TRAINING_IN_PROGRESS,
    TRAINING_COMPLETED,
    TRAINING_FAILED,
    STARTING,
    RUNNING,
    FAILED,
    STOPPING,
    STOPPED,
    DELETING,
    COPYING_IN_PROGRESS,
    COPYING_COMPLETED,
    COPYING_FAILED,
    DEPRECATED,
    EXPIRED,
)

_STARTABLE = {TRAINING_COMPLETED, COPYING_COMPLETED, STOPPED}
_IN_PROGRESS = {TRAINING_IN_PROGRESS, COPYING_IN_PROGRESS, STARTING, STOPPING}
_UNUSABLE = {
    TRAINING_FAILED: "its training failed",
    COPYING_FAILED: "its copy failed",
    DEPRECATED: "it is deprecated",
    EXPIRED: "it has expired",
    DELETING: "it is being deleted",
}
# A model in these states is billed (or about to be) and may need stopping.
BILLABLE = frozenset({STARTING, RUNNING})


class Verb(Enum):
    START = "start"
    STOP = "stop"
    WAIT = "wait"
    DONE = "done"
    FAIL = "fail"


@dataclass(frozen=True)
class Observation:
    """What DescribeProjectVersions said. ``status`` None: the version does not exist.

    ``f1_score``: EvaluationResult.F1Score, None while the version has no evaluation.
    """

    status: str | None
    min_units: int | None = None
    max_units: int | None = None
    message: str = ""
    f1_score: float | None = None


@dataclass(frozen=True)
class Desired:
    """RUNNING with these units (``running``), or STOPPED. ``max_units`` None: no auto-scaling."""

    running: bool
    min_units: int = 1
    max_units: int | None = None


STOPPED_STATE = Desired(running=False)


@dataclass(frozen=True)
class Action:
    verb: Verb
    reason: str = ""


def same_units(observed: Observation, desired: Desired) -> bool:
    """True when a model runs with the desired units. No maximum means maximum = minimum."""
    if observed.min_units != desired.min_units:
        return False
    observed_max = observed.max_units if observed.max_units is not None else observed.min_units
    desired_max = desired.max_units if desired.max_units is not None else desired.min_units
    return observed_max == desired_max


def decide(observed: Observation, desired: Desired, *, first_look: bool) -> Action:
    """Choose the next action.

    ``first_look`` is True for the first observation of a CloudFormation request, before this
    handler did anything: a FAILED model is then restarted; seen later, FAILED means the start
    failed.
    """
    if desired.running:
        return _towards_running(observed, desired, first_look)
    return _towards_stopped(observed)


def _towards_running(observed: Observation, desired: Desired, first_look: bool) -> Action:
    status = observed.status
    if status is None:
        return Action(Verb.FAIL, "not found: check the ARN, its region and account")
    if status == RUNNING:
        return Action(Verb.DONE) if same_units(observed, desired) else Action(Verb.STOP)
    if status in _STARTABLE:
        return Action(Verb.START)
    if status in _IN_PROGRESS:
        return Action(Verb.WAIT)
    if status == FAILED:
        if first_look:
            return Action(Verb.START)
        return Action(Verb.FAIL, f"failed to start: {observed.message or 'Rekognition gave no reason'}")
    if status in _UNUSABLE:
        detail = f" ({observed.message})" if observed.message else ""
        return Action(Verb.FAIL, f"cannot run: {_UNUSABLE[status]}{detail}")
    return Action(Verb.FAIL, f"is in status {status}, which this handler does not know")


def _towards_stopped(observed: Observation) -> Action:
    # A STARTING model is billed once it runs: try to stop it now. Rekognition may refuse
    # (ResourceInUseException); the stop is then tried again at the next look.
    if observed.status in BILLABLE:
        return Action(Verb.STOP)
    if observed.status == STOPPING:
        return Action(Verb.WAIT)
    # Missing, never started, failed, stopped, deleting, expired...: nothing runs, nothing is billed.
    return Action(Verb.DONE)
