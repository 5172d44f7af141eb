"""The conventions of aws-cdk-lib's own L2 constructs: an interface and an import, removal policy,
attribute names, documented parameters, typed metric options, and a warning on a shared token."""

from __future__ import annotations

import inspect
import pydoc
import warnings

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template

from rekognition_running_model import IRunningModel, MetricOptions, RunningModel
from rekognition_running_model.running_model import RESOURCE_TYPE, SHARED_TOKEN_WARNING

from support.testdata import version_arn

ARN = version_arn("widgets", "v1")


def role_in(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


# The interface, and a model declared in another stack.


def test_a_running_model_and_an_imported_one_have_every_member_of_the_interface() -> None:
    """At run time; tests/static/test_types.py checks the same with mypy."""
    stack = cdk.Stack(cdk.App(), "Test")
    declared = RunningModel(stack, "Declared", project_version_arn=ARN)
    imported = RunningModel.from_project_version_arn(stack, "Imported", version_arn("widgets", "v2"))
    members = [name for name in vars(IRunningModel) if not name.startswith("_")]
    assert "project_version_arn" in members and "metric_response_time" in members
    for model in (declared, imported):
        assert [name for name in members if not hasattr(model, name)] == [], type(model)
        assert isinstance(model, cdk.Resource)


def test_an_imported_model_grants_and_alarms_in_another_stack_and_adds_nothing_else() -> None:
    app = cdk.App()
    env = cdk.Environment(account="111122223333", region="eu-west-1")
    RunningModel(cdk.Stack(app, "Models", env=env), "Detector", project_version_arn=ARN)
    consumer = cdk.Stack(app, "Consumer", env=env)
    model = RunningModel.from_project_version_arn(consumer, "Detector", ARN)
    assert model.project_version_arn == ARN
    assert model.env.region == "eu-west-1" and model.env.account == "111122223333"
    model.grant_detect_custom_labels(role_in(consumer))
    model.metric_throttled_count().create_alarm(consumer, "Throttled", threshold=1, evaluation_periods=1)
    template = Template.from_stack(consumer)
    template.resource_count_is(RESOURCE_TYPE, 0)
    template.resource_count_is("AWS::Lambda::Function", 0)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": [{"Action": "rekognition:DetectCustomLabels", "Effect": "Allow", "Resource": ARN}]
            }
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ThrottledCount", "Dimensions": Match.array_with([{"Name": "VersionName", "Value": "v1"}])},
    )


def test_an_import_of_a_bad_arn_names_the_property_and_a_token_is_taken() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    with pytest.raises(ValueError, match=r"'Bad'.*\n  - project_version_arn: received 'arn:aws:s3:::bucket'"):
        RunningModel.from_project_version_arn(stack, "Bad", "arn:aws:s3:::bucket")
    token = cdk.CfnParameter(stack, "Arn").value_as_string
    imported = RunningModel.from_project_version_arn(stack, "FromParameter", token)
    assert stack.resolve(imported.project_version_arn) == {"Ref": "Arn"}


# Removal policy.


def test_apply_removal_policy_sets_the_deletion_policy_only() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    RunningModel(stack, "Model", project_version_arn=ARN).apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    # A version replaced by another (blue/green) is still stopped: the replace policy stays Delete.
    Template.from_stack(stack).has_resource(
        RESOURCE_TYPE, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Delete"}
    )


def test_an_imported_model_has_no_removal_policy_to_apply() -> None:
    imported = RunningModel.from_project_version_arn(cdk.Stack(cdk.App(), "Test"), "Imported", ARN)
    with pytest.raises(RuntimeError, match="Cannot apply RemovalPolicy"):
        imported.apply_removal_policy(cdk.RemovalPolicy.RETAIN)


# Attribute names.


def test_the_old_attr_names_still_work_and_say_they_are_deprecated() -> None:
    model = RunningModel(cdk.Stack(cdk.App(), "Test"), "Model", project_version_arn=ARN)
    for old, new in (
        ("attr_status", "status"),
        ("attr_min_inference_units", "min_inference_units"),
        ("attr_max_inference_units", "max_inference_units"),
    ):
        with pytest.warns(DeprecationWarning, match=f"RunningModel.{old} is deprecated; use RunningModel.{new}"):
            value = getattr(model, old)
        assert model.stack.resolve(value) == model.stack.resolve(getattr(model, new))


# What help() and IDEs show.


def test_help_documents_every_parameter_of_the_constructor() -> None:
    shown = pydoc.render_doc(RunningModel, renderer=pydoc.plaintext)
    documented = inspect.getdoc(RunningModel.__init__) or ""
    assert "Creates a new construct node" not in documented
    for name in inspect.signature(RunningModel.__init__).parameters:
        if name != "self":
            assert f":param {name}:" in documented, f"{name} is not documented on RunningModel.__init__"
    assert ":param project_version_arn:" in shown


def test_the_metric_options_are_those_of_cloudwatch() -> None:
    """MetricOptions lists cloudwatch.MetricOptions' fields: an aws-cdk-lib upgrade that adds one fails here."""
    cloudwatch_fields = set(inspect.signature(cloudwatch.MetricOptions.__init__).parameters) - {"self"}
    assert set(MetricOptions.__annotations__) == cloudwatch_fields


def test_a_misspelt_metric_option_names_the_option_meant() -> None:
    model = RunningModel(cdk.Stack(cdk.App(), "Test"), "Model", project_version_arn=ARN)
    with pytest.raises(TypeError, match=r"unknown option 'perod'; did you mean 'period'\?"):
        model.metric_throttled_count(perod=cdk.Duration.minutes(1))  # type: ignore[call-arg]


# One token in two RunningModels.


def test_one_token_in_two_running_models_is_warned_about() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Test")
    token = cdk.CfnParameter(stack, "Arn").value_as_string
    RunningModel(stack, "First", project_version_arn=token)
    RunningModel(stack, "Second", project_version_arn=token)
    RunningModel(stack, "Other", project_version_arn=cdk.CfnParameter(stack, "OtherArn").value_as_string)
    warned = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(SHARED_TOKEN_WARNING))
    assert [w.id for w in warned] == ["/Test/Second"], warned
    assert "the same token as Test/First" in str(warned[0].entry.data)


def test_a_shared_token_warning_can_be_acknowledged() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    token = cdk.CfnParameter(stack, "Arn").value_as_string
    RunningModel(stack, "First", project_version_arn=token)
    second = RunningModel(stack, "Second", project_version_arn=token)
    cdk.Annotations.of(second).acknowledge_warning(SHARED_TOKEN_WARNING, "both stacks share the model on purpose")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Annotations.from_stack(stack).find_warning("*", Match.any_value()) == []
