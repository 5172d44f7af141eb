"""The IAM policy evaluator: intrinsics resolved as CloudFormation would, statements decided as IAM would."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from rekognition_running_model import RunningModel

from support.fakes.iam import RolePolicy, UnsupportedIntrinsicError
from support.testdata import ACCOUNT, REGION, project_arn, version_arn

MODEL = version_arn("widgets", "v1")
VERSIONS = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/version/*"
LAMBDA_TRUST = {
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}]
}


def template_with(*statements: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A template with one Lambda role and one policy of ``statements`` attached to it; ``extra`` resources."""
    return {
        "Parameters": extra.pop("Parameters", {}),
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST}},
            "RolePolicy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "p",
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
                },
            },
            **extra,
        },
    }


def allow(action: Any = "rekognition:*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def resources_of(template: dict[str, Any], **kwargs: Any) -> Any:
    """The Resource of the only statement, once resolved."""
    (statement,) = RolePolicy.from_template(template, **kwargs).statements
    return statement["Resource"]


# ------------------------------------------------------------------------------ intrinsics


def test_pseudo_parameters_resolve_to_the_given_partition_region_and_account() -> None:
    template = template_with(
        allow(
            resource=[
                {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":rekognition:", {"Ref": "AWS::Region"}, ":"]]},
                {"Fn::Join": [":", [{"Ref": "AWS::AccountId"}, {"Ref": "AWS::URLSuffix"}, {"Ref": "AWS::StackName"}]]},
            ]
        )
    )
    assert resources_of(template) == [
        "arn:aws:rekognition:eu-west-1:",
        "111122223333:amazonaws.com:RunningModelExample",
    ]
    assert resources_of(
        template, partition="aws-cn", region="cn-north-1", account="444455556666", references={"AWS::StackName": "S"}
    ) == ["arn:aws-cn:rekognition:cn-north-1:", "444455556666:amazonaws.com.cn:S"]


def test_references_give_ref_and_getatt_values() -> None:
    template = template_with(
        allow(resource=[{"Ref": "Queue"}, {"Fn::GetAtt": ["Queue", "Arn"]}, {"Fn::GetAtt": "Queue.Arn"}]),
        Queue={"Type": "AWS::SQS::Queue"},
    )
    references = {"Queue": "https://queue", "Queue.Arn": "arn:aws:sqs:eu-west-1:111122223333:q"}
    assert resources_of(template, references=references) == ["https://queue"] + [references["Queue.Arn"]] * 2


def test_made_up_values_are_arn_like_and_stable() -> None:
    template = template_with(
        allow(
            resource=[
                {"Fn::GetAtt": ["Handler", "Arn"]},
                {"Ref": "Handler"},
                {"Fn::GetAtt": ["Logs", "Arn"]},
                {"Ref": "Topic"},
                {"Fn::GetAtt": ["Widget", "Arn"]},
                {"Fn::GetAtt": ["Role", "Arn"]},
            ]
        ),
        Handler={"Type": "AWS::Lambda::Function", "Properties": {}},
        Logs={"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/aws/${Handler}"}}},
        Topic={"Type": "AWS::SNS::Topic"},
        Widget={"Type": "AWS::Acme::Widget"},
    )
    expected = [
        "arn:aws:lambda:eu-west-1:111122223333:function:Handler",
        "Handler",
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/Handler:*",
        "arn:aws:sns:eu-west-1:111122223333:Topic",
        "arn:aws:acme:eu-west-1:111122223333:widget/Widget",
        "arn:aws:iam::111122223333:role/Role",
    ]
    assert resources_of(template) == expected
    assert resources_of(template) == expected


def test_select_split_and_join() -> None:
    arn = {"Fn::Join": ["", ["arn:aws:rekognition:eu-west-1:111122223333:project/", "widgets/version/v1/1"]]}
    template = template_with(
        allow(
            resource=[
                {"Fn::Select": [1, {"Fn::Split": ["/", arn]}]},
                {"Fn::Select": ["0", ["first", "second"]]},
                {"Fn::Join": ["/", {"Fn::Split": [",", "a,b,c"]}]},
            ]
        )
    )
    assert resources_of(template) == ["widgets", "first", "a/b/c"]


def test_sub_with_and_without_variables() -> None:
    template = template_with(
        allow(
            resource=[
                {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${Handler}"},
                {"Fn::Sub": "${Handler.Arn}/x"},
                {
                    "Fn::Sub": [
                        "arn:aws:rekognition:${Where}:${AWS::AccountId}:project/${Name}/*",
                        {"Name": "widgets", "Where": {"Ref": "AWS::Region"}},
                    ]
                },
            ]
        ),
        Handler={"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "my-handler"}},
    )
    assert resources_of(template) == [
        "arn:aws:lambda:eu-west-1:111122223333:function:my-handler",
        "arn:aws:lambda:eu-west-1:111122223333:function:my-handler/x",
        "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/*",
    ]


def test_sub_escapes_become_policy_variables_which_are_refused() -> None:
    template = template_with(allow(resource={"Fn::Sub": "arn:aws:s3:::bucket/${!aws:username}"}))
    with pytest.raises(NotImplementedError, match="policy variables"):
        RolePolicy.from_template(template)


def test_parameters_use_their_default_or_a_reference() -> None:
    parameters = {"WithDefault": {"Type": "String", "Default": "dflt"}, "Bare": {"Type": "String"}}
    template = template_with(allow(resource=[{"Ref": "WithDefault"}, {"Ref": "Bare"}]), Parameters=parameters)
    assert resources_of(template, references={"Bare": MODEL}) == ["dflt", MODEL]
    with pytest.raises(UnsupportedIntrinsicError, match="Bare"):
        RolePolicy.from_template(template)


@pytest.mark.parametrize(
    ("resource", "named"),
    [
        ({"Fn::If": ["C", "a", "b"]}, "Fn::If"),
        ({"Fn::ImportValue": "Exported"}, "Fn::ImportValue"),
        ({"Fn::Base64": "x"}, "Fn::Base64"),
        ({"Ref": "Nowhere"}, "Nowhere"),
        ({"Fn::GetAtt": ["Nowhere", "Arn"]}, "Nowhere"),
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select"),
    ],
)
def test_anything_else_is_a_clear_error(resource: Any, named: str) -> None:
    with pytest.raises(UnsupportedIntrinsicError, match=named):
        RolePolicy.from_template(template_with(allow(resource=resource)))


# ------------------------------------------------------------------------------ the role


def test_only_the_policies_of_the_role_count() -> None:
    template = template_with(
        allow("rekognition:DescribeProjects"),
        Other={"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}},
        OtherPolicy={
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "Other"}], "PolicyDocument": {"Statement": [allow("*")]}},
        },
    )
    policy = RolePolicy.from_template(template)
    assert policy.allows("rekognition:DescribeProjects", "*")
    assert not policy.allows("rekognition:StartProjectVersion", MODEL)
    assert RolePolicy.from_template(template, role_logical_id="Other").allows("rekognition:StartProjectVersion", MODEL)


def test_the_role_must_be_the_only_lambda_role_unless_named() -> None:
    two = template_with(
        allow(), Second={"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": LAMBDA_TRUST}}
    )
    with pytest.raises(ValueError, match="exactly one role"):
        RolePolicy.from_template(two)
    assert RolePolicy.from_template(two, role_logical_id="Role").allows("rekognition:DescribeProjects", "*")
    assert not RolePolicy.from_template(two, role_logical_id="Second").allows("rekognition:DescribeProjects", "*")
    none = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}}}
    with pytest.raises(ValueError, match="exactly one role"):
        RolePolicy.from_template(none)
    with pytest.raises(ValueError, match="not an AWS::IAM::Role"):
        RolePolicy.from_template(none, role_logical_id="Bucket")


# ------------------------------------------------------------------------------ actions and resources


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policy = RolePolicy(
        [allow("rekognition:*"), {"Effect": "Deny", "Action": "rekognition:StopProjectVersion", "Resource": MODEL}]
    )
    assert policy.allows("rekognition:StartProjectVersion", MODEL)
    assert not policy.allows("rekognition:StopProjectVersion", MODEL)
    assert policy.allows("rekognition:StopProjectVersion", version_arn("widgets", "v2"))


def test_nothing_is_allowed_without_a_matching_allow() -> None:
    assert not RolePolicy([]).allows("rekognition:DescribeProjects", "*")
    assert not RolePolicy([allow("rekognition:DescribeProjects", MODEL)]).allows("rekognition:DescribeProjects", "*")


def test_actions_match_case_insensitively_with_wildcards() -> None:
    policy = RolePolicy([allow(["rekognition:describe*", "events:?utRule"])])
    assert policy.allows("rekognition:DescribeProjectVersions", "*")
    assert policy.allows("REKOGNITION:DescribeProjects", "*")
    assert policy.allows("events:PutRule", "*")
    assert not policy.allows("events:PutTargets", "*")
    assert not policy.allows("rekognition:StartProjectVersion", "*")
    assert not policy.allows("events:OutputRule", "*")  # ? is exactly one character


def test_resources_match_case_sensitively_and_star_spans_slashes_and_colons() -> None:
    start = "rekognition:StartProjectVersion"
    versions = RolePolicy([allow(start, VERSIONS)])
    assert versions.allows(start, MODEL)  # * spans the version name, "/" and the timestamp
    assert not versions.allows(start, MODEL.replace("widgets", "Widgets"))
    assert not versions.allows(start, version_arn("gadgets", "v1"))
    anywhere = RolePolicy([allow(start, "arn:aws:rekognition:*:?11122223333:*")])
    assert anywhere.allows(start, version_arn("other", "v1", region="us-east-1"))  # * spans ":" too
    assert anywhere.allows(start, MODEL.replace(ACCOUNT, "911122223333"))  # ? is any one character
    assert not anywhere.allows(start, MODEL.replace(ACCOUNT, "999999999999"))
    assert not anywhere.allows(start, MODEL.replace(ACCOUNT, "11122223333"))
    exact = RolePolicy([allow(start, MODEL)])
    assert exact.allows(start, MODEL)
    assert not exact.allows(start, MODEL.upper())
    assert not exact.allows(start, MODEL + "0")


@pytest.mark.parametrize("element", ["NotAction", "NotResource"])
def test_not_elements_are_refused(element: str) -> None:
    statement = allow()
    statement[element] = statement.pop(element.removeprefix("Not"))
    with pytest.raises(NotImplementedError, match=element):
        RolePolicy([statement])


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": [{"Ref": "X"}]},
    ],
)
def test_malformed_statements_are_refused(statement: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RolePolicy([statement])


# ------------------------------------------------------------------------------ conditions


def conditioned(condition: dict[str, Any]) -> RolePolicy:
    return RolePolicy([allow("rekognition:TagResource", MODEL, Condition=condition)])


def allowed(policy: RolePolicy, context: dict[str, Any] | None = None) -> bool:
    return policy.allows("rekognition:TagResource", MODEL, context)


def test_string_equals_and_like_with_values_ored() -> None:
    equals = conditioned({"StringEquals": {"aws:RequestTag/owner": ["alice", "bob"]}})
    assert allowed(equals, {"aws:RequestTag/owner": "bob"})
    assert not allowed(equals, {"aws:RequestTag/owner": "Bob"})  # values are case-sensitive
    assert not allowed(equals, {"aws:RequestTag/owner": "al*"})
    assert not allowed(equals, {})  # a missing key matches nothing
    like = conditioned({"StringLike": {"aws:RequestTag/owner": "a?i*"}})
    assert allowed(like, {"aws:RequestTag/owner": "alice"})
    assert not allowed(like, {"aws:RequestTag/owner": "bob"})
    assert not allowed(like, {})


def test_context_keys_are_case_insensitive() -> None:
    policy = conditioned({"StringEquals": {"aws:RequestTag/Owner": "alice"}})
    assert allowed(policy, {"AWS:requesttag/owner": "alice"})


def test_string_not_equals_holds_for_other_values_and_for_a_missing_key() -> None:
    """IAM: "If the policy condition requires that the key is not matched ... and the key is not present, the
    condition is true" (IAM User Guide, Condition operators)."""
    policy = conditioned({"StringNotEquals": {"aws:RequestTag/owner": ["alice", "bob"]}})
    assert allowed(policy, {"aws:RequestTag/owner": "carol"})
    assert not allowed(policy, {"aws:RequestTag/owner": "alice"})
    assert allowed(policy, {})


def test_arn_like_and_equals_match_part_by_part() -> None:
    for operator in ("ArnLike", "ArnEquals"):
        policy = conditioned({operator: {"aws:SourceArn": "arn:aws:lambda:*:111122223333:function:*"}})
        assert allowed(policy, {"aws:SourceArn": "arn:aws:lambda:eu-west-1:111122223333:function:handler"})
        assert not allowed(policy, {"aws:SourceArn": "arn:aws:lambda:eu-west-1:999999999999:function:handler"})
        # the * of the region part does not swallow the colons of the parts after it
        assert not allowed(policy, {"aws:SourceArn": "arn:aws:lambda:a:b:c:111122223333:function:x"})
        assert not allowed(policy, {"aws:SourceArn": "not-an-arn"})
        assert not allowed(policy, {})


def test_null_checks_whether_the_key_is_present() -> None:
    absent = conditioned({"Null": {"aws:ResourceTag/owner": "true"}})
    present = conditioned({"Null": {"aws:ResourceTag/owner": "false"}})
    assert allowed(absent, {}) and not allowed(present, {})
    assert allowed(present, {"aws:ResourceTag/owner": "x"}) and not allowed(absent, {"aws:ResourceTag/owner": "x"})


def test_for_all_values_holds_when_every_value_matches_and_for_a_missing_or_empty_key() -> None:
    for operator, allowed_keys in (("ForAllValues:StringEquals", ["a", "b"]), ("ForAllValues:StringLike", ["a", "b*"])):
        policy = conditioned({operator: {"aws:TagKeys": allowed_keys}})
        assert allowed(policy, {"aws:TagKeys": ["a", "b"]})
        assert allowed(policy, {"aws:TagKeys": ["b"]})
        assert not allowed(policy, {"aws:TagKeys": ["a", "c"]})
        assert allowed(policy, {})
        assert allowed(policy, {"aws:TagKeys": []})


def test_for_any_value_holds_when_one_value_matches_and_not_for_a_missing_key() -> None:
    for operator, wanted in (("ForAnyValue:StringEquals", "a"), ("ForAnyValue:StringLike", "a*")):
        policy = conditioned({operator: {"aws:TagKeys": wanted}})
        assert allowed(policy, {"aws:TagKeys": ["c", "a"]})
        assert not allowed(policy, {"aws:TagKeys": ["c"]})
        assert not allowed(policy, {})
        assert not allowed(policy, {"aws:TagKeys": []})


def test_all_operators_and_keys_must_hold() -> None:
    policy = conditioned(
        {
            "StringEquals": {"aws:RequestTag/owner": "alice", "aws:RequestTag/team": "vision"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["owner", "team"]},
        }
    )
    good = {"aws:RequestTag/owner": "alice", "aws:RequestTag/team": "vision", "aws:TagKeys": ["owner", "team"]}
    assert allowed(policy, good)
    assert not allowed(policy, {**good, "aws:RequestTag/team": "other"})
    assert not allowed(policy, {**good, "aws:TagKeys": ["owner", "team", "extra"]})
    assert not allowed(policy, {k: v for k, v in good.items() if k != "aws:RequestTag/owner"})


def test_a_conditional_deny_only_denies_when_its_condition_holds() -> None:
    policy = RolePolicy(
        [
            allow("rekognition:*", MODEL),
            {
                "Effect": "Deny",
                "Action": "rekognition:UntagResource",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "protected"}},
            },
        ]
    )
    assert policy.allows("rekognition:UntagResource", MODEL, {"aws:TagKeys": ["other"]})
    assert not policy.allows("rekognition:UntagResource", MODEL, {"aws:TagKeys": ["other", "protected"]})


def test_if_exists_holds_for_a_missing_key() -> None:
    policy = conditioned({"StringEqualsIfExists": {"aws:RequestTag/owner": "alice"}})
    assert allowed(policy, {}) and allowed(policy, {"aws:RequestTag/owner": "alice"})
    assert not allowed(policy, {"aws:RequestTag/owner": "bob"})


@pytest.mark.parametrize("operator", ["NumericEquals", "Bool", "StringEqualsIgnoreCase", "ForAllValues:ArnLike", "Foo"])
def test_an_unknown_operator_is_refused_never_ignored(operator: str) -> None:
    with pytest.raises(NotImplementedError, match=operator):
        conditioned({operator: {"aws:RequestTag/owner": "1"}})


def test_condition_values_resolve_from_intrinsics() -> None:
    template = template_with(
        allow(
            "lambda:InvokeFunction",
            Condition={
                "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:events:*:${AWS::AccountId}:rule/*"}}
            },
        )
    )
    policy = RolePolicy.from_template(template)
    assert policy.statements[0]["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:111122223333:rule/*"}}
    assert policy.allows(
        "lambda:InvokeFunction", "*", {"aws:SourceArn": "arn:aws:events:eu-west-1:111122223333:rule/r"}
    )
    assert not policy.allows("lambda:InvokeFunction", "*", {"aws:SourceArn": "arn:aws:events:eu-west-1:1:rule/r"})


# ------------------------------------------------------------------------------ templates made by CDK


@pytest.fixture(scope="module")
def cdk_template() -> dict[str, Any]:
    """A role for Lambda with statements using partition and account tokens, a function, and a conditional policy."""
    stack = cdk.Stack(cdk.App(), "Probe")
    role = iam.Role(stack, "HandlerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    function = lambda_.Function(
        stack,
        "Handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
        handler="index.handler",
        runtime=lambda_.Runtime.PYTHON_3_12,
        role=role,
    )
    arn_prefix = f"arn:{cdk.Aws.PARTITION}:rekognition:{cdk.Aws.REGION}:{cdk.Aws.ACCOUNT_ID}"
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["rekognition:StartProjectVersion", "rekognition:StopProjectVersion"],
            resources=[f"{arn_prefix}:project/widgets/version/v1/*"],
        )
    )
    # Not in the role's default policy, which the function depends on: that would be a cycle.
    iam.Policy(
        stack,
        "Permissions",
        roles=[role],
        statements=[iam.PolicyStatement(actions=["lambda:AddPermission"], resources=[function.function_arn])],
    )
    iam.Policy(
        stack,
        "Tagging",
        roles=[role],
        statements=[
            iam.PolicyStatement(
                actions=["rekognition:TagResource"],
                resources=[f"{arn_prefix}:project/*/version/*/*"],
                conditions={
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["running-model"]},
                    "StringLike": {"aws:RequestTag/running-model": f"{cdk.Aws.STACK_NAME}/*"},
                },
            )
        ],
    )
    other = iam.Role(stack, "Other", assumed_by=iam.AccountRootPrincipal())
    other.add_to_principal_policy(iam.PolicyStatement(actions=["*"], resources=["*"]))
    return Template.from_stack(stack).to_json()


def test_a_cdk_template_allows_what_its_statements_say(cdk_template: dict[str, Any]) -> None:
    policy = RolePolicy.from_template(cdk_template)
    for action in ("rekognition:StartProjectVersion", "rekognition:StopProjectVersion"):
        assert policy.allows(action, MODEL)
        assert not policy.allows(action, version_arn("widgets", "v2"))
        assert not policy.allows(action, version_arn("widgets", "v1", region="us-east-1"))
    assert not policy.allows("rekognition:DescribeProjects", "*")
    assert not policy.allows("rekognition:DeleteProjectVersion", MODEL)
    (function_id,) = [k for k, v in cdk_template["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
    assert policy.allows("lambda:AddPermission", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_id}")
    assert not policy.allows("lambda:AddPermission", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other")


def test_a_cdk_template_enforces_its_conditions(cdk_template: dict[str, Any]) -> None:
    policy = RolePolicy.from_template(cdk_template, references={"AWS::StackName": "Probe"})
    tag = {"aws:TagKeys": ["running-model"], "aws:RequestTag/running-model": "Probe/Model"}
    assert policy.allows("rekognition:TagResource", MODEL, tag)
    assert not policy.allows("rekognition:TagResource", MODEL, {**tag, "aws:RequestTag/running-model": "Other/Model"})
    assert not policy.allows("rekognition:TagResource", MODEL, {**tag, "aws:TagKeys": ["running-model", "x"]})
    assert not policy.allows("rekognition:TagResource", MODEL, {"aws:TagKeys": ["running-model"]})
    assert not policy.allows("rekognition:TagResource", project_arn("widgets"), tag)


def test_a_cdk_template_resolves_to_plain_strings(cdk_template: dict[str, Any]) -> None:
    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(plain(item) for item in value.values())
        if isinstance(value, list):
            return all(plain(item) for item in value)
        return isinstance(value, str)

    statements = RolePolicy.from_template(cdk_template).statements
    assert len(statements) == 3 and all(plain(statement) for statement in statements)
    assert "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/*" in str(statements)


def test_the_running_model_template_reads_as_a_role_policy() -> None:
    """The evaluator reads the construct's own role: its model can be started, another model cannot."""
    stack = cdk.Stack(cdk.App(), "Models")
    RunningModel(stack, "Model", project_version_arn=MODEL)
    policy = RolePolicy.from_template(Template.from_stack(stack).to_json())
    assert policy.allows("rekognition:StartProjectVersion", MODEL)
    assert policy.allows("rekognition:DescribeProjects", "*")
    assert not policy.allows("rekognition:StartProjectVersion", version_arn("widgets", "v2"))
    assert not policy.allows("rekognition:DeleteProjectVersion", MODEL)
