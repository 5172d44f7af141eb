"""The one handler per stack that every RunningModel in the stack shares."""

from __future__ import annotations

import hashlib
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import contract
from .acknowledgements import acknowledge_wildcard_resource
from .arns import ModelVersionArn
from .bundling import HANDLER, RUNTIME, handler_code

# One handler invocation looks at its model for up to 50 s, keeps 60 s in reserve and allows 31 s
# for a throttled call with all its retries; the handler checks that this fits in the timeout it
# is given (lambda/running_model/settings.py, Timing.problems).
HANDLER_TIMEOUT = Duration.minutes(3)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class RunningModelHandler(Construct):
    """Lambda function, role and log group of Custom::RekognitionRunningModel.

    Use ``RunningModelHandler.of(scope)``: it finds the stack's handler or makes it.
    """

    ID = "RekognitionRunningModelHandler"

    @classmethod
    def of(cls, scope: Construct) -> RunningModelHandler:
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.ID)
        return existing if isinstance(existing, RunningModelHandler) else cls(stack, cls.ID)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        # Rule names the handler makes for polling start with this prefix; it is unique per stack
        # (stack name and path), so this role can touch its own rules and nobody else's.
        self.poll_rule_prefix = poll_rule_prefix(stack, self.node.path)
        self.role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts and stops Rekognition Custom Labels models for Custom::RekognitionRunningModel",
        )
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.RETAIN)
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Resource",
            description="Custom::RekognitionRunningModel: keeps a Rekognition Custom Labels model running",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=HANDLER_TIMEOUT,
            memory_size=256,
            log_group=self.log_group,
            # CloudFormation and EventBridge invoke asynchronously; a retried request would
            # answer twice, and the next scheduled poll retries anyway.
            retry_attempts=0,
            environment={
                contract.POLL_RULE_PREFIX_ENV: self.poll_rule_prefix,
                contract.LAMBDA_TIMEOUT_ENV: str(int(HANDLER_TIMEOUT.to_seconds())),
            },
        )
        poll_rules = stack.format_arn(service="events", resource="rule", resource_name=f"{self.poll_rule_prefix}*")
        # One invoke permission for every poll rule of this handler (SourceArn is matched as a
        # pattern), instead of one statement per request in the function's 20 KB resource policy.
        self.function.add_permission(
            "PollRulesInvoke",
            principal=iam.ServicePrincipal("events.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=poll_rules,
            source_account=stack.account,
        )
        self.poll_permission = self.function.node.find_child("PollRulesInvoke")
        self.polling_policy = iam.Policy(
            self,
            "PollingPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="PollRules",
                    actions=[
                        "events:DeleteRule",
                        "events:ListTargetsByRule",
                        "events:PutRule",
                        "events:PutTargets",
                        "events:RemoveTargets",
                    ],
                    resources=[poll_rules],
                ),
                # Held for the moment an answer is sent: a statement id that exists already tells a
                # second, overlapping invocation that the request is being answered.
                iam.PolicyStatement(
                    sid="TakeAnswerLock",
                    actions=["lambda:AddPermission"],
                    resources=[self.function.function_arn],
                    conditions={"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
                ),
                # Reading the policy finds locks that a killed invocation left behind, to release them.
                iam.PolicyStatement(
                    sid="ReleaseAnswerLocks",
                    actions=["lambda:GetPolicy", "lambda:RemovePermission"],
                    resources=[self.function.function_arn],
                ),
            ],
        )
        acknowledge_wildcard_resource(
            self.polling_policy,
            poll_rules,
            "The handler names each poll rule at deploy time (from the request it polls for), so no "
            "rule ARN is known at synth time; the statement covers only rules named with this "
            "handler's own prefix, which is unique to its stack, and only the calls that create, "
            "read and remove them.",
        )
        self._wildcards: set[str] = set()
        self._allow_releasing_any_version()

    def allow_model(self, version: ModelVersionArn) -> None:
        """Let the handler start ``version`` and register as its owner.

        Only versions a RunningModel declares may be started; stopping is allowed more widely
        (see ``_allow_releasing_any_version``).
        """
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["rekognition:StartProjectVersion"], resources=[version.arn])
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rekognition:TagResource"], resources=[version.arn], conditions=_OWNER_TAGS_ONLY
            )
        )

    def _allow_releasing_any_version(self) -> None:
        """Let the handler release and stop model versions that have left the template.

        CloudFormation updates this role's policy BEFORE it updates the custom resources, and
        deletes replaced or removed resources AFTER, under the new policy: the Delete of a
        version the template no longer names (blue/green, removal, rollback) must still be
        allowed. Those versions are unknown at synth time, so the statements cover the account's
        model versions in every region; the handler stops one only when its own resource held
        it and no other owner is left, and it can never START a version the template does not
        declare.
        """
        stack = Stack.of(self)
        any_version = f"arn:{stack.partition}:rekognition:*:{stack.account}:project/*/version/*/*"
        any_project = f"arn:{stack.partition}:rekognition:*:{stack.account}:project/*"
        why = (
            "Versions that leave the template (blue/green, removal, rollback) are released and "
            "stopped under the NEW policy, in CloudFormation's cleanup phase, so they cannot be named "
            "at synth time; the statement is limited to this account's model versions, the handler "
            "stops a version only when its own resource owned it and no other owner is left, and "
            "StartProjectVersion stays limited to the versions the template declares."
        )
        self._allow_wildcard(["rekognition:ListTagsForResource", "rekognition:StopProjectVersion"], any_version, why)
        self._allow_wildcard(["rekognition:UntagResource"], any_version, why, conditions=_OWNER_TAGS_ONLY)
        self._allow_wildcard(
            ["rekognition:DescribeProjectVersions"],
            any_project,
            "DescribeProjectVersions is authorized on the project ARN, which ends in the project's "
            "creation timestamp: the handler must observe versions that have left the template as well "
            "as the declared ones, whose project ARNs are unknown at synth time; read-only, this "
            "account only.",
        )
        self._allow_wildcard(
            ["rekognition:DescribeProjects"],
            "*",
            "rekognition:DescribeProjects has no resource-level permission (the Service Authorization "
            "Reference lists no resource type for it), so only Resource '*' allows it; the handler calls "
            "it only to find the ARN of a version's project when no project_arn was given (also for "
            "versions that have left the template). Read-only.",
        )

    def _allow_wildcard(
        self, actions: list[str], resource: str, reason: str, *, conditions: dict[str, Any] | None = None
    ) -> None:
        """Allow ``actions`` on the wildcard ``resource``, and acknowledge the finding on the policy holding it."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=[resource], conditions=conditions)
        )
        key = f"{Stack.of(self).resolve(resource)}"
        if key in self._wildcards:
            return
        self._wildcards.add(key)
        # iam.Role keeps added statements in its child "DefaultPolicy": the finding is reported there.
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge_wildcard_resource(policy, resource, reason)


# The handler may add and remove only its own ownership tags.
_OWNER_TAGS_ONLY = {"ForAllValues:StringLike": {"aws:TagKeys": [f"{contract.OWNER_TAG_PREFIX}*"]}}


def poll_rule_prefix(stack: Stack, path: str) -> str:
    """``RunningModel-<10 hex>-``: unique per stack name and construct path, every character varying.

    EventBridge allows 64 characters a rule name; this leaves room for the logical id and a suffix.
    """
    name = stack.stack_name if not Token.is_unresolved(stack.stack_name) else stack.node.addr
    return f"RunningModel-{hashlib.sha256(f'{name}|{path}'.encode()).hexdigest()[:10]}-"
