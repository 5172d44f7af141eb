"""Synth-time checks of RunningModel's properties: every problem at once, tokens skipped."""

from __future__ import annotations

import math
import re

from aws_cdk import Duration, Token

from . import contract

_VERSION_ARN = re.compile(contract.PROJECT_VERSION_ARN_PATTERN)
_PROJECT_ARN = re.compile(contract.PROJECT_ARN_PATTERN)
_VERSION_ARN_SHAPE = "arn:<partition>:rekognition:<region>:<account>:project/<name>/version/<version>/<timestamp>"
_PROJECT_ARN_SHAPE = "arn:<partition>:rekognition:<region>:<account>:project/<name>/<timestamp>"


def problems_with(
    *,
    project_version_arn: str,
    min_inference_units: float,
    max_inference_units: float | None,
    project_arn: str | None,
    timeout: Duration,
) -> list[str]:
    """One line per problem: the property, what it received, what is allowed."""
    problems: list[str] = []
    version = None
    if not Token.is_unresolved(project_version_arn):
        version = _VERSION_ARN.match(project_version_arn or "")
        if not version:
            problems.append(f"project_version_arn: received {project_version_arn!r}; expected {_VERSION_ARN_SHAPE}")
    min_ok = _whole_number(
        problems, "min_inference_units", min_inference_units, floor=contract.MIN_INFERENCE_UNITS_FLOOR
    )
    if max_inference_units is not None:
        max_ok = _whole_number(
            problems, "max_inference_units", max_inference_units, floor=contract.MIN_INFERENCE_UNITS_FLOOR
        )
        if min_ok and max_ok and max_inference_units < min_inference_units:
            problems.append(
                f"max_inference_units: received {max_inference_units}; expected at least min_inference_units "
                f"({min_inference_units}), or leave it out for no auto-scaling"
            )
    if project_arn is not None and not Token.is_unresolved(project_arn):
        project = _PROJECT_ARN.match(project_arn)
        if not project:
            problems.append(f"project_arn: received {project_arn!r}; expected {_PROJECT_ARN_SHAPE}, or leave it out")
        elif version and (project["project"], project["region"], project["account"]) != (
            version["project"],
            version["region"],
            version["account"],
        ):
            problems.append(
                f"project_arn: received {project_arn!r}; expected the project of project_version_arn "
                f"(project {version['project']!r} in {version['region']}, account {version['account']})"
            )
    if not timeout.is_unresolved():
        seconds = timeout.to_milliseconds() / 1000
        if not contract.SERVICE_TIMEOUT_MIN_SECONDS <= seconds <= contract.SERVICE_TIMEOUT_MAX_SECONDS:
            problems.append(
                f"timeout: received {timeout.to_human_string()}; expected "
                f"{contract.SERVICE_TIMEOUT_MIN_SECONDS // 60} to {contract.SERVICE_TIMEOUT_MAX_SECONDS // 60} minutes "
                "(CloudFormation waits at most 60 minutes for a custom resource)"
            )
    return problems


def _whole_number(problems: list[str], name: str, value: float, *, floor: int) -> bool:
    if Token.is_unresolved(value):
        return False
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
        or value < floor
    ):
        problems.append(f"{name}: received {value!r}; expected a whole number of at least {floor}")
        return False
    return True
