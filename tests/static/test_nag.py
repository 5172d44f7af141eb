"""cdk-nag 3 (AwsSolutions) finds nothing unacknowledged, and every acknowledgement is the construct's own and exact."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from rekognition_running_model import RunningModel
from rekognition_running_model.acknowledgements import finding_text

from support.paths import ROOT
from support.testdata import project_arn, version_arn


def findings(app: cdk.App) -> list[str]:
    """Synthesize ``app`` with the AwsSolutions pack: every unacknowledged finding, as 'rule at path'."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        assembly = app.synth()
    except RuntimeError as error:
        if not str(error).startswith("ValidationFailed"):
            raise
        outdir = Path(app.outdir)
    else:
        outdir = Path(assembly.directory)
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in json.loads(report.read_text())["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def function_with_own_role(stack: cdk.Stack) -> lambda_.Function:
    """A user's function whose role has no AWS managed policy (which AwsSolutions-IAM4 would report)."""
    role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    return lambda_.Function(
        stack,
        "App",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        role=role,
    )


def user_app(outdir: Path) -> cdk.App:
    """An app with a stack of several kinds of RunningModel, and one in a stack with a concrete environment."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Inference")
    RunningModel(stack, "Looked", project_version_arn=version_arn("widgets", "v1"))
    RunningModel(stack, "Sibling", project_version_arn=version_arn("widgets", "v2"), min_inference_units=2)
    RunningModel(
        stack,
        "Given",
        project_version_arn=version_arn("gadgets", "v1"),
        project_arn=project_arn("gadgets"),
        max_inference_units=3,
    )
    RunningModel(stack, "Elsewhere", project_version_arn=version_arn("remote", "v1", region="us-east-1"))
    token = cdk.CfnParameter(stack, "ModelArn").value_as_string
    tokened = RunningModel(stack, "FromParameter", project_version_arn=token, timeout=cdk.Duration.minutes(30))
    app_function = function_with_own_role(stack)
    tokened.grant_detect_custom_labels(app_function)
    placed = cdk.Stack(app, "Placed", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    RunningModel(placed, "Model", project_version_arn=version_arn("placed", "v1"))
    return app


def test_the_example_app_has_no_unacknowledged_finding(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from app import RunningModelExampleStack, models_from_context
    finally:
        sys.path.remove(str(ROOT))
    app = cdk.App(outdir=str(tmp_path))
    RunningModelExampleStack(app, "RunningModelExample", models=models_from_context(app.node))
    assert findings(app) == []


def test_a_user_app_with_several_models_has_no_unacknowledged_finding(tmp_path: Path) -> None:
    assert findings(user_app(tmp_path)) == []


def test_the_acknowledgements_do_not_hide_the_users_own_findings(tmp_path: Path) -> None:
    """They sit on the construct's policies, not on the stack: a user's own wildcard is still reported."""
    app = user_app(tmp_path)
    stack = app.node.find_child("Inference")
    function = stack.node.find_child("App")
    assert isinstance(function, lambda_.Function)
    function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    assert findings(app) == ["AwsSolutions-IAM5[Resource::*] at Inference/AppRole/DefaultPolicy/Resource"]


def acknowledgements(scope: IConstruct) -> Iterator[tuple[str, str, str]]:
    """(construct path, rule id, reason) of every acknowledgement recorded under ``scope``."""
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in dict(entry.data).items():
                    yield construct.node.path, rule.split("::", 1)[1] if "::" in rule else rule, reason


def wildcard_resources(stack: cdk.Stack) -> set[tuple[str, str]]:
    """(policy construct path, finding text) of every resource with a wildcard in the stack's IAM policies."""
    found = set()
    for policy in (c for c in stack.node.find_all() if isinstance(c, iam.CfnPolicy)):
        document: dict[str, Any] = stack.resolve(policy.policy_document)
        for statement in document["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for resource in resources:
                if "*" in finding_text(resource):
                    assert policy.node.scope is not None
                    found.add((policy.node.scope.node.path, finding_text(resource)))
    return found


@pytest.mark.parametrize("stack_name", ["Inference", "Placed"])
def test_each_acknowledgement_names_one_wildcard_of_the_policy_it_sits_on(tmp_path: Path, stack_name: str) -> None:
    stack = user_app(tmp_path).node.find_child(stack_name)
    assert isinstance(stack, cdk.Stack)
    acknowledged = {
        (path, rule.removeprefix("AwsSolutions-IAM5[Resource::").removesuffix("]"))
        for path, rule, _ in acknowledgements(stack)
    }
    assert acknowledged == wildcard_resources(stack)
    for path, rule, reason in acknowledgements(stack):
        assert path.startswith(f"{stack_name}/RekognitionRunningModelHandler/"), path
        assert rule.startswith("AwsSolutions-IAM5[Resource::") and rule.endswith("]"), rule
        assert len(reason) > 100, reason


def test_the_acknowledged_wildcards_are_the_expected_ones(tmp_path: Path) -> None:
    """The account's model versions and projects (to release versions that left the template),
    DescribeProjects' '*', and the poll rules: each once, whatever the models."""
    stack = user_app(tmp_path).node.find_child("Inference")
    rules = sorted(rule for _, rule, _ in acknowledgements(stack))
    (poll_rules,) = [rule for rule in rules if ":events:" in rule]
    assert poll_rules.startswith(
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/RunningModel-"
    )
    assert poll_rules.endswith("-*]")
    assert sorted(set(rules) - {poll_rules}) == [
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*/version/*/*]",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*]",
    ]
    assert len(rules) == 4, "each acknowledgement once"


@pytest.mark.parametrize(
    "value, text",
    [
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/*"),
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b/*"]]}, "arn:<AWS::Partition>:s3:::b/*"),
        ({"Fn::GetAtt": ["Group", "Arn"]}, "<Group.Arn>"),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::*"}, "arn:<AWS::Partition>:s3:::*"),
        ({"Fn::Select": [1, ["a", "b"]]}, '{"Fn::Select":[1,["a","b"]]}'),
    ],
)
def test_finding_text_flattens_intrinsics_as_cdk_nag_reports_them(value: Any, text: str) -> None:
    assert finding_text(value) == text


def test_cfn_lint_finds_nothing_in_a_user_apps_templates(tmp_path: Path) -> None:
    """cfn-lint on every template a user's app synthesizes (the example app's: tests/construct/test_app.py)."""
    import subprocess

    user_app(tmp_path).synth()
    templates = sorted(str(path) for path in tmp_path.glob("*.template.json"))
    assert len(templates) == 2
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([cfn_lint, "--", *templates], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
