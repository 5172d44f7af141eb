"""cdk-nag 3: an app with RunningModel passes AwsSolutions, HIPAA Security and NIST 800-53 R5.

Nothing is left unacknowledged, with the default handler and with the fix that
``RunningModelHandler.configure`` offers; every acknowledgement sits on the construct's own
resources, is one that compliance.py lists, and suppresses a real finding.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import IConstruct

from rekognition_running_model import RunningModel, RunningModelGuard, RunningSchedule, RunningWindow
from rekognition_running_model.acknowledgements import finding_text
from rekognition_running_model.compliance import (
    AWS_SOLUTIONS,
    GUARD_WAIVERS,
    HIPAA,
    NIST_800_53_R5,
    PACKS,
    WAIVERS,
    GuardTarget,
    GuardWildcard,
    Target,
    Wildcard,
    nag_rules,
)
from rekognition_running_model.handler import RunningModelHandler

from support.paths import ROOT
from support.testdata import ACCOUNT, REGION, project_arn, version_arn

CHECKS = {AWS_SOLUTIONS: AwsSolutionsChecks, HIPAA: HIPAASecurityChecks, NIST_800_53_R5: NIST80053R5Checks}
HANDLER = RunningModelHandler.ID
IMPORTED_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b7a3d4e-1f2a-4c5b-9d8e-7f6a5b4c3d2e"


@dataclass(frozen=True)
class Report:
    """What synth's validation report says, for every pack in CHECKS."""

    plugins: set[str]
    findings: list[str]  # unacknowledged: 'rule at construct path'
    suppressed: set[tuple[str, str]]  # (acknowledgement id, where it was recorded) that hid a finding


def check(app: cdk.App) -> Report:
    """Synthesize ``app`` with all three packs as validation plugins and read the report."""
    Validations.of(app).add_plugins(*(pack(app) for pack in CHECKS.values()))
    try:
        assembly = app.synth()
    except RuntimeError as error:
        if not str(error).startswith("ValidationFailed"):
            raise
        outdir = Path(app.outdir)
    else:
        outdir = Path(assembly.directory)
    report = json.loads((outdir / "validation-report.json").read_text())["pluginReports"]
    return Report(
        plugins={plugin["pluginName"] for plugin in report},
        findings=sorted(
            f"{violation['ruleName']} at {construct['constructPath']}"
            for plugin in report
            for violation in plugin["violations"]
            for construct in violation["violatingConstructs"]
        ),
        suppressed={
            (violation["acknowledgedId"], violation["acknowledgedAt"])
            for plugin in report
            for violation in plugin.get("suppressedViolations", [])
        },
    )


def user_app(outdir: Path, *, log_keys: bool = False) -> cdk.App:
    """An app with a stack of several kinds of RunningModel (with and without drift repair, running
    windows), one in a stack with a concrete environment, and one beside a RunningModelGuard whose alarms
    go to an encrypted topic.

    With ``log_keys``, each stack's handler is configured first: with a key of the stack, and with an imported key;
    the guard gets a key of its stack too, and may stop both FORGOTTEN and UNMANAGED models.
    """
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Inference")
    placed = cdk.Stack(app, "Placed", env=cdk.Environment(account=ACCOUNT, region=REGION))
    if log_keys:
        key = kms.Key(stack, "LogKey", enable_key_rotation=True)
        RunningModelHandler.configure(stack, log_encryption_key=key, log_retention=logs.RetentionDays.ONE_YEAR)
        imported = kms.Key.from_key_arn(placed, "ImportedLogKey", IMPORTED_KEY)
        RunningModelHandler.configure(placed, log_encryption_key=imported)
    RunningModel(stack, "Looked", project_version_arn=version_arn("widgets", "v1"))
    RunningModel(
        stack,
        "Sibling",
        project_version_arn=version_arn("widgets", "v2"),
        min_inference_units=2,
        repair_every=cdk.Duration.minutes(15),
        min_f1_score=0.9,
    )
    RunningModel(
        stack,
        "Given",
        project_version_arn=version_arn("gadgets", "v1"),
        project_arn=project_arn("gadgets"),
        max_inference_units=3,
    )
    RunningModel(
        stack,
        "Elsewhere",
        project_version_arn=version_arn("remote", "v1", region="us-east-1"),
        schedule=RunningSchedule(windows=[RunningWindow("MON-FRI", "08:00", "18:00")], time_zone="Europe/Berlin"),
    )
    token = cdk.CfnParameter(stack, "ModelArn").value_as_string
    RunningModel(stack, "FromParameter", project_version_arn=token, timeout=cdk.Duration.minutes(30))
    RunningModel(placed, "Model", project_version_arn=version_arn("placed", "v1"), repair_every=cdk.Duration.hours(1))
    guarded = cdk.Stack(app, "Guarded")
    RunningModel(guarded, "Model", project_version_arn=version_arn("guarded", "v1"))
    guard = RunningModelGuard(
        guarded,
        "Guard",
        stop_forgotten=log_keys,
        stop_unmanaged=log_keys,
        log_encryption_key=kms.Key(guarded, "GuardLogKey", enable_key_rotation=True) if log_keys else None,
    )
    alarms_key = kms.Key(guarded, "AlarmsKey", enable_key_rotation=True)
    alarms_key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
    topic = sns.Topic(guarded, "Alarms", master_key=alarms_key, enforce_ssl=True)
    for alarm in (guard.alarm_forgotten(), guard.alarm_unmanaged(), guard.alarm_not_reporting()):
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    return app


def acknowledgements(scope: IConstruct) -> Iterator[tuple[str, str, str]]:
    """(construct path, acknowledgement id, reason) of every acknowledgement recorded under ``scope``."""
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in dict(entry.data).items():
                    yield construct.node.path, rule, reason


def stale(app: cdk.App, report: Report) -> set[tuple[str, str]]:
    """Acknowledgements recorded in ``app`` that hid no finding: (id, path)."""
    return {(rule, path) for path, rule, _ in acknowledgements(app)} - report.suppressed


VARIANTS = {"default handler": False, "configured with log keys": True}


@pytest.fixture(scope="module", params=list(VARIANTS), ids=list(VARIANTS))
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.App, Report]:
    log_keys = VARIANTS[request.param]
    app = user_app(tmp_path_factory.mktemp("cdk.out"), log_keys=log_keys)
    return app, check(app)


# Nothing unacknowledged, and nothing acknowledged in vain.


def test_the_example_app_has_no_unacknowledged_finding(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from app import RunningModelExampleStack, models_from_context
    finally:
        sys.path.remove(str(ROOT))
    app = cdk.App(outdir=str(tmp_path))
    RunningModelExampleStack(app, "RunningModelExample", models=models_from_context(app.node))
    report = check(app)
    assert report.plugins == set(PACKS)
    assert report.findings == []
    assert stale(app, report) == set()


def test_a_user_app_has_no_unacknowledged_finding_in_any_pack(checked: tuple[cdk.App, Report]) -> None:
    _, report = checked
    assert report.plugins == set(PACKS), "each pack ran, under the name compliance.py acknowledges it with"
    assert report.findings == []


def test_every_acknowledgement_hides_a_real_finding_where_it_sits(checked: tuple[cdk.App, Report]) -> None:
    app, report = checked
    assert report.suppressed, "the packs found what the construct acknowledges"
    assert stale(app, report) == set()


def test_a_stale_acknowledgement_is_found(tmp_path: Path) -> None:
    """The check above can fail: an acknowledgement of a rule the function passes hides nothing."""
    app = user_app(tmp_path)
    handler = app.node.find_child("Inference").node.find_child(HANDLER)
    assert isinstance(handler, RunningModelHandler)
    unneeded = f"{HIPAA}::{HIPAA}-LambdaFunctionPublicAccessProhibited"
    Validations.of(handler.function).acknowledge(cdk.Acknowledgment(id=unneeded, reason="it is not public"))
    assert stale(app, check(app)) == {(unneeded, f"Inference/{HANDLER}/Resource")}


def test_the_acknowledgements_do_not_hide_the_users_own_findings(tmp_path: Path) -> None:
    """They sit on the handler's resources, not on the stack: the same findings on a user's own function,
    policy and log group are still reported, in every pack."""
    app = user_app(tmp_path)
    stack = app.node.find_child("Inference")
    assert isinstance(stack, cdk.Stack)
    role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    function = lambda_.Function(
        stack,
        "App",
        runtime=lambda_.Runtime.PYTHON_3_14,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        role=role,
        log_group=logs.LogGroup(stack, "AppLogs", retention=logs.RetentionDays.ONE_MONTH),
    )
    model = stack.node.find_child("Looked")
    assert isinstance(model, RunningModel)
    model.grant_detect_custom_labels(function)
    function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    assert check(app).findings == sorted(
        [
            "AwsSolutions-IAM5[Resource::*] at Inference/AppRole/DefaultPolicy/Resource",
            *(
                f"{pack}-IAMNoInlinePolicy at Inference/AppRole/DefaultPolicy/Resource"
                for pack in (HIPAA, NIST_800_53_R5)
            ),
            *(f"{pack}-CloudWatchLogGroupEncrypted at Inference/AppLogs/Resource" for pack in (HIPAA, NIST_800_53_R5)),
            *(
                f"{pack}-{rule} at Inference/App/Resource"
                for pack in (HIPAA, NIST_800_53_R5)
                for rule in ("LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC")
            ),
        ]
    )


# The acknowledgements are the construct's own, and those compliance.py lists.


@pytest.mark.parametrize("stack_name", ["Inference", "Placed"])
@pytest.mark.parametrize("log_keys", [False, True], ids=["default handler", "configured with log keys"])
def test_the_acknowledgements_are_those_compliance_py_lists(tmp_path: Path, stack_name: str, log_keys: bool) -> None:
    stack = user_app(tmp_path, log_keys=log_keys).node.find_child(stack_name)
    handler = stack.node.find_child(HANDLER)
    assert isinstance(handler, RunningModelHandler)
    targets = {
        Target.FUNCTION: [handler.function.node.path],
        Target.LOG_GROUP: [handler.log_group.node.path],
        Target.LEDGER: [handler.ledger.node.path],
        Target.POLICIES: [
            handler.role.node.find_child("DefaultPolicy").node.path,
            handler.polling_policy.node.path,
            # Every stack of user_app has a RunningModel with drift repair: its schedules' role.
            handler.node.find_child("SchedulerRole").node.find_child("DefaultPolicy").node.path,
        ],
    }
    expected = {
        (path, f"{pack}::{rule}", reason)
        for pack in PACKS
        for target, rule, reason in nag_rules(pack, log_key=log_keys)
        for path in targets[target]
    }
    recorded = set(acknowledgements(stack))
    wildcards = {entry for entry in recorded if entry[1].startswith(f"{AWS_SOLUTIONS}::{AWS_SOLUTIONS}-IAM5[")}
    assert recorded - wildcards == expected
    assert {reason for _, _, reason in wildcards} == {wildcard.reason for wildcard in Wildcard}
    assert all(path.startswith(f"{stack_name}/{HANDLER}/") for path, _, _ in recorded)


@pytest.mark.parametrize("log_keys", [False, True], ids=["default guard", "guard with a log key and stops"])
def test_the_guards_acknowledgements_are_those_compliance_py_lists(tmp_path: Path, log_keys: bool) -> None:
    stack = user_app(tmp_path, log_keys=log_keys).node.find_child("Guarded")
    guard = stack.node.find_child("Guard")
    assert isinstance(guard, RunningModelGuard)
    targets = {
        GuardTarget.FUNCTION: [guard.function.node.path],
        GuardTarget.LOG_GROUP: [guard.log_group.node.path],
        GuardTarget.POLICIES: [
            guard.role.node.find_child("DefaultPolicy").node.path,
            guard.node.find_child("SchedulerRole").node.find_child("DefaultPolicy").node.path,
        ],
    }
    expected = {
        (path, f"{pack}::{rule}", reason)
        for pack in PACKS
        for target, rule, reason in nag_rules(pack, log_key=log_keys, waivers=GUARD_WAIVERS)
        for path in targets[target]
    }
    recorded = {entry for entry in acknowledgements(stack) if entry[0].startswith("Guarded/Guard/")}
    wildcards = {entry for entry in recorded if entry[1].startswith(f"{AWS_SOLUTIONS}::{AWS_SOLUTIONS}-IAM5[")}
    assert recorded - wildcards == expected
    assert {reason for _, _, reason in wildcards} == {wildcard.reason for wildcard in GuardWildcard}
    others = {path for path, _, _ in acknowledgements(stack)} - {path for path, _, _ in recorded}
    assert all(path.startswith(f"Guarded/{HANDLER}/") for path in others), "nothing on the user's own resources"


def test_the_guards_acknowledged_wildcards_are_the_expected_ones(tmp_path: Path) -> None:
    """DescribeProjects' '*', the region's projects and versions, and every region's stacks of the account."""
    stack = user_app(tmp_path).node.find_child("Guarded")
    rules = sorted(
        rule
        for path, rule, _ in acknowledgements(stack)
        if path.startswith("Guarded/Guard/") and rule.startswith(WILDCARD_PREFIX)
    )
    assert rules == [
        f"{WILDCARD_PREFIX}*]",
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/*/*]",
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*/version/*/*]",
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:rekognition:<AWS::Region>:<AWS::AccountId>:project/*]",
    ]


def test_each_waiver_says_why_and_names_real_rules() -> None:
    for waiver in WAIVERS + GUARD_WAIVERS:
        assert len(waiver.reason) > 150, waiver.reason
        assert waiver.nag or waiver.checkov
        for rule in waiver.nag:
            assert any(rule.startswith(f"{pack}-") for pack in PACKS), rule
    encryption = [waiver for waiver in WAIVERS if waiver.unless_log_key]
    assert sorted(waiver.target.name for waiver in encryption) == ["LEDGER", "LOG_GROUP"]
    assert all("RunningModelHandler.configure" in waiver.reason for waiver in encryption), "the reason names the fix"
    (guard_encryption,) = [waiver for waiver in GUARD_WAIVERS if waiver.unless_log_key]
    assert guard_encryption.target is GuardTarget.LOG_GROUP
    assert "RunningModelGuard(..., log_encryption_key=key)" in guard_encryption.reason


def test_the_readme_lists_every_acknowledgement_and_checkov_skip() -> None:
    """The README's compliance table names each rule and check that compliance.py acknowledges."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Compliance") : readme.index("## Cost warning")]
    listed = {name for waiver in WAIVERS + GUARD_WAIVERS for name in (*waiver.nag, *waiver.checkov)} | {
        f"{AWS_SOLUTIONS}-IAM5"
    }
    assert [name for name in sorted(listed) if name not in section] == []


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


WILDCARD_PREFIX = f"{AWS_SOLUTIONS}::{AWS_SOLUTIONS}-IAM5[Resource::"


@pytest.mark.parametrize("stack_name", ["Inference", "Placed", "Guarded"])
def test_each_acknowledgement_names_one_wildcard_of_the_policy_it_sits_on(tmp_path: Path, stack_name: str) -> None:
    stack = user_app(tmp_path).node.find_child(stack_name)
    assert isinstance(stack, cdk.Stack)
    acknowledged = {
        (path, rule.removeprefix(WILDCARD_PREFIX).removesuffix("]"))
        for path, rule, _ in acknowledgements(stack)
        if rule.startswith(WILDCARD_PREFIX)
    }
    assert acknowledged == wildcard_resources(stack)


def test_the_acknowledged_wildcards_are_the_expected_ones(tmp_path: Path) -> None:
    """The account's model versions and projects (to release versions that left the template),
    DescribeProjects' '*', and the poll rules: each once, whatever the models."""
    stack = user_app(tmp_path).node.find_child("Inference")
    rules = sorted(rule for _, rule, _ in acknowledgements(stack) if rule.startswith(WILDCARD_PREFIX))
    (poll_rules,) = [rule for rule in rules if ":events:" in rule]
    assert poll_rules.startswith(
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/RunningModel-"
    )
    assert poll_rules.endswith("-*]")
    assert sorted(set(rules) - {poll_rules}) == [
        f"{WILDCARD_PREFIX}*]",
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*/version/*/*]",
        f"{WILDCARD_PREFIX}arn:<AWS::Partition>:rekognition:*:<AWS::AccountId>:project/*]",
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


# The fix: RunningModelHandler.configure.


def configured_template(**options: Any) -> Template:
    stack = cdk.Stack(cdk.App(), "Inference")
    RunningModelHandler.configure(stack, **options)
    RunningModel(stack, "Model", project_version_arn=version_arn())
    return Template.from_stack(stack)


def test_configure_encrypts_the_log_group_and_lets_cloudwatch_logs_use_the_key_for_it_only() -> None:
    stack = cdk.Stack(cdk.App(), "Inference")
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    RunningModelHandler.configure(stack, log_encryption_key=key, log_retention=logs.RetentionDays.ONE_YEAR)
    RunningModel(stack, "Model", project_version_arn=version_arn())
    template = Template.from_stack(stack)
    (key_id,) = template.find_resources("AWS::KMS::Key")
    stack_uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    name = {"Fn::Join": ["/", ["/rekognition-running-model/Inference", stack_uuid]]}
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "LogGroupName": name, "RetentionInDays": 365},
    )
    (key_resource,) = template.find_resources("AWS::KMS::Key").values()
    logs_statements = [
        statement
        for statement in key_resource["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in statement["Principal"]
    ]
    log_group_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":logs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":log-group:",
                name,
            ],
        ]
    }
    assert logs_statements == [
        {
            "Effect": "Allow",
            "Principal": {
                "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}]]}
            },
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
        }
    ]


def test_configure_with_an_imported_key_encrypts_the_log_group_and_changes_no_key_policy() -> None:
    stack = cdk.Stack(cdk.App(), "Inference")
    key = kms.Key.from_key_arn(stack, "LogKey", IMPORTED_KEY)
    RunningModelHandler.configure(stack, log_encryption_key=key)
    RunningModel(stack, "Model", project_version_arn=version_arn())
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": IMPORTED_KEY, "RetentionInDays": 30})
    template.resource_count_is("AWS::KMS::Key", 0)


def test_configure_with_a_key_of_another_stack_changes_no_key_policy() -> None:
    """Granting there would make each stack depend on the other; its policy must allow CloudWatch Logs itself."""
    app = cdk.App()
    keys = cdk.Stack(app, "Keys")
    key = kms.Key(keys, "LogKey", enable_key_rotation=True)
    stack = cdk.Stack(app, "Inference")
    RunningModelHandler.configure(stack, log_encryption_key=key)
    RunningModel(stack, "Model", project_version_arn=version_arn())
    Template.from_stack(stack).has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": Match.any_value()})
    (key_resource,) = Template.from_stack(keys).find_resources("AWS::KMS::Key").values()
    principals = [statement["Principal"] for statement in key_resource["Properties"]["KeyPolicy"]["Statement"]]
    assert [principal for principal in principals if "Service" in principal] == []


def test_configure_sets_the_retention_and_keeps_the_default_log_group_otherwise() -> None:
    template = configured_template(log_retention=logs.RetentionDays.THREE_MONTHS)
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90, "KmsKeyId": Match.absent()})
    template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": Match.absent()})


def test_configure_after_the_stacks_first_running_model_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "Inference")
    RunningModel(stack, "Model", project_version_arn=version_arn())
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    with pytest.raises(
        ValueError,
        match=r"RunningModelHandler.configure\(Inference\): the stack's handler exists already, made with the "
        r"default options for Inference/Model; call RunningModelHandler.configure before the stack's first "
        r"RunningModel",
    ):
        RunningModelHandler.configure(stack, log_encryption_key=key)


def test_configure_once_per_stack() -> None:
    stack = cdk.Stack(cdk.App(), "Inference")
    key = kms.Key(stack, "LogKey", enable_key_rotation=True)
    handler = RunningModelHandler.configure(stack, log_encryption_key=key)
    assert RunningModelHandler.configure(stack, log_encryption_key=key) is handler, "the same options again"
    RunningModel(stack, "Model", project_version_arn=version_arn())
    assert RunningModelHandler.of(stack) is handler
    with pytest.raises(
        ValueError,
        match=r"configured already with log_encryption_key=Inference/LogKey, log_retention=ONE_MONTH, not "
        r"log_encryption_key=None, log_retention=ONE_YEAR; configure it once per stack",
    ):
        RunningModelHandler.configure(stack, log_retention=logs.RetentionDays.ONE_YEAR)


def test_cfn_lint_finds_nothing_in_a_user_apps_templates(tmp_path: Path) -> None:
    """cfn-lint on every template a user's app synthesizes, with and without log keys (the example app's:
    tests/construct/test_app.py)."""
    user_app(tmp_path / "default").synth()
    user_app(tmp_path / "configured", log_keys=True).synth()
    templates = sorted(str(path) for path in tmp_path.glob("*/*.template.json"))
    assert len(templates) == 6
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([cfn_lint, "--", *templates], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
