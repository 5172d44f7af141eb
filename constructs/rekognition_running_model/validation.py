"""Synth-time checks of RunningModel's properties: every problem at once, tokens skipped."""

from __future__ import annotations

import math
import re

from aws_cdk import Duration, Token

from . import contract

# Shorter timeouts leave the handler no time to look, clean up and answer: it gives up 90 s before.
SERVICE_TIMEOUT_MIN_SECONDS = 300
REPAIR_EVERY_MAX_MINUTES = 1440
# The RunningModelGuard's schedule: a run every 5 minutes at most often (a survey of a large account
# takes a while), once a day at least (its alarms look back over two runs).
GUARD_EVERY_MIN_MINUTES = 5
GUARD_EVERY_MAX_MINUTES = 1440
_VERSION_ARN = re.compile(contract.PROJECT_VERSION_ARN_PATTERN)
_PROJECT_ARN = re.compile(contract.PROJECT_ARN_PATTERN)


def problems_with(
    *,
    project_version_arn: str,
    min_inference_units: float,
    max_inference_units: float | None,
    project_arn: str | None,
    timeout: Duration,
    min_f1_score: float | None = None,
    repair_every: Duration | None = None,
) -> list[str]:
    """One line per problem: the property, what it received, what is allowed."""
    problems = problems_with_arn(project_version_arn)
    version = None if Token.is_unresolved(project_version_arn) else _VERSION_ARN.match(project_version_arn or "")
    min_ok = _whole_number(
        problems, "min_inference_units", min_inference_units, floor=contract.MIN_INFERENCE_UNITS_FLOOR
    )
    if max_inference_units is not None:
        max_ok = _whole_number(
            problems, "max_inference_units", max_inference_units, floor=contract.MIN_INFERENCE_UNITS_FLOOR
        )
        if min_ok and max_ok and max_inference_units < min_inference_units:
            problems.append(
                problem(
                    "max_inference_units",
                    str(max_inference_units),
                    f"at least min_inference_units ({min_inference_units}), or leave it out for no auto-scaling",
                )
            )
    if project_arn is not None and not Token.is_unresolved(project_arn):
        project = _PROJECT_ARN.match(project_arn)
        if not project:
            problems.append(problem("project_arn", repr(project_arn), f"{contract.PROJECT_ARN_SHAPE}, or leave it out"))
        elif version and (project["project"], project["region"], project["account"]) != (
            version["project"],
            version["region"],
            version["account"],
        ):
            problems.append(
                problem(
                    "project_arn",
                    repr(project_arn),
                    "the project of project_version_arn "
                    f"(project {version['project']!r} in {version['region']}, account {version['account']})",
                )
            )
    if min_f1_score is not None and not Token.is_unresolved(min_f1_score):
        number = isinstance(min_f1_score, (int, float)) and not isinstance(min_f1_score, bool)
        if not number or not 0 < min_f1_score <= 1:
            problems.append(problem("min_f1_score", repr(min_f1_score), contract.MIN_F1_SCORE_SHAPE))
    if repair_every is not None and not repair_every.is_unresolved():
        minutes = repair_every.to_seconds() / 60
        if minutes != int(minutes) or not 1 <= minutes <= REPAIR_EVERY_MAX_MINUTES:
            problems.append(
                problem(
                    "repair_every",
                    repair_every.to_human_string(),
                    f"whole minutes from 1 to {REPAIR_EVERY_MAX_MINUTES} (1 day), e.g. Duration.minutes(15)",
                )
            )
    if not timeout.is_unresolved():
        seconds = timeout.to_milliseconds() / 1000
        if not SERVICE_TIMEOUT_MIN_SECONDS <= seconds <= contract.SERVICE_TIMEOUT_MAX_SECONDS:
            problems.append(
                problem(
                    "timeout",
                    timeout.to_human_string(),
                    f"{SERVICE_TIMEOUT_MIN_SECONDS // 60} to {contract.SERVICE_TIMEOUT_MAX_SECONDS // 60} "
                    "minutes (CloudFormation waits at most 60 minutes for a custom resource)",
                )
            )
    return problems


def guard_problems(*, every: object, stop_forgotten: object, stop_unmanaged: object) -> list[str]:
    """The RunningModelGuard's problems, one line each: the property, what it received, what is allowed."""
    problems = []
    if not isinstance(every, Duration) or every.is_unresolved():
        problems.append(problem("every", repr(every), "a Duration of whole minutes, e.g. Duration.hours(1)"))
    else:
        minutes = every.to_milliseconds() / 60_000
        if minutes != int(minutes) or not GUARD_EVERY_MIN_MINUTES <= minutes <= GUARD_EVERY_MAX_MINUTES:
            problems.append(
                problem(
                    "every",
                    every.to_human_string(),
                    f"whole minutes from {GUARD_EVERY_MIN_MINUTES} to {GUARD_EVERY_MAX_MINUTES} (1 day), "
                    "e.g. Duration.hours(1) or Duration.minutes(15)",
                )
            )
    for name, value in (("stop_forgotten", stop_forgotten), ("stop_unmanaged", stop_unmanaged)):
        if not isinstance(value, bool):
            problems.append(problem(name, repr(value), "True or False"))
    return problems


def problems_with_arn(project_version_arn: str) -> list[str]:
    """The problem with ``project_version_arn`` when it is concrete and not a model version ARN."""
    if Token.is_unresolved(project_version_arn) or _VERSION_ARN.match(project_version_arn or ""):
        return []
    return [problem("project_version_arn", repr(project_version_arn), contract.PROJECT_VERSION_ARN_SHAPE)]


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
        problems.append(problem(name, repr(value), f"a whole number of at least {floor}"))
        return False
    return True


def problem(name: str, received: str, expected: str) -> str:
    """One problem, worded as the handler words it in a FAILED answer."""
    return contract.PROBLEM_FORMAT.format(name=name, received=received, expected=expected)
