"""Synth-time validation: every concrete problem named at once, tokens let through."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from rekognition_running_model import RunningModel

from support.testdata import project_arn, version_arn


def declare(**props: Any) -> RunningModel:
    return RunningModel(cdk.Stack(cdk.App(), "Test"), "Model", **props)


@pytest.mark.parametrize(
    "props, message",
    [
        (
            {"project_version_arn": "arn:aws:s3:::bucket"},
            "project_version_arn: received 'arn:aws:s3:::bucket'; expected arn:<partition>:rekognition:",
        ),
        ({"project_version_arn": project_arn()}, "project_version_arn: received"),
        ({"project_version_arn": ""}, "project_version_arn: received ''"),
        (
            {"project_version_arn": version_arn(), "min_inference_units": 0},
            "min_inference_units: received 0; expected a whole number of at least 1",
        ),
        ({"project_version_arn": version_arn(), "min_inference_units": 1.5}, "min_inference_units: received 1.5"),
        ({"project_version_arn": version_arn(), "max_inference_units": 0}, "max_inference_units: received 0"),
        (
            {"project_version_arn": version_arn(), "min_inference_units": 3, "max_inference_units": 2},
            "max_inference_units: received 2; expected at least min_inference_units (3)",
        ),
        (
            {"project_version_arn": version_arn(), "project_arn": "widgets"},
            "project_arn: received 'widgets'; expected arn:",
        ),
        (
            {"project_version_arn": version_arn(), "project_arn": project_arn("gadgets")},
            f"project_arn: received {project_arn('gadgets')!r}; expected the project of project_version_arn "
            "(project 'widgets' in eu-west-1, account 111122223333)",
        ),
        (
            {"project_version_arn": version_arn(), "project_arn": project_arn(region="us-east-1")},
            "expected the project of project_version_arn",
        ),
        (
            {"project_version_arn": version_arn(), "timeout": cdk.Duration.minutes(61)},
            "timeout: received 1 hour 1 minute; expected 5 to 60 minutes",
        ),
        (
            {"project_version_arn": version_arn(), "timeout": cdk.Duration.minutes(2)},
            "timeout: received 2 minutes; expected 5 to 60 minutes",
        ),
        (
            {"project_version_arn": version_arn(), "min_f1_score": 90},
            "min_f1_score: received 90; expected a number above 0 and at most 1",
        ),
        ({"project_version_arn": version_arn(), "min_f1_score": 0}, "min_f1_score: received 0; expected a number"),
        ({"project_version_arn": version_arn(), "min_f1_score": "0.9"}, "min_f1_score: received '0.9'; expected"),
    ],
)
def test_each_bad_property_is_named_with_what_it_received_and_what_is_allowed(
    props: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        declare(**props)
    assert message in str(raised.value)
    assert "RunningModel Test/Model: invalid properties" in str(raised.value)


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(ValueError) as raised:
        declare(
            project_version_arn="nope", min_inference_units=0, max_inference_units=-1, timeout=cdk.Duration.hours(2)
        )
    lines = str(raised.value).splitlines()
    assert [line.split(":")[0].strip(" -") for line in lines[1:]] == [
        "project_version_arn",
        "min_inference_units",
        "max_inference_units",
        "timeout",
    ]


def test_nothing_is_created_when_validation_fails() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    with pytest.raises(ValueError):
        RunningModel(stack, "Model", project_version_arn="nope")
    assert stack.node.try_find_child("RekognitionRunningModelHandler") is None


def test_tokens_pass_through_unchecked() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    arn = cdk.CfnParameter(stack, "Arn").value_as_string
    units = cdk.CfnParameter(stack, "Units", type="Number").value_as_number
    project = cdk.CfnParameter(stack, "Project").value_as_string
    RunningModel(
        stack,
        "Model",
        project_version_arn=arn,
        min_inference_units=units,
        max_inference_units=units,
        project_arn=project,
    )  # type: ignore[arg-type]


def test_the_boundaries_are_accepted() -> None:
    declare(
        project_version_arn=version_arn(), min_inference_units=1, max_inference_units=1, timeout=cdk.Duration.minutes(5)
    )
    declare(project_version_arn=version_arn(), project_arn=project_arn(), timeout=cdk.Duration.minutes(60))


def test_one_version_cannot_be_run_by_two_models_in_one_app() -> None:
    app = cdk.App()
    RunningModel(cdk.Stack(app, "One"), "Model", project_version_arn=version_arn())
    with pytest.raises(ValueError) as raised:
        RunningModel(cdk.Stack(app, "Two"), "Model", project_version_arn=version_arn())
    assert "which One/Model runs already" in str(raised.value)


def test_the_same_version_in_two_separate_apps_is_fine() -> None:
    declare(project_version_arn=version_arn())
    declare(project_version_arn=version_arn())
