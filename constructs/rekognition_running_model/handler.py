"""The one handler per stack that every RunningModel in the stack shares."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import contract
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
        self.polling_policy = iam.Policy(
            self,
            "PollingPolicy",
            roles=[self.role],
            statements=[
                iam.PolicyStatement(
                    sid="PollRules",
                    actions=["events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets"],
                    resources=[
                        stack.format_arn(service="events", resource="rule", resource_name=f"{self.poll_rule_prefix}*")
                    ],
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
        self._projects_looked_up = False

    def allow_model(self, version: ModelVersionArn, *, looks_up_project: bool) -> None:
        """Let the handler start, stop and describe ``version``, and look up its project if needed."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rekognition:StartProjectVersion", "rekognition:StopProjectVersion"],
                resources=[version.arn],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["rekognition:DescribeProjectVersions"], resources=[version.project_arn_pattern]
            )
        )
        if looks_up_project and not self._projects_looked_up:
            self._projects_looked_up = True
            # DescribeProjects has no resource-level permission: it only lists (ProjectNames filters).
            self.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["rekognition:DescribeProjects"], resources=["*"])
            )
