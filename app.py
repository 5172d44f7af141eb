#!/usr/bin/env python3
"""Example app: a stack that keeps the Rekognition Custom Labels models named in CDK context running.

With no context it uses a made-up example model, so ``cdk synth`` works without an AWS account:

    npx cdk synth
    npx cdk deploy -c project_version_arn=arn:aws:rekognition:...:project/p/version/v/1 -c min_inference_units=2

or list several models in cdk.json under "context": {"models": [{"id": ..., "project_version_arn": ...}]}.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from constructs import Construct

# constructs/ is a source root (not a package: see docs/design.md); make its library importable.
sys.path.insert(0, str(Path(__file__).resolve().parent / "constructs"))

from rekognition_running_model import RunningModel, RunningSchedule, RunningWindow  # noqa: E402

EXAMPLE_MODEL: Mapping[str, Any] = {
    "id": "ExampleModel",
    "project_version_arn": (
        "arn:aws:rekognition:eu-west-1:111122223333:project/example-widgets/version/"
        "example-widgets.2026-01-05T10.00.00/1767607200000"
    ),
}
_NUMBERS = ("min_inference_units", "max_inference_units", "timeout_minutes", "repair_every_minutes")
_FRACTIONS = ("min_f1_score",)
_KEYS = ("id", "project_version_arn", "project_arn", "schedule", *_NUMBERS, *_FRACTIONS)


def models_from_context(node: Any) -> list[dict[str, Any]]:
    """The models to run: ``-c project_version_arn=...`` (with optional ``-c min_inference_units=``,
    ``max_inference_units``, ``project_arn``, ``timeout_minutes``, ``min_f1_score``,
    ``repair_every_minutes``), else the ``models`` list, else the example model. A model's
    ``schedule`` is ``{"time_zone": ..., "windows": [{"days": "MON-FRI", "start": "08:00", "end": "18:00"}]}``,
    or in cron ``{"time_zone": ..., "start": "cron(0 8 ? * MON-FRI *)", "stop": "cron(0 18 ? * MON-FRI *)"}``."""
    single = {key: node.try_get_context(key) for key in _KEYS if node.try_get_context(key) is not None}
    if "project_version_arn" in single:
        models = [{"id": "Model", **single}]
    else:
        models = node.try_get_context("models") or [dict(EXAMPLE_MODEL)]
    return [_typed(model, index) for index, model in enumerate(models)]


def _typed(model: Mapping[str, Any], index: int) -> dict[str, Any]:
    unknown = set(model) - set(_KEYS)
    if unknown:
        raise ValueError(f"models[{index}]: unknown keys {sorted(unknown)}; allowed: {list(_KEYS)}")
    typed = dict(model)
    typed.setdefault("id", f"Model{index + 1}")
    for key in _NUMBERS:
        if key in typed:
            try:
                typed[key] = int(typed[key])  # -c values arrive as strings
            except (TypeError, ValueError):
                raise ValueError(f"{key}: received {typed[key]!r}; expected a whole number") from None
    if "schedule" in typed:
        schedule = typed["schedule"]
        if "start" in schedule or "stop" in schedule:
            typed["schedule"] = RunningSchedule.cron(
                start=schedule.get("start"), stop=schedule.get("stop"), time_zone=schedule.get("time_zone", "UTC")
            )
        else:
            typed["schedule"] = RunningSchedule(
                windows=[RunningWindow(**window) for window in schedule.get("windows", [])],
                time_zone=schedule.get("time_zone", "UTC"),
            )
    for key in _FRACTIONS:
        if key in typed:
            try:
                typed[key] = float(typed[key])
            except (TypeError, ValueError):
                raise ValueError(f"{key}: received {typed[key]!r}; expected a number") from None
    return typed


class RunningModelExampleStack(cdk.Stack):
    """One RunningModel per configured model, with its ARN and status as outputs."""

    def __init__(self, scope: Construct, id: str, *, models: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        for settings in models:
            options = dict(settings)
            model_id = options.pop("id")
            for key, prop in (("timeout_minutes", "timeout"), ("repair_every_minutes", "repair_every")):
                minutes = options.pop(key, None)
                if minutes is not None:
                    options[prop] = cdk.Duration.minutes(minutes)
            model = RunningModel(self, model_id, **options)
            cdk.CfnOutput(self, f"{model_id}Arn", value=model.project_version_arn)
            cdk.CfnOutput(self, f"{model_id}Status", value=model.status)


def main() -> None:
    app = cdk.App()
    RunningModelExampleStack(app, "RunningModelExample", models=models_from_context(app.node))
    app.synth()


if __name__ == "__main__":
    main()
