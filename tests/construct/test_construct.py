"""RunningModel at synth time: resources, properties, IAM, attributes and validation."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template

from rekognition_running_model import RunningModel
from rekognition_running_model.handler import poll_rule_prefix

from support.testdata import project_arn, version_arn

HANDLER_TYPE = "AWS::Lambda::Function"
RESOURCE_TYPE = "Custom::RekognitionRunningModel"


def stack_with(*models: dict[str, Any]) -> cdk.Stack:
    stack = cdk.Stack(cdk.App(), "Test")
    for index, props in enumerate(models):
        RunningModel(stack, f"Model{index}", **props)
    return stack


def policy_statements(template: Template, policy_id_fragment: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [
        statement
        for logical_id, policy in policies.items()
        if policy_id_fragment in logical_id
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    return statements


def statements_for(template: Template, action: str) -> list[dict[str, Any]]:
    everything = policy_statements(template, "")
    return [s for s in everything if action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


@pytest.fixture(scope="module")
def three_models() -> Template:
    return Template.from_stack(
        stack_with(
            {"project_version_arn": version_arn("widgets", "v1")},
            {"project_version_arn": version_arn("widgets", "v2"), "min_inference_units": 2, "max_inference_units": 4},
            {
                "project_version_arn": version_arn("gadgets", "v1", region="us-east-1"),
                "project_arn": project_arn("gadgets", region="us-east-1"),
            },
        )
    )


def test_three_models_share_one_function_role_and_log_group(three_models: Template) -> None:
    three_models.resource_count_is(RESOURCE_TYPE, 3)
    three_models.resource_count_is(HANDLER_TYPE, 1)
    three_models.resource_count_is("AWS::IAM::Role", 1)
    three_models.resource_count_is("AWS::Logs::LogGroup", 1)


def test_the_handler_function(three_models: Template) -> None:
    three_models.has_resource_properties(
        HANDLER_TYPE,
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "index.handler",
            "Timeout": 180,
            "LoggingConfig": {"LogGroup": Match.any_value()},
            "Environment": {
                "Variables": {
                    "POLL_RULE_PREFIX": Match.string_like_regexp(r"^RunningModel-[0-9a-f]{10}-$"),
                    "LAMBDA_TIMEOUT_SECONDS": "180",
                }
            },
        },
    )
    three_models.has_resource_properties("AWS::Lambda::EventInvokeConfig", {"MaximumRetryAttempts": 0})
    three_models.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_the_custom_resource_properties(three_models: Template) -> None:
    three_models.has_resource(
        RESOURCE_TYPE,
        {
            "Properties": {
                "ServiceToken": {"Fn::GetAtt": [Match.string_like_regexp("RekognitionRunningModelHandler"), "Arn"]},
                "ProjectVersionArn": version_arn("widgets", "v1"),
                "MinInferenceUnits": 1,
                "MaxInferenceUnits": Match.absent(),
                "ProjectArn": Match.absent(),
                "ServiceTimeout": "3600",
            },
            "DependsOn": [Match.string_like_regexp("PollingPolicy"), Match.string_like_regexp("PollRulesInvoke")],
            "DeletionPolicy": "Delete",
        },
    )
    three_models.has_resource_properties(
        RESOURCE_TYPE,
        {"ProjectVersionArn": version_arn("widgets", "v2"), "MinInferenceUnits": 2, "MaxInferenceUnits": 4},
    )
    three_models.has_resource_properties(
        RESOURCE_TYPE,
        {
            "ProjectVersionArn": version_arn("gadgets", "v1", region="us-east-1"),
            "ProjectArn": project_arn("gadgets", region="us-east-1"),
        },
    )


def test_timeout_and_removal_policy() -> None:
    template = Template.from_stack(
        stack_with(
            {
                "project_version_arn": version_arn(),
                "timeout": cdk.Duration.minutes(20),
                "removal_policy": cdk.RemovalPolicy.RETAIN,
            }
        )
    )
    template.has_resource(RESOURCE_TYPE, {"Properties": {"ServiceTimeout": "1200"}, "DeletionPolicy": "Retain"})


def test_retain_keeps_a_model_that_leaves_the_stack_but_stops_a_replaced_version() -> None:
    template = Template.from_stack(
        stack_with({"project_version_arn": version_arn(), "removal_policy": cdk.RemovalPolicy.RETAIN})
    )
    template.has_resource(RESOURCE_TYPE, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Delete"})


ANY_VERSION = {
    "Fn::Join": [
        "",
        ["arn:", {"Ref": "AWS::Partition"}, ":rekognition:*:", {"Ref": "AWS::AccountId"}, ":project/*/version/*/*"],
    ]
}
ANY_PROJECT = {
    "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":rekognition:*:", {"Ref": "AWS::AccountId"}, ":project/*"]]
}
OWNER_TAGS_ONLY = {"ForAllValues:StringLike": {"aws:TagKeys": ["running-model:*"]}}


def test_start_is_allowed_on_the_declared_versions_only(three_models: Template) -> None:
    declared = sorted(
        [version_arn("widgets", "v1"), version_arn("widgets", "v2"), version_arn("gadgets", "v1", region="us-east-1")]
    )
    statements = statements_for(three_models, "rekognition:StartProjectVersion")
    assert sorted(r for s in statements for r in _as_list(s["Resource"])) == declared
    assert all(_as_list(s["Action"]) == ["rekognition:StartProjectVersion"] for s in statements)


def test_stopping_and_releasing_cover_versions_that_have_left_the_template(three_models: Template) -> None:
    """CloudFormation deletes replaced and removed resources under the NEW policy: the Delete of a
    version the template no longer names must still be allowed to stop it, and to mark and remove its
    own owner tag (its own tags only)."""
    (stop,) = statements_for(three_models, "rekognition:StopProjectVersion")
    assert stop == {
        "Action": ["rekognition:ListTagsForResource", "rekognition:StopProjectVersion"],
        "Effect": "Allow",
        "Resource": ANY_VERSION,
    }
    (tags,) = statements_for(three_models, "rekognition:UntagResource")
    assert tags == {
        "Action": ["rekognition:TagResource", "rekognition:UntagResource"],
        "Condition": OWNER_TAGS_ONLY,
        "Effect": "Allow",
        "Resource": ANY_VERSION,
    }
    assert statements_for(three_models, "rekognition:TagResource") == [tags]
    (describe,) = statements_for(three_models, "rekognition:DescribeProjectVersions")
    assert describe["Resource"] == ANY_PROJECT


def test_describe_projects_is_the_one_statement_on_every_resource(three_models: Template) -> None:
    stars = [s for s in policy_statements(three_models, "") if s["Resource"] == "*"]
    assert stars == [{"Action": "rekognition:DescribeProjects", "Effect": "Allow", "Resource": "*"}]


def test_every_statement_of_the_handler_role(three_models: Template) -> None:
    """Nothing beyond what the handler calls, each on the narrowest resource."""
    actions = sorted(
        action
        for statement in policy_statements(three_models, "RekognitionRunningModelHandler")
        for action in _as_list(statement["Action"])
    )
    assert sorted(set(actions)) == [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "events:DeleteRule",
        "events:ListTargetsByRule",
        "events:PutRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "rekognition:DescribeProjectVersions",
        "rekognition:DescribeProjects",
        "rekognition:ListTagsForResource",
        "rekognition:StartProjectVersion",
        "rekognition:StopProjectVersion",
        "rekognition:TagResource",
        "rekognition:UntagResource",
    ]
    three_models.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    three_models.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})


def test_polling_is_scoped_to_the_handlers_rules_with_one_invoke_permission(three_models: Template) -> None:
    prefix = three_models.find_resources(HANDLER_TYPE)
    rule_prefix = next(iter(prefix.values()))["Properties"]["Environment"]["Variables"]["POLL_RULE_PREFIX"]
    poll_rules = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":events:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":rule/{rule_prefix}*",
            ],
        ]
    }
    three_models.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": [
                            "events:DeleteRule",
                            "events:ListTargetsByRule",
                            "events:PutRule",
                            "events:PutTargets",
                            "events:RemoveTargets",
                        ],
                        "Resource": poll_rules,
                        "Effect": "Allow",
                        "Sid": "PollRules",
                    },
                    {
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                        "Resource": {
                            "Fn::GetAtt": [Match.string_like_regexp("RekognitionRunningModelHandlerLedger"), "Arn"]
                        },
                        "Effect": "Allow",
                        "Sid": "Ledger",
                    },
                ]
            }
        },
    )
    three_models.resource_count_is("AWS::Lambda::Permission", 1)
    three_models.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": poll_rules,
            "SourceAccount": {"Ref": "AWS::AccountId"},
        },
    )
    (permission_id,) = three_models.find_resources("AWS::Lambda::Permission")
    for resource in three_models.find_resources(RESOURCE_TYPE).values():
        assert permission_id in resource["DependsOn"], "the first poll must be allowed to invoke the handler"
    (log_group_id,) = three_models.find_resources("AWS::Logs::LogGroup")
    assert statements_for(three_models, "logs:PutLogEvents") == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


def test_a_token_arn_is_scoped_with_intrinsics() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    arn = cdk.CfnParameter(stack, "ModelArn").value_as_string
    RunningModel(stack, "Model", project_version_arn=arn)
    template = Template.from_stack(stack)
    template.has_resource_properties(RESOURCE_TYPE, {"ProjectVersionArn": {"Ref": "ModelArn"}})
    (start,) = statements_for(template, "rekognition:StartProjectVersion")
    assert start["Resource"] == {"Ref": "ModelArn"}


def test_each_stack_has_its_own_handler_and_rule_prefix() -> None:
    app = cdk.App()
    stacks = [cdk.Stack(app, "One"), cdk.Stack(app, "Two"), cdk.Stack(cdk.App(), "Three")]
    for stack, version in zip(stacks, ("a", "b", "c"), strict=True):
        RunningModel(stack, "Model", project_version_arn=version_arn(version=version))
    prefixes = [
        function["Properties"]["Environment"]["Variables"]["POLL_RULE_PREFIX"]
        for stack in stacks
        for function in Template.from_stack(stack).find_resources(HANDLER_TYPE).values()
    ]
    assert len(set(prefixes)) == 3
    assert all(re.fullmatch(r"RunningModel-[0-9a-f]{10}-", prefix) for prefix in prefixes)


def test_every_character_of_the_rule_prefix_varies() -> None:
    """A construct address always starts with "c8": the prefix hashes the stack name and path instead."""
    prefixes = [poll_rule_prefix(cdk.Stack(cdk.App(), f"Stack{n}"), "Stack/Handler") for n in range(40)]
    for position in range(len("RunningModel-"), len("RunningModel-") + 10):
        assert len({prefix[position] for prefix in prefixes}) > 1, f"character {position} never varies"


def test_the_required_f1_score_is_passed_to_the_handler_only_when_given() -> None:
    template = Template.from_stack(
        stack_with(
            {"project_version_arn": version_arn("a"), "min_f1_score": 0.9}, {"project_version_arn": version_arn("b")}
        )
    )
    gated, ungated = (
        template.find_resources(RESOURCE_TYPE, {"Properties": {"ProjectVersionArn": version_arn(v)}}) for v in "ab"
    )
    assert [r["Properties"]["MinF1Score"] for r in gated.values()] == [0.9]
    assert ["MinF1Score" in r["Properties"] for r in ungated.values()] == [False]


def test_attributes_are_tokens_of_the_custom_resource() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    model = RunningModel(stack, "Model", project_version_arn=version_arn())
    for name, value in (
        ("ProjectVersionArn", model.project_version_arn),
        ("Status", model.status),
        ("MinInferenceUnits", model.min_inference_units),
        ("MaxInferenceUnits", model.max_inference_units),
    ):
        cdk.CfnOutput(stack, f"Out{name}", value=value)
    outputs = Template.from_stack(stack).find_outputs("*")
    (resource_id,) = Template.from_stack(stack).find_resources(RESOURCE_TYPE)
    for name in ("ProjectVersionArn", "Status", "MinInferenceUnits", "MaxInferenceUnits"):
        assert outputs[f"Out{name}"]["Value"] == {"Fn::GetAtt": [resource_id, name]}


def test_grant_detect_custom_labels() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    model = RunningModel(stack, "Model", project_version_arn=version_arn())
    function = lambda_.Function(
        stack, "App", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler", code=lambda_.Code.from_inline("x=1")
    )
    grant = model.grant_detect_custom_labels(function)
    assert isinstance(grant, iam.Grant) and grant.success
    template = Template.from_stack(stack)
    app_policies = {
        k: v for k, v in template.find_resources("AWS::IAM::Policy").items() if k.startswith("AppServiceRole")
    }
    (policy,) = app_policies.values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "rekognition:DetectCustomLabels", "Effect": "Allow", "Resource": version_arn()}
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
