"""Parse the custom resource's properties, which CloudFormation passes as strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract
from .model_version import ModelVersion
from .reasons import quote

_PROJECT_ARN = re.compile(contract.PROJECT_ARN_PATTERN)


class InvalidPropertiesError(ValueError):
    """One or more properties are wrong; the message names each one and the fix."""


@dataclass(frozen=True)
class ModelSpec:
    """What the stack asks for: this version running with these inference units."""

    version: ModelVersion
    min_units: int
    max_units: int | None
    project_arn: str | None


def parse(properties: Mapping[str, Any]) -> ModelSpec:
    """Validate ResourceProperties; raise InvalidPropertiesError naming every bad property at once.

    Defaults: MinInferenceUnits 1, MaxInferenceUnits none (no auto-scaling), ProjectArn looked
    up by project name, ServiceTimeout 3600 seconds.
    """
    problems: list[str] = []
    raw_arn = properties.get(contract.PROP_PROJECT_VERSION_ARN)
    version = ModelVersion.from_arn(raw_arn)
    if raw_arn in (None, ""):
        problems.append(f"{contract.PROP_PROJECT_VERSION_ARN} is missing: give the ARN of the model version to run")
    elif version is None:
        problems.append(
            f"{contract.PROP_PROJECT_VERSION_ARN} {quote(raw_arn)} is not a model version ARN "
            "(arn:aws:rekognition:<region>:<account>:project/<name>/version/<version>/<timestamp>)"
        )
    min_units = _whole_number(properties, contract.PROP_MIN_INFERENCE_UNITS, default=1, floor=1, problems=problems)
    max_units = _whole_number(properties, contract.PROP_MAX_INFERENCE_UNITS, default=None, floor=1, problems=problems)
    if min_units is not None and max_units is not None and max_units < min_units:
        problems.append(
            f"{contract.PROP_MAX_INFERENCE_UNITS} ({max_units}) is below {contract.PROP_MIN_INFERENCE_UNITS} "
            f"({min_units}): raise it or leave it out"
        )
    project_arn = _project_arn(properties.get(contract.PROP_PROJECT_ARN), version, problems)
    service_timeout(properties, problems)  # checked with the rest; the lifecycle reads it when it sets the deadline
    if problems or version is None or min_units is None:
        raise InvalidPropertiesError("Invalid properties: " + "; ".join(problems))
    return ModelSpec(version, min_units, max_units, project_arn)


def service_timeout(properties: Mapping[str, Any], problems: list[str] | None = None) -> int:
    """ServiceTimeout in seconds. Default: CloudFormation's own, 3600."""
    found = _whole_number(
        properties,
        contract.PROP_SERVICE_TIMEOUT,
        default=contract.SERVICE_TIMEOUT_MAX_SECONDS,
        floor=1,
        ceiling=contract.SERVICE_TIMEOUT_MAX_SECONDS,
        problems=problems if problems is not None else [],
    )
    return found if found is not None else contract.SERVICE_TIMEOUT_MAX_SECONDS


def project_arn_for(properties: Mapping[str, Any], version: ModelVersion) -> str | None:
    """ProjectArn when it is given and belongs to ``version``; None otherwise (it is then looked up)."""
    return _project_arn(properties.get(contract.PROP_PROJECT_ARN), version, [])


def _project_arn(raw: object, version: ModelVersion | None, problems: list[str]) -> str | None:
    if raw in (None, ""):
        return None
    match = _PROJECT_ARN.match(raw) if isinstance(raw, str) else None
    if not match:
        problems.append(
            f"{contract.PROP_PROJECT_ARN} {quote(raw)} is not a project ARN "
            "(arn:aws:rekognition:<region>:<account>:project/<name>/<timestamp>); leave it out to look it up"
        )
        return None
    if version and (match["project"], match["region"], match["account"]) != (
        version.project,
        version.region,
        version.account,
    ):
        problems.append(
            f"{contract.PROP_PROJECT_ARN} names project {match['project']!r} in {match['region']}, "
            f"but the model version belongs to {version.project!r} in {version.region}: fix it or leave it out"
        )
        return None
    return str(raw)


def _whole_number(
    properties: Mapping[str, Any],
    name: str,
    *,
    default: int | None,
    floor: int,
    problems: list[str],
    ceiling: int | None = None,
) -> int | None:
    raw = properties.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    allowed = f"a whole number from {floor} to {ceiling}" if ceiling else f"a whole number of at least {floor}"
    if isinstance(raw, bool) or not re.fullmatch(r"[+-]?\d+", text):
        problems.append(f"{name} must be {allowed}, got {quote(raw)}")
        return None
    value = int(text)
    if value < floor or (ceiling is not None and value > ceiling):
        problems.append(f"{name} must be {allowed}, got {value}")
        return None
    return value
