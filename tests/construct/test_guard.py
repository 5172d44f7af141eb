"""RunningModelGuard: its schedule, function, IAM for each option, metrics and alarms, and its checks at synth time."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Match, Template
from botocore import xform_name

import rekognition_running_model
from rekognition_running_model import RunningModel, RunningModelGuard, RunningModelHandler
from rekognition_running_model.metrics import AlarmOptions

from support.paths import ROOT
from support.testdata import ACCOUNT, REGION, version_arn

ENV = cdk.Environment(account=ACCOUNT, region=REGION)


def join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


PARTITION, THIS_REGION, THIS_ACCOUNT = {"Ref": "AWS::Partition"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}
PROJECTS = join("arn:", PARTITION, ":rekognition:", THIS_REGION, ":", THIS_ACCOUNT, ":project/*")
VERSIONS = join("arn:", PARTITION, ":rekognition:", THIS_REGION, ":", THIS_ACCOUNT, ":project/*/version/*/*")
STACKS = join("arn:", PARTITION, ":cloudformation:*:", THIS_ACCOUNT, ":stack/*/*")
READS = [
    {"Sid": "FindProjects", "Effect": "Allow", "Action": "rekognition:DescribeProjects", "Resource": "*"},
    {"Sid": "FindVersions", "Effect": "Allow", "Action": "rekognition:DescribeProjectVersions", "Resource": PROJECTS},
    {"Sid": "ReadOwners", "Effect": "Allow", "Action": "rekognition:ListTagsForResource", "Resource": VERSIONS},
    {
        "Sid": "AskCloudFormation",
        "Effect": "Allow",
        "Action": ["cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"],
        "Resource": STACKS,
    },
]
STOP = {"Sid": "StopModels", "Effect": "Allow", "Action": "rekognition:StopProjectVersion", "Resource": VERSIONS}
UNTAG = {
    "Sid": "RemoveStaleOwners",
    "Effect": "Allow",
    "Action": "rekognition:UntagResource",
    "Resource": VERSIONS,
    "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["running-model:*"]}},
}


def guarded(**props: Any) -> tuple[cdk.Stack, RunningModelGuard]:
    stack = cdk.Stack(cdk.App(), "Guarded")
    return stack, RunningModelGuard(stack, "Guard", **props)


@pytest.fixture(scope="module")
def default() -> tuple[RunningModelGuard, Template]:
    stack, guard = guarded()
    return guard, Template.from_stack(stack)


def the_one(template: Template, type_: str) -> tuple[str, dict[str, Any]]:
    ((logical_id, resource),) = template.find_resources(type_).items()
    return logical_id, resource


def guard_statements(template: Template, guard: RunningModelGuard) -> list[dict[str, Any]]:
    policy_id = cdk.Stack.of(guard).get_logical_id(guard.role.node.find_child("DefaultPolicy").node.default_child)  # type: ignore[arg-type]
    document = template.find_resources("AWS::IAM::Policy")[policy_id]["Properties"]["PolicyDocument"]
    return list(document["Statement"])


# The schedule and the function.


def test_the_schedule_runs_the_guard_every_hour_by_default_with_its_event(
    default: tuple[RunningModelGuard, Template],
) -> None:
    _, template = default
    function_id, _ = the_one(template, "AWS::Lambda::Function")
    _, schedule = the_one(template, "AWS::Scheduler::Schedule")
    properties = schedule["Properties"]
    assert properties["ScheduleExpression"] == "rate(1 hour)"
    assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = properties["Target"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert target["Input"] == '{"RunningModelGuard":{"ScheduledTime":"<aws.scheduler.scheduled-time>"}}'
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0


@pytest.mark.parametrize(
    "every, expression",
    [
        (cdk.Duration.minutes(5), "rate(5 minutes)"),
        (cdk.Duration.minutes(90), "rate(90 minutes)"),
        (cdk.Duration.hours(6), "rate(6 hours)"),
        (cdk.Duration.days(1), "rate(1 day)"),
    ],
)
def test_every_sets_the_rate(every: cdk.Duration, expression: str) -> None:
    stack, _ = guarded(every=every)
    Template.from_stack(stack).has_resource_properties("AWS::Scheduler::Schedule", {"ScheduleExpression": expression})


def test_the_function_is_the_guard_entry_of_the_handlers_asset_and_never_runs_twice_at_once(
    default: tuple[RunningModelGuard, Template],
) -> None:
    _, template = default
    _, function = the_one(template, "AWS::Lambda::Function")
    properties = function["Properties"]
    assert properties["Handler"] == "guard.handler"
    assert (ROOT / "lambda" / "guard.py").is_file()
    assert properties["Runtime"] == "python3.14" and properties["Architectures"] == ["arm64"]
    assert properties["ReservedConcurrentExecutions"] == 1
    assert properties["Timeout"] == 300
    assert properties["Environment"] == {
        "Variables": {"GUARD_STOP_FORGOTTEN": "false", "GUARD_STOP_UNMANAGED": "false"}
    }
    template.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0})


def test_the_guard_runs_from_the_same_asset_as_the_handler() -> None:
    stack = cdk.Stack(cdk.App(), "Both")
    RunningModel(stack, "Model", project_version_arn=version_arn())
    RunningModelGuard(stack, "Guard")
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    assert sorted(f["Properties"]["Handler"] for f in functions) == ["guard.handler", "index.handler"]
    assert len({f["Properties"]["Code"]["S3Key"] for f in functions}) == 1


def test_the_scheduler_role_may_invoke_the_guard_function_only() -> None:
    stack, guard = guarded()
    template = Template.from_stack(stack)
    function_id = stack.get_logical_id(guard.function.node.default_child)  # type: ignore[arg-type]
    roles = template.find_resources(
        "AWS::IAM::Role",
        {
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Statement": [Match.object_like({"Principal": {"Service": "scheduler.amazonaws.com"}})]
                }
            }
        },
    )
    ((role_id, role),) = roles.items()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": THIS_ACCOUNT}
    }
    policies = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in template.find_resources("AWS::IAM::Policy").values()
        if policy["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert policies == [
        [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": [function_id, "Arn"]}}]
    ]


# IAM: read-only unless a stop is configured, and then only that stop.


@pytest.mark.parametrize(
    "stop_forgotten, stop_unmanaged, extra",
    [(False, False, []), (True, False, [STOP, UNTAG]), (False, True, [STOP]), (True, True, [STOP, UNTAG])],
    ids=["read-only", "stop_forgotten", "stop_unmanaged", "both"],
)
def test_the_role_allows_the_survey_everywhere_and_only_the_stops_configured(
    stop_forgotten: bool, stop_unmanaged: bool, extra: list[dict[str, Any]]
) -> None:
    stack, guard = guarded(stop_forgotten=stop_forgotten, stop_unmanaged=stop_unmanaged)
    template = Template.from_stack(stack)
    log_group_id = stack.get_logical_id(guard.log_group.node.default_child)  # type: ignore[arg-type]
    logs = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
    }
    assert guard_statements(template, guard) == [logs, *READS, *extra]
    _, function = next(
        (k, v) for k, v in template.find_resources("AWS::Lambda::Function").items() if k.startswith("Guard")
    )
    assert function["Properties"]["Environment"]["Variables"] == {
        "GUARD_STOP_FORGOTTEN": str(stop_forgotten).lower(),
        "GUARD_STOP_UNMANAGED": str(stop_unmanaged).lower(),
    }
    role = template.find_resources("AWS::IAM::Role")[stack.get_logical_id(guard.role.node.default_child)]  # type: ignore[arg-type]
    assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]


def guard_modules() -> list[Path]:
    """lambda/guard.py and every module of running_model it imports, directly or not."""
    package = ROOT / "lambda" / "running_model"
    found: list[Path] = []
    todo = [ROOT / "lambda" / "guard.py"]
    while todo:
        path = todo.pop()
        if path in found or not path.is_file():
            continue
        found.append(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if node.level == 1 or module == "running_model" or module.startswith("running_model."):
                name = module.removeprefix("running_model").removeprefix(".")
                names = [name] if name else [alias.name for alias in node.names]
                todo += [package / f"{name}.py" for name in names]
    return found


def test_the_role_allows_every_call_the_guards_code_makes_and_no_other() -> None:
    """The guard's modules are read for the operations of Rekognition and CloudFormation they name."""
    session = botocore.session.get_session()
    named: set[str] = set()
    for path in guard_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute):
                named.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
    calls = {
        f"{service}:{operation}"
        for service in ("rekognition", "cloudformation")
        for operation in session.get_service_model(service).operation_names
        if xform_name(operation) in named
    }
    assert {"rekognition:DescribeProjects", "cloudformation:DescribeStacks"} <= calls, "the scan finds the calls"
    stack, guard = guarded(stop_forgotten=True, stop_unmanaged=True)
    allowed = {
        action
        for statement in guard_statements(Template.from_stack(stack), guard)
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert allowed - {"logs:CreateLogStream", "logs:PutLogEvents"} == calls


def test_grant_invoke_lets_a_principal_run_the_guard_on_demand() -> None:
    stack, guard = guarded()
    role = iam.Role(stack, "Operator", assumed_by=iam.AccountRootPrincipal())
    grant = guard.grant_invoke(role)
    assert isinstance(grant, iam.Grant) and grant.success
    function_id = stack.get_logical_id(guard.function.node.default_child)  # type: ignore[arg-type]
    Template.from_stack(stack).has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": stack.get_logical_id(role.node.default_child)}],  # type: ignore[arg-type]
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Action": "lambda:InvokeFunction",
                            "Resource": Match.array_with([{"Fn::GetAtt": [function_id, "Arn"]}]),
                        }
                    )
                ]
            },
        },
    )


# Its log group.


def test_the_log_group_is_kept_a_month_and_can_be_encrypted_with_a_key_under_its_own_name() -> None:
    stack = cdk.Stack(cdk.App(), "Guarded")
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    RunningModel(stack, "Model", project_version_arn=version_arn())
    RunningModelHandler.of(stack)  # the handler's log group, unencrypted
    guard = RunningModelGuard(stack, "Guard", log_encryption_key=key)
    template = Template.from_stack(stack)
    group_id = stack.get_logical_id(guard.log_group.node.default_child)  # type: ignore[arg-type]
    group = template.find_resources("AWS::Logs::LogGroup")[group_id]
    assert group["DeletionPolicy"] == "Retain"
    properties = group["Properties"]
    assert properties["RetentionInDays"] == 30
    (key_id,) = template.find_resources("AWS::KMS::Key")
    assert properties["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert properties["LogGroupName"]["Fn::Join"][1][0] == "/rekognition-running-model-guard/Guarded"


# Metrics and alarms.

METRICS = [
    ("metric_forgotten_models", "ForgottenModels", "Maximum"),
    ("metric_unmanaged_models", "UnmanagedModels", "Maximum"),
    ("metric_forgotten_inference_units", "ForgottenInferenceUnits", "Maximum"),
    ("metric_models_stopped", "ModelsStopped", "Sum"),
]


@pytest.mark.parametrize("method, name, statistic", METRICS, ids=[name for _, name, _ in METRICS])
def test_each_metric_is_the_guards_count_without_dimensions_over_its_period(
    method: str, name: str, statistic: str
) -> None:
    stack = cdk.Stack(cdk.App(), "Guarded", env=ENV)
    guard = RunningModelGuard(stack, "Guard", every=cdk.Duration.minutes(30))
    metric: cloudwatch.Metric = getattr(guard, method)()
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("RekognitionRunningModel", name, statistic)
    assert metric.period.to_minutes() == 30 and metric.region == REGION
    assert not metric.dimensions
    overridden: cloudwatch.Metric = getattr(guard, method)(period=cdk.Duration.hours(2), statistic="Average")
    assert (overridden.period.to_minutes(), overridden.statistic) == (120, "Average")


def test_a_misspelt_metric_option_names_the_option_meant(default: tuple[RunningModelGuard, Template]) -> None:
    guard, _ = default
    with pytest.raises(TypeError, match=r"unknown option 'perod'; did you mean 'period'\?"):
        guard.metric_forgotten_models(perod=cdk.Duration.minutes(1))  # type: ignore[call-arg]


def alarms(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").items()
    }


def test_the_forgotten_and_unmanaged_alarms_fire_on_one_model_in_one_period_and_keep_their_state_without_data() -> None:
    stack, guard = guarded(every=cdk.Duration.minutes(15))
    forgotten, unmanaged = guard.alarm_forgotten(), guard.alarm_unmanaged()
    assert isinstance(forgotten, cloudwatch.Alarm) and isinstance(unmanaged, cloudwatch.Alarm)
    found = alarms(stack)
    for alarm, name in ((forgotten, "ForgottenModels"), (unmanaged, "UnmanagedModels")):
        properties = found[stack.get_logical_id(alarm.node.default_child)]  # type: ignore[arg-type]
        assert {key: value for key, value in properties.items() if key != "AlarmDescription"} == {
            "Namespace": "RekognitionRunningModel",
            "MetricName": name,
            "Statistic": "Maximum",
            "Period": 900,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "EvaluationPeriods": 1,
            "TreatMissingData": "ignore",
        }
        assert "guard's log says which" in properties["AlarmDescription"]


def test_the_not_reporting_alarm_fires_when_no_run_reported_for_two_periods() -> None:
    stack, guard = guarded(every=cdk.Duration.hours(2))
    guard.alarm_not_reporting()
    ((_, properties),) = alarms(stack).items()
    assert {key: value for key, value in properties.items() if key != "AlarmDescription"} == {
        "Namespace": "RekognitionRunningModel",
        "MetricName": "ForgottenModels",
        "Statistic": "SampleCount",
        "Period": 4 * 3600,
        "Threshold": 1,
        "ComparisonOperator": "LessThanThreshold",
        "EvaluationPeriods": 1,
        "TreatMissingData": "breaching",
    }
    assert "no counts for 240 minutes" in properties["AlarmDescription"]


def test_alarm_options_win_over_the_defaults() -> None:
    stack, guard = guarded()
    guard.alarm_forgotten(
        threshold=2,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        alarm_name="forgotten-models",
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    ((_, properties),) = alarms(stack).items()
    assert (properties["Threshold"], properties["EvaluationPeriods"], properties["DatapointsToAlarm"]) == (2, 3, 2)
    assert (properties["AlarmName"], properties["TreatMissingData"]) == ("forgotten-models", "notBreaching")


def test_the_alarm_options_are_those_of_cloudwatch() -> None:
    cloudwatch_fields = set(inspect.signature(cloudwatch.CreateAlarmOptions.__init__).parameters) - {"self"}
    assert set(AlarmOptions.__annotations__) == cloudwatch_fields


def test_an_unknown_alarm_option_and_a_second_alarm_are_refused() -> None:
    _, guard = guarded()
    with pytest.raises(TypeError, match=r"alarm_unmanaged\(\): unknown option 'treshold'; did you mean 'threshold'\?"):
        guard.alarm_unmanaged(treshold=2)  # type: ignore[call-arg]
    guard.alarm_unmanaged()
    with pytest.raises(ValueError, match=r"alarm_unmanaged\(\): Guarded/Guard has made this alarm already"):
        guard.alarm_unmanaged()


# What is refused at synth time.


@pytest.mark.parametrize(
    "every, received",
    [
        (cdk.Duration.minutes(4), "4 minutes"),
        (cdk.Duration.seconds(330), "5 minutes 30 seconds"),
        (cdk.Duration.hours(25), "1 day 1 hour"),
        (cdk.Duration.millis(0), "0 millis"),
    ],
)
def test_every_must_be_whole_minutes_from_5_to_a_day(every: cdk.Duration, received: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"RunningModelGuard Guarded/Guard: invalid properties\n  - every: received {received}; expected whole "
        r"minutes from 5 to 1440 \(1 day\), e\.g\. Duration\.hours\(1\) or Duration\.minutes\(15\)",
    ):
        guarded(every=every)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        guarded(every=cdk.Duration.minutes(1), stop_forgotten="yes", stop_unmanaged=1)  # type: ignore[arg-type]
    lines = str(raised.value).splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["  - every", "  - stop_forgotten", "  - stop_unmanaged"]
    assert lines[1] == "  - stop_forgotten: received 'yes'; expected True or False"


def test_a_second_guard_in_a_stack_is_refused() -> None:
    stack, _ = guarded()
    with pytest.raises(
        ValueError, match=r"RunningModelGuard Guarded/Again: Guarded/Guard watches this account and region already"
    ):
        RunningModelGuard(stack, "Again")


def test_a_second_guard_for_the_same_account_and_region_is_refused_across_stacks() -> None:
    app = cdk.App()
    RunningModelGuard(cdk.Stack(app, "First", env=ENV), "Guard")
    RunningModelGuard(cdk.Stack(app, "OtherRegion", env=cdk.Environment(account=ACCOUNT, region="us-east-1")), "Guard")
    RunningModelGuard(cdk.Stack(app, "Agnostic"), "Guard")  # where it deploys is not known at synth time
    with pytest.raises(ValueError, match=r"RunningModelGuard Second/Guard: First/Guard watches this account"):
        RunningModelGuard(cdk.Stack(app, "Second", env=ENV), "Guard")


# Conventions.


def test_the_guard_is_exported_and_documents_every_parameter() -> None:
    assert rekognition_running_model.RunningModelGuard is RunningModelGuard
    assert "RunningModelGuard" in rekognition_running_model.__all__
    documented = inspect.getdoc(RunningModelGuard.__init__) or ""
    for name in inspect.signature(RunningModelGuard.__init__).parameters:
        if name != "self":
            assert f":param {name}:" in documented, name
    for name, member in inspect.getmembers(RunningModelGuard, inspect.isfunction):
        if name.startswith(("metric_", "alarm_", "grant_")):
            assert "Default" in (inspect.getdoc(member) or "") or name.startswith("grant_"), name


def test_the_default_child_is_the_function(default: tuple[RunningModelGuard, Template]) -> None:
    guard, _ = default
    assert guard.node.default_child is guard.function
