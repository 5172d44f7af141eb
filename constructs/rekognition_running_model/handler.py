"""The one handler per stack that every RunningModel in the stack shares."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import contract
from .acknowledgements import acknowledge_wildcard_resource
from .arns import ModelVersionArn
from .bundling import HANDLER, RUNTIME, handler_code

# One handler invocation looks at its model for up to 50 s, plus up to 60 s for a throttled
# call with its retries (lambda/running_model/settings.py); this leaves room to answer.
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
        # Rule names and statement ids the handler makes for polling start with this prefix; it
        # is unique per handler, so this role can touch its own rules and nobody else's.
        self.poll_rule_prefix = f"RunningModel-{self.node.addr[:8]}-"
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
            environment={contract.POLL_RULE_PREFIX_ENV: self.poll_rule_prefix},
        )
        # A separate policy, because it names the function: in the role's default policy, on
        # which the function depends, it would make a cycle. Resources depend on it instead.
        poll_rules = stack.format_arn(service="events", resource="rule", resource_name=f"{self.poll_rule_prefix}*")
        self.polling_policy = iam.Policy(
            self,
            "PollingPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="PollRules",
                    actions=["events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets"],
                    resources=[poll_rules],
                ),
                iam.PolicyStatement(
                    sid="LetPollRulesInvoke",
                    actions=["lambda:AddPermission"],
                    resources=[self.function.function_arn],
                    conditions={"StringEquals": {"lambda:Principal": "events.amazonaws.com"}},
                ),
                iam.PolicyStatement(
                    sid="RemovePollPermissions",
                    actions=["lambda:RemovePermission"],
                    resources=[self.function.function_arn],
                ),
            ],
        )
        acknowledge_wildcard_resource(
            self.polling_policy,
            poll_rules,
            "The handler names each poll rule at deploy time (from the request it polls for), so no "
            "rule ARN is known at synth time; the statement covers only rules named with this "
            "handler's own prefix, which is unique to it, and only the four calls that create and remove them.",
        )
        self._wildcards: set[str] = set()

    def allow_model(self, version: ModelVersionArn, *, project_arn: str | None) -> None:
        """Let the handler start, stop and describe ``version``, and look up its project if ``project_arn`` is None."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rekognition:StartProjectVersion", "rekognition:StopProjectVersion"],
                resources=[version.arn],
            )
        )
        # DescribeProjectVersions is authorized on the project: project/<name>/<creation timestamp>.
        if project_arn is not None:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["rekognition:DescribeProjectVersions"], resources=[project_arn])
            )
            return
        self._allow_wildcard(
            "rekognition:DescribeProjectVersions",
            version.project_arn_pattern,
            "rekognition:DescribeProjectVersions is authorized on the project ARN, which ends in the "
            "project's creation timestamp; without project_arn that timestamp is unknown at synth time, "
            "so the statement covers the ARNs of the one project named in project_version_arn "
            "(give project_arn to scope it to that exact ARN).",
        )
        self._allow_wildcard(
            "rekognition:DescribeProjects",
            "*",
            "rekognition:DescribeProjects has no resource-level permission (the Service Authorization "
            "Reference lists no resource type for it), so only Resource '*' allows it; the handler calls "
            "it only to find the ARN of the project named in project_version_arn, and the statement is "
            "there only when a RunningModel has no project_arn.",
        )

    def _allow_wildcard(self, action: str, resource: str, reason: str) -> None:
        """Allow ``action`` on the wildcard ``resource`` once, and acknowledge the finding on the policy holding it."""
        key = f"{action} {Stack.of(self).resolve(resource)}"
        if key in self._wildcards:
            return
        self._wildcards.add(key)
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=[action], resources=[resource]))
        # iam.Role keeps added statements in its child "DefaultPolicy": the finding is reported there.
        policy = self.role.node.find_child("DefaultPolicy")
        acknowledge_wildcard_resource(policy, resource, reason)
