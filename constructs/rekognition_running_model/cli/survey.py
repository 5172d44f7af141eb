"""The handler's survey and remedies (audit.py, remedies.py, stacks.py), as this package types them.

They are installed with the library as ``rekognition_running_model.handler_src``, which mypy does not
see (the handler is checked apart, and not strictly): these Protocols say what the command uses of
them, and tests/cli holds the two to each other by running the command on the real ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

from rekognition_running_model.handler_src.running_model import audit, remedies, stacks


class Standing(Protocol):
    """What CloudFormation says of an owner: ``state`` is live, stale or unknown; ``reason`` is for people."""

    @property
    def state(self) -> str: ...

    @property
    def reason(self) -> str: ...


class OwnerReport(Protocol):
    """One owner tag on a version (audit.OwnerReport)."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def wants_running(self) -> bool: ...

    @property
    def standing(self) -> Standing: ...


class VersionReport(Protocol):
    """One model version and the verdict on it (audit.VersionReport)."""

    @property
    def project(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def arn(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def min_units(self) -> int | None: ...

    @property
    def max_units(self) -> int | None: ...

    @property
    def owners(self) -> Sequence[OwnerReport]: ...

    @property
    def billed(self) -> bool: ...

    @property
    def verdict(self) -> str: ...

    @property
    def unit_hours_per_day(self) -> float: ...

    def as_json(self, price_per_unit_hour: float | None = None) -> dict[str, Any]: ...


class ReleasePlan(Protocol):
    """What a release will do (remedies.ReleasePlan)."""

    def describe(self) -> list[str]: ...


class Outcome(Protocol):
    """What was done, one line each for people, in the order done (remedies.Outcome)."""

    @property
    def done(self) -> list[str]: ...


DECLARED: str = audit.DECLARED
IDLE: str = audit.IDLE
FORGOTTEN: str = audit.FORGOTTEN
UNMANAGED: str = audit.UNMANAGED
STOPPED: str = audit.STOPPED
ALARMING: tuple[str, ...] = audit.ALARMING
LIVE: str = stacks.LIVE
STALE: str = stacks.STALE
UNKNOWN: str = stacks.UNKNOWN
JSON_SCHEMA_VERSION: int = audit.JSON_SCHEMA_VERSION
ReleaseRefusedError: type[Exception] = remedies.ReleaseRefusedError


def survey(
    rekognition: Any,
    cloudformation_for: Callable[[str], Any],
    *,
    project: str | None = None,
    running_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[VersionReport]:
    """audit.survey, asking CloudFormation through ``cloudformation_for(region)``: every version of the
    region (of ``project`` alone when named; the billed ones alone when ``running_only``)."""
    found = audit.survey(
        rekognition,
        stacks.StackLookups(cloudformation_for),
        project=project,
        running_only=running_only,
        progress=progress,
    )
    return cast("list[VersionReport]", found)


def plan_release(report: VersionReport, owner: str, *, force: bool = False) -> ReleasePlan:
    """remedies.plan_release: ReleaseRefusedError for a live or unknown ``owner`` unless ``force``, or no such owner."""
    return cast("ReleasePlan", remedies.plan_release(report, owner, force=force))


def new_outcome() -> Outcome:
    """An empty remedies.Outcome, for carry_out to fill."""
    return cast("Outcome", remedies.Outcome())


def carry_out(rekognition: Any, plan: ReleasePlan, outcome: Outcome) -> None:
    """remedies.carry_out: stop first when planned (unless an owner registered since wants it), then untag;
    ``outcome.done`` says what was done, also when it fails part way."""
    remedies.carry_out(rekognition, plan, outcome)
