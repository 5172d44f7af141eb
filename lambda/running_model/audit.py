"""Every Custom Labels model version in a region, who keeps it running, and a verdict on it.

One survey serves the ``running-model status`` command and the RunningModelGuard's schedule. It
reads only: DescribeProjects and DescribeProjectVersions (paginated), ListTagsForResource per
version, and CloudFormation for each owner (stacks.py). The verdicts:

- ``declared``: an owner that is not stale wants the version running;
- ``idle``: it has owners that are not stale, and none wants it running now;
- ``FORGOTTEN``: it is running (or starting), it has owners, and every one is stale;
- ``UNMANAGED``: it is running (or starting), with no owner at all;
- ``stopped``: it is not running, and no owner that is not stale holds it.

An owner CloudFormation gives no certain answer about (unknown) counts as live: the survey never
calls a model forgotten from an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .model_version import ModelVersion
from .ownership import Owner, is_idle, label_of, owners
from .stacks import LIVE, STALE, UNKNOWN, StackLookups, Standing

DECLARED = "declared"
IDLE = "idle"
FORGOTTEN = "FORGOTTEN"
UNMANAGED = "UNMANAGED"
STOPPED = "stopped"
# The verdicts that mean a model is billed and nobody will ever stop it.
ALARMING = (FORGOTTEN, UNMANAGED)
# Statuses in which a version is billed (or about to be) by the inference-unit-hour.
BILLED_STATUSES = frozenset({"STARTING", "RUNNING"})
HOURS_A_DAY = 24
# The version of the JSON shape (``VersionReport.as_json``); raised only when a key changes meaning or goes.
JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class OwnerReport:
    """One owner tag on a version: who it names, whether it wants the version running, whether it is live."""

    key: str
    label: str  # "stack name/logical id", or "" when the tag names none
    stack_id: str | None  # the full StackId, when the tag locates it for certain
    logical_id: str | None
    wants_running: bool
    standing: Standing

    @property
    def stale(self) -> bool:
        return self.standing.state == STALE

    def as_json(self) -> dict[str, Any]:
        stack_name = self.label.split("/", 1)[0] if self.label else None
        return {
            "tag": self.key,
            "stack": stack_name,
            "stackId": self.stack_id,
            "logicalId": self.logical_id,
            "wants": "running" if self.wants_running else "idle",
            "standing": self.standing.state,
            "reason": self.standing.reason,
        }


@dataclass(frozen=True)
class VersionReport:
    """One model version: where it is, how it runs, its owners and the verdict on it."""

    project: str
    version: str
    arn: str
    status: str
    min_units: int | None
    max_units: int | None
    owners: tuple[OwnerReport, ...]

    @property
    def billed(self) -> bool:
        return self.status in BILLED_STATUSES

    @property
    def verdict(self) -> str:
        standing = [owner for owner in self.owners if not owner.stale]
        if any(owner.wants_running for owner in standing):
            return DECLARED
        if standing:
            return IDLE
        if not self.billed:
            return STOPPED
        return FORGOTTEN if self.owners else UNMANAGED

    @property
    def unit_hours_per_day(self) -> float:
        """Inference-unit-hours a day at its current (minimum) units while billed; 0 otherwise."""
        return float((self.min_units or 0) * HOURS_A_DAY) if self.billed else 0.0

    def as_json(self, price_per_unit_hour: float | None = None) -> dict[str, Any]:
        """The documented JSON shape of one version (README, "running-model status --json")."""
        cost = None if price_per_unit_hour is None else round(self.unit_hours_per_day * price_per_unit_hour, 2)
        return {
            "project": self.project,
            "version": self.version,
            "arn": self.arn,
            "status": self.status,
            "minInferenceUnits": self.min_units,
            "maxInferenceUnits": self.max_units,
            "verdict": self.verdict,
            "unitHoursPerDay": self.unit_hours_per_day,
            "costPerDay": cost,
            "owners": [owner.as_json() for owner in self.owners],
        }


def survey(
    rekognition: Any,
    stacks: StackLookups,
    *,
    project: str | None = None,
    running_only: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[VersionReport]:
    """Every Custom Labels model version in ``rekognition``'s region (of ``project`` alone when named;
    only the billed ones when ``running_only``), in project and version order. ``progress`` is told
    how many versions have been read so far."""
    reports: list[VersionReport] = []
    for description in _versions(rekognition, project):
        status = str(description.get("Status", ""))
        if running_only and status not in BILLED_STATUSES:
            continue
        version = ModelVersion.from_arn(description["ProjectVersionArn"])
        if version is None:  # not a model version's ARN: Rekognition lists none such
            continue
        tags = _tags(rekognition, version.arn)
        if tags is None:
            continue
        reports.append(
            VersionReport(
                project=version.project,
                version=version.version,
                arn=version.arn,
                status=status,
                min_units=description.get("MinInferenceUnits"),
                max_units=description.get("MaxInferenceUnits"),
                owners=tuple(_owner_report(key, value, version, stacks) for key, value in sorted(owners(tags).items())),
            )
        )
        if progress is not None:
            progress(len(reports))
    return sorted(reports, key=lambda report: (report.project, report.version))


def _tags(rekognition: Any, arn: str) -> dict[str, str] | None:
    """The version's tags; None when it was deleted since it was listed."""
    try:
        return dict(rekognition.list_tags_for_resource(ResourceArn=arn).get("Tags", {}))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def _versions(rekognition: Any, project: str | None) -> Iterator[dict[str, Any]]:
    projects = rekognition.get_paginator("describe_projects")
    names = {"ProjectNames": [project]} if project else {}
    for page in projects.paginate(**names):
        for description in page.get("ProjectDescriptions", []):
            versions = rekognition.get_paginator("describe_project_versions")
            for versions_page in versions.paginate(ProjectArn=description["ProjectArn"]):
                yield from versions_page.get("ProjectVersionDescriptions", [])


def _owner_report(key: str, value: str, version: ModelVersion, stacks: StackLookups) -> OwnerReport:
    label = label_of(value)
    owner = Owner.registered(key, value, version.arn) or _found_by_name(key, label, version.region, stacks)
    if owner is None:
        standing = Standing(UNKNOWN, "the registration does not locate its stack (made by an older handler)")
    else:
        standing = stacks.standing(owner)
    return OwnerReport(
        key=key,
        label=label,
        stack_id=owner.stack_id if owner else None,
        logical_id=owner.logical_id if owner else None,
        wants_running=not is_idle(value),
        standing=standing,
    )


def _found_by_name(key: str, label: str, region: str, stacks: StackLookups) -> Owner | None:
    """A registration without the stack's locator: the live stack of its label's name in ``region`` (the
    version's), if that stack and the label's logical id hash to the tag's key (else None)."""
    if "/" not in label:
        return None
    stack_name, logical_id = label.split("/", 1)
    stack_id = stacks.find_by_name(stack_name, region)
    if stack_id is None:
        return None
    owner = Owner(stack_id, logical_id)
    return owner if owner.key == key else None


__all__ = [
    "ALARMING",
    "DECLARED",
    "FORGOTTEN",
    "IDLE",
    "JSON_SCHEMA_VERSION",
    "LIVE",
    "STALE",
    "STOPPED",
    "UNKNOWN",
    "UNMANAGED",
    "OwnerReport",
    "VersionReport",
    "survey",
]
