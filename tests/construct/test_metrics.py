"""RunningModel's CloudWatch metrics: Rekognition's namespace, the model's dimensions, sensible statistics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Template

from rekognition_running_model import RunningModel
from rekognition_running_model.arns import ModelVersionArn

from support.testdata import version_arn

HELPERS: list[tuple[Callable[[RunningModel], cloudwatch.Metric], str, str]] = [
    (lambda m: m.metric_in_service_inference_units(), "InServiceInferenceUnits", "Average"),
    (lambda m: m.metric_desired_inference_units(), "DesiredInferenceUnits", "Average"),
    (lambda m: m.metric_successful_request_count(), "SuccessfulRequestCount", "Sum"),
    (lambda m: m.metric_throttled_count(), "ThrottledCount", "Sum"),
    (lambda m: m.metric_user_error_count(), "UserErrorCount", "Sum"),
    (lambda m: m.metric_server_error_count(), "ServerErrorCount", "Sum"),
    (lambda m: m.metric_response_time(), "ResponseTime", "Average"),
]


def model_in(stack: cdk.Stack, arn: str = version_arn("widgets", "widgets.2026-01-05T10.00.00")) -> RunningModel:
    return RunningModel(stack, "Model", project_version_arn=arn)


def alarm_on(stack: cdk.Stack, metric: cloudwatch.Metric) -> dict[str, Any]:
    metric.create_alarm(stack, "Alarm", threshold=1, evaluation_periods=1)
    (alarm,) = Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
    return dict(alarm["Properties"])


@pytest.mark.parametrize("helper, name, statistic", HELPERS, ids=[name for _, name, _ in HELPERS])
def test_each_helper_makes_an_alarm_on_the_models_metric(
    helper: Callable[[RunningModel], cloudwatch.Metric], name: str, statistic: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    properties = alarm_on(stack, helper(model_in(stack)))
    assert properties["Namespace"] == "AWS/Rekognition"
    assert properties["MetricName"] == name
    assert properties["Statistic"] == statistic
    assert properties["Period"] == 300
    assert sorted(properties["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "ProjectName", "Value": "widgets"},
        {"Name": "VersionName", "Value": "widgets.2026-01-05T10.00.00"},
    ]


def test_metric_takes_any_name_and_the_metric_options() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    metric = model_in(stack).metric(
        "MaxInferenceUnits", period=cdk.Duration.minutes(1), statistic="Maximum", label="ceiling"
    )
    config = metric.to_metric_config()
    assert config.metric_stat is not None
    assert config.metric_stat.namespace == "AWS/Rekognition"
    assert config.metric_stat.metric_name == "MaxInferenceUnits"
    assert config.metric_stat.period.to_seconds() == 60
    assert config.metric_stat.statistic == "Maximum"
    assert metric.label == "ceiling"


def test_a_helper_passes_its_options_through() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    properties = alarm_on(stack, model_in(stack).metric_throttled_count(period=cdk.Duration.minutes(1)))
    assert (properties["MetricName"], properties["Statistic"], properties["Period"]) == ("ThrottledCount", "Sum", 60)


def test_an_unknown_option_is_refused() -> None:
    model = model_in(cdk.Stack(cdk.App(), "Test"))
    with pytest.raises(TypeError):
        model.metric_throttled_count(perod=cdk.Duration.minutes(1))
    with pytest.raises(TypeError, match="'namespace' is set by RunningModel"):
        model.metric("ThrottledCount", namespace="Mine")


def test_the_metric_lives_in_the_models_region() -> None:
    stack = cdk.Stack(cdk.App(), "Test", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    model = model_in(stack, version_arn("gadgets", "v1", region="us-east-1"))
    metric = model.metric_in_service_inference_units()
    assert metric.region == "us-east-1"
    # CloudWatch alarms only watch metrics of their own region: CDK says so at synth time.
    with pytest.raises(Exception, match="Cannot create an Alarm in region 'eu-west-1'"):
        metric.create_alarm(stack, "Alarm", threshold=1, evaluation_periods=1)


def test_a_token_arn_gets_its_dimensions_from_the_arn_at_deploy_time() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    arn = cdk.CfnParameter(stack, "ModelArn").value_as_string
    properties = alarm_on(stack, model_in(stack, arn).metric_in_service_inference_units())
    split = {"Fn::Split": ["/", {"Ref": "ModelArn"}]}
    assert sorted(properties["Dimensions"], key=lambda d: d["Name"]) == [
        {"Name": "ProjectName", "Value": {"Fn::Select": [1, split]}},
        {"Name": "VersionName", "Value": {"Fn::Select": [3, split]}},
    ]


def test_the_version_name_comes_from_the_arn() -> None:
    assert ModelVersionArn.of(version_arn("widgets", "widgets.v-2_b")).version == "widgets.v-2_b"
    stack = cdk.Stack(cdk.App(), "Test")
    token = ModelVersionArn.of(cdk.CfnParameter(stack, "Arn").value_as_string)
    assert stack.resolve(token.version) == {"Fn::Select": [3, {"Fn::Split": ["/", {"Ref": "Arn"}]}]}
