"""Parse the custom resource's properties, which CloudFormation passes as strings."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import contract
from .model_version import ModelVersion
from .reasons import quote
from .windows import Schedule

_PROJECT_ARN = re.compile(contract.PROJECT_ARN_PATTERN)
# CloudFormation's own property of every custom resource (CDK writes it from RunningModel's timeout).
SERVICE_TIMEOUT = "ServiceTimeout"


class InvalidPropertiesError(ValueError):
    """One or more properties are wrong; the message names each one and the fix."""


@dataclass(frozen=True)
class ModelSpec:
    """What the stack asks for: this version running with these inference units."""

    version: ModelVersion
    min_units: int
    max_units: int | None
    project_arn: str | None
    min_f1_score: float | None = None
    schedule: Schedule | None = None


def parse(properties: Mapping[str, Any]) -> ModelSpec:
    """Validate ResourceProperties; raise InvalidPropertiesError naming every bad property at once.

    Defaults: MinInferenceUnits 1, MaxInferenceUnits none (no auto-scaling), ProjectArn looked
    up by project name, MinF1Score none (no promotion gate), Schedule none (running all the time),
    ServiceTimeout 3600 seconds.
    """
    problems: list[str] = []
    raw_arn = properties.get(contract.PROP_PROJECT_VERSION_ARN)
    version = ModelVersion.from_arn(raw_arn)
    if raw_arn in (None, ""):
        problems.append(problem(contract.PROP_PROJECT_VERSION_ARN, "nothing", "the ARN of the model version to run"))
    elif version is None:
        problems.append(problem(contract.PROP_PROJECT_VERSION_ARN, quote(raw_arn), contract.PROJECT_VERSION_ARN_SHAPE))
    min_units = _whole_number(
        properties,
        contract.PROP_MIN_INFERENCE_UNITS,
        default=1,
        floor=contract.MIN_INFERENCE_UNITS_FLOOR,
        problems=problems,
    )
    max_units = _whole_number(
        properties,
        contract.PROP_MAX_INFERENCE_UNITS,
        default=None,
        floor=contract.MIN_INFERENCE_UNITS_FLOOR,
        problems=problems,
    )
    if min_units is not None and max_units is not None and max_units < min_units:
        problems.append(
            problem(
                contract.PROP_MAX_INFERENCE_UNITS,
                str(max_units),
                f"at least {contract.PROP_MIN_INFERENCE_UNITS} ({min_units}), or leave it out for no auto-scaling",
            )
        )
    project_arn = _project_arn(properties.get(contract.PROP_PROJECT_ARN), version, problems)
    min_f1_score = _min_f1_score(properties.get(contract.PROP_MIN_F1_SCORE), problems)
    schedule = _schedule(properties.get(contract.PROP_SCHEDULE), problems)
    service_timeout(properties, problems)  # checked with the rest; the lifecycle reads it when it sets the deadline
    if problems or version is None or min_units is None:
        raise InvalidPropertiesError("Invalid properties: " + "; ".join(problems))
    return ModelSpec(version, min_units, max_units, project_arn, min_f1_score, schedule)


def service_timeout(properties: Mapping[str, Any], problems: list[str] | None = None) -> int:
    """ServiceTimeout in seconds. Default: CloudFormation's own, 3600."""
    found = _whole_number(
        properties,
        SERVICE_TIMEOUT,
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
            problem(
                contract.PROP_PROJECT_ARN, quote(raw), f"{contract.PROJECT_ARN_SHAPE}, or leave it out to look it up"
            )
        )
        return None
    if version and (match["project"], match["region"], match["account"]) != (
        version.project,
        version.region,
        version.account,
    ):
        problems.append(
            problem(
                contract.PROP_PROJECT_ARN,
                quote(raw),
                f"the project of {contract.PROP_PROJECT_VERSION_ARN} "
                f"(project {version.project!r} in {version.region}, account {version.account}), or leave it out",
            )
        )
        return None
    return str(raw)


def _schedule(raw: object, problems: list[str]) -> Schedule | None:
    if raw is None or raw == "":
        return None
    try:
        return Schedule.from_property(raw)
    except ValueError as error:
        problems.append(f"{contract.PROP_SCHEDULE}: {error}")
        return None


def _min_f1_score(raw: object, problems: list[str]) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(str(raw).strip()) if not isinstance(raw, bool) else math.nan
    except ValueError:
        value = math.nan
    if not 0 < value <= 1:  # also refuses nan
        problems.append(problem(contract.PROP_MIN_F1_SCORE, quote(raw), contract.MIN_F1_SCORE_SHAPE))
        return None
    return value


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
        problems.append(problem(name, quote(raw), allowed))
        return None
    value = int(text)
    if value < floor or (ceiling is not None and value > ceiling):
        problems.append(problem(name, str(value), allowed))
        return None
    return value


def problem(name: str, received: str, expected: str) -> str:
    """One problem, worded as the construct words it at synth time."""
    return contract.PROBLEM_FORMAT.format(name=name, received=received, expected=expected)
