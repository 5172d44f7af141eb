"""Drift repair at synth time: the schedule, its event, its role, and the repairs metric."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from rekognition_running_model import RunningModel

from support.testdata import version_arn

SCHEDULE = "AWS::Scheduler::Schedule"
SCHEDULER_ROLE = "Invokes the Custom::RekognitionRunningModel handler for drift repair and running windows"
RESOURCE_TYPE = "Custom::RekognitionRunningModel"


def stack_with(**props: Any) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "Test", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    RunningModel(stack, "Detector", project_version_arn=version_arn("widgets", "v1"), **props)
    return stack


def resolved_input(stack: cdk.Stack, schedule: dict[str, Any]) -> dict[str, Any]:
    """The schedule's Input as the handler receives it (the stack id filled in)."""
    joined = schedule["Properties"]["Target"]["Input"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "STACK-ID" for part in joined)
    return dict(json.loads(text))


def test_no_repair_schedule_unless_asked_for() -> None:
    Template.from_stack(stack_with()).resource_count_is(SCHEDULE, 0)


def test_the_schedule_sends_the_handler_the_resource_and_its_properties() -> None:
    stack = stack_with(repair_every=cdk.Duration.minutes(15), min_inference_units=2)
    template = Template.from_stack(stack)
    (resource_id,) = template.find_resources(RESOURCE_TYPE)
    (function_id,) = template.find_resources("AWS::Lambda::Function")
    (schedule,) = template.find_resources(SCHEDULE).values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(15 minutes)"
    assert schedule["Properties"]["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert schedule["Properties"]["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    assert schedule["DependsOn"] == [resource_id], "it starts after the resource exists and goes before it"
    assert resolved_input(stack, schedule) == {
        "RunningModelRepair": {
            "StackId": "STACK-ID",
            "LogicalResourceId": resource_id,
            "ResourceProperties": {"ProjectVersionArn": version_arn("widgets", "v1"), "MinInferenceUnits": 2},
        }
    }


def test_the_schedules_share_one_role_that_may_invoke_the_handler_and_nothing_else() -> None:
    stack = stack_with(repair_every=cdk.Duration.minutes(15))
    RunningModel(stack, "Other", project_version_arn=version_arn("widgets", "v2"), repair_every=cdk.Duration.hours(1))
    template = Template.from_stack(stack)
    (function_id,) = template.find_resources("AWS::Lambda::Function")
    roles = template.find_resources("AWS::IAM::Role", {"Properties": {"Description": SCHEDULER_ROLE}})
    ((role_id, role),) = roles.items()
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}
    schedules = template.find_resources(SCHEDULE).values()
    assert [s["Properties"]["Target"]["RoleArn"] for s in schedules] == [{"Fn::GetAtt": [role_id, "Arn"]}] * 2
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert policies == [
        [{"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}]
    ]


@pytest.mark.parametrize(
    "every, received",
    [
        (cdk.Duration.seconds(30), "30 seconds"),
        (cdk.Duration.days(2), "2 days"),
        (cdk.Duration.seconds(90), "1 minute 30 seconds"),
    ],
)
def test_a_repair_interval_that_is_not_whole_minutes_up_to_a_day_is_named(every: cdk.Duration, received: str) -> None:
    with pytest.raises(ValueError, match=f"repair_every: received {received}; expected whole minutes from 1 to 1440"):
        stack_with(repair_every=every)


def test_metric_repairs_counts_in_the_stacks_region() -> None:
    stack = cdk.Stack(cdk.App(), "Test", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    model = RunningModel(stack, "Detector", project_version_arn=version_arn("gadgets", "v3", region="us-east-1"))
    metric = model.metric_repairs(period=cdk.Duration.hours(1))
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("RekognitionRunningModel", "Repairs", "Sum")
    assert metric.dimensions == {"ProjectName": "gadgets", "VersionName": "v3"}
    assert metric.region == "eu-west-1" and metric.period.to_seconds() == 3600
    metric.create_alarm(stack, "Repaired", threshold=1, evaluation_periods=1)  # an alarm in the stack's region


def test_running_windows_add_their_schedules_in_the_windows_time_zone_and_the_property() -> None:
    from rekognition_running_model import RunningSchedule, RunningWindow

    schedule = RunningSchedule(windows=[RunningWindow("MON-FRI", "08:00", "18:00")], time_zone="Europe/Berlin")
    stack = stack_with(schedule=schedule)
    template = Template.from_stack(stack)
    (resource,) = template.find_resources(RESOURCE_TYPE).values()
    assert resource["Properties"]["Schedule"] == {
        "TimeZone": "Europe/Berlin",
        "Windows": [{"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"}],
    }
    schedules = list(template.find_resources(SCHEDULE).values())
    assert [s["Properties"]["ScheduleExpressionTimezone"] for s in schedules] == ["Europe/Berlin"] * 3
    assert [s["Properties"]["ScheduleExpression"].split()[1] for s in schedules] == ["7", "8", "18,19"]
    assert all(set(resolved_input(stack, s)) == {"RunningModelWindow"} for s in schedules)


def test_a_bad_schedule_is_named_with_the_rest() -> None:
    from rekognition_running_model import RunningSchedule, RunningWindow

    bad = RunningSchedule(windows=[RunningWindow("MON", "18:00", "08:00")], time_zone="Mars/Olympus")
    with pytest.raises(ValueError) as raised:
        stack_with(schedule=bad, min_inference_units=0)
    message = str(raised.value)
    assert "schedule.windows[0].end: received '08:00'" in message and "schedule.time_zone" in message
    assert "min_inference_units: received 0" in message
