"""Every IAM statement of the handler: only what the handler calls, and on a named resource wherever IAM allows one.

The calls are found by reading the handler's source (lambda/ and the crhelper bundled with it):
a boto3 operation mentioned there without an entry in HANDLER_CALLS fails the test, so a new
call cannot ship without deciding its IAM.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk.assertions import Template
from botocore import xform_name

from rekognition_running_model import RunningModel

from support.paths import ROOT
from support.testdata import project_arn, version_arn

# boto3 operation the handler calls -> the IAM action it needs.
HANDLER_CALLS = {
    "describe_projects": "rekognition:DescribeProjects",
    "describe_project_versions": "rekognition:DescribeProjectVersions",
    "start_project_version": "rekognition:StartProjectVersion",
    "stop_project_version": "rekognition:StopProjectVersion",
    "tag_resource": "rekognition:TagResource",
    "untag_resource": "rekognition:UntagResource",
    "list_tags_for_resource": "rekognition:ListTagsForResource",
    "put_rule": "events:PutRule",
    "put_targets": "events:PutTargets",
    "list_targets_by_rule": "events:ListTargetsByRule",
    "remove_targets": "events:RemoveTargets",
    "delete_rule": "events:DeleteRule",
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
}
# Named in the bundled crhelper's source but never called by the handler, with why: no IAM for them.
NEVER_CALLED = {
    "add_permission": "crhelper's permission per poll rule: the construct grants one for all of them",
    "remove_permission": "the same permission's removal",
}
# Called in lambda/ by the RunningModelGuard alone (its asset is the handler's): its role's IAM, not the
# handler's, is decided in tests/construct/test_guard.py.
GUARD_ONLY_CALLS = {
    "describe_stacks": "cloudformation:DescribeStacks",
    "describe_stack_resource": "cloudformation:DescribeStackResource",
}
# Not boto3 calls: the Lambda runtime writes the function's logs with the function's role.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Actions that IAM only allows on Resource "*", with the reason.
NO_RESOURCE_LEVEL_PERMISSION = {
    "rekognition:DescribeProjects": "the Service Authorization Reference lists no resource type for it",
}


def handler_sources() -> list[Path]:
    """The Python files of the handler's asset: lambda/ and the installed crhelper that bundling copies."""
    spec = importlib.util.find_spec("crhelper")
    assert spec is not None and spec.origin is not None
    return sorted((ROOT / "lambda").rglob("*.py")) + sorted(Path(spec.origin).parent.rglob("*.py"))


def mentioned_operations(paths: list[Path]) -> dict[str, set[str]]:
    """Per service the source makes a boto3 client for: the operations named in it (as attribute or string)."""
    names: set[str] = set()
    services: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "client"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                services.add(str(node.args[0].value))
    session = botocore.session.get_session()
    return {
        service: names & {xform_name(operation) for operation in session.get_service_model(service).operation_names}
        for service in services
    }


def test_the_scan_sees_the_calls_we_know_of() -> None:
    """The scanner itself works: it finds the handler's clients and their calls."""
    found = mentioned_operations(handler_sources())
    assert {"rekognition", "events", "lambda", "dynamodb"} <= set(found)
    assert {"describe_projects", "start_project_version", "stop_project_version"} <= found["rekognition"]
    assert {"put_rule", "put_targets", "delete_rule"} <= found["events"]
    assert {"tag_resource", "untag_resource", "list_tags_for_resource"} <= found["rekognition"]


def test_every_call_in_the_handler_source_has_its_iam_decided() -> None:
    found = set().union(*mentioned_operations(handler_sources()).values())
    decided = set(HANDLER_CALLS) | set(NEVER_CALLED) | set(GUARD_ONLY_CALLS)
    assert found == decided, (
        f"in lambda/ or crhelper but not in HANDLER_CALLS (or GUARD_ONLY_CALLS): {sorted(found - decided)}; "
        f"in HANDLER_CALLS but no longer called: {sorted(decided - found)}"
    )


@pytest.fixture(scope="module")
def template() -> Template:
    """A stack with models looked up by name, given a project ARN, in another region, and from a parameter."""
    stack = cdk.Stack(cdk.App(), "Models")
    RunningModel(stack, "Looked", project_version_arn=version_arn("widgets", "v1"))
    RunningModel(stack, "Sibling", project_version_arn=version_arn("widgets", "v2"), max_inference_units=2)
    RunningModel(stack, "Given", project_version_arn=version_arn("gadgets", "v1"), project_arn=project_arn("gadgets"))
    RunningModel(stack, "Elsewhere", project_version_arn=version_arn("remote", "v1", region="us-east-1"))
    RunningModel(stack, "FromParameter", project_version_arn=cdk.CfnParameter(stack, "Arn").value_as_string)
    return Template.from_stack(stack)


def handler_statements(template: Template) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::Policy")
    assert policies and all(logical_id.startswith("RekognitionRunningModelHandler") for logical_id in policies)
    return [
        statement for policy in policies.values() for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_action_beyond_what_the_handler_calls(template: Template) -> None:
    actions = {action for statement in handler_statements(template) for action in as_list(statement["Action"])}
    assert actions == set(HANDLER_CALLS.values()) | RUNTIME_ACTIONS
    assert not [action for action in actions if "*" in action]


def test_resource_star_only_where_iam_has_no_resource_level_permission(template: Template) -> None:
    for statement in handler_statements(template):
        assert statement["Effect"] == "Allow"
        if "Condition" in statement:
            assert statement["Condition"] == {"ForAllValues:StringLike": {"aws:TagKeys": ["running-model:*"]}}
            assert as_list(statement["Action"]) == ["rekognition:TagResource", "rekognition:UntagResource"]
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= set(NO_RESOURCE_LEVEL_PERMISSION), statement


def test_the_statements_name_their_resources(template: Template) -> None:
    """Start each declared version; tag, release and stop the account's versions; poll on the own rules."""
    by_action: dict[str, list[Any]] = {}
    for statement in handler_statements(template):
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(as_list(statement["Resource"]))
    versions = by_action["rekognition:StartProjectVersion"]
    assert set(filter(lambda r: isinstance(r, str), versions)) == {
        version_arn("widgets", "v1"),
        version_arn("widgets", "v2"),
        version_arn("gadgets", "v1"),
        version_arn("remote", "v1", region="us-east-1"),
    }
    assert {"Ref": "Arn"} in versions
    account_versions = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":rekognition:*:", {"Ref": "AWS::AccountId"}, ":project/*/version/*/*"],
        ]
    }
    for action in (
        "rekognition:StopProjectVersion",
        "rekognition:TagResource",
        "rekognition:UntagResource",
        "rekognition:ListTagsForResource",
    ):
        assert by_action[action] == [account_versions], action
    (projects,) = by_action["rekognition:DescribeProjectVersions"]
    assert projects["Fn::Join"][1][-1] == ":project/*"
    assert by_action["rekognition:DescribeProjects"] == ["*"]
    (function_id,) = template.find_resources("AWS::Lambda::Function")
    prefix = template.find_resources("AWS::Lambda::Function")[function_id]["Properties"]["Environment"]["Variables"][
        "POLL_RULE_PREFIX"
    ]
    for action in (
        "events:PutRule",
        "events:PutTargets",
        "events:ListTargetsByRule",
        "events:RemoveTargets",
        "events:DeleteRule",
    ):
        (rules,) = by_action[action]
        assert rules["Fn::Join"][1][-1] == f":rule/{prefix}*"
    (ledger_id,) = template.find_resources("AWS::DynamoDB::Table")
    for action in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"):
        assert by_action[action] == [{"Fn::GetAtt": [ledger_id, "Arn"]}], action
    (log_group_id,) = template.find_resources("AWS::Logs::LogGroup")
    for action in RUNTIME_ACTIONS:
        assert by_action[action] == [{"Fn::GetAtt": [log_group_id, "Arn"]}]


def test_the_role_is_for_lambda_only_and_has_no_other_policy(template: Template) -> None:
    (role,) = template.find_resources("AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)


def test_the_lambda_environment_holds_no_secret(template: Template) -> None:
    """Only the poll rule prefix (a name, already visible in the role's policy), the function's timeout
    and the name of its ledger table."""
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    variables = function["Properties"]["Environment"]["Variables"]
    assert list(variables) == ["POLL_RULE_PREFIX", "LAMBDA_TIMEOUT_SECONDS", "LEDGER_TABLE"]
    (ledger_id,) = template.find_resources("AWS::DynamoDB::Table")
    assert variables["LEDGER_TABLE"] == {"Ref": ledger_id}
    assert variables["LAMBDA_TIMEOUT_SECONDS"] == "180"
    assert isinstance(variables["POLL_RULE_PREFIX"], str)
    assert variables["POLL_RULE_PREFIX"].startswith("RunningModel-") and len(variables["POLL_RULE_PREFIX"]) == 24
