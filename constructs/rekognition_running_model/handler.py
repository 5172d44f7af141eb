"""The one handler per stack that every RunningModel in the stack shares."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnResource, CustomResource, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from . import contract
from .acknowledgements import acknowledge_handler, acknowledge_wildcard_resource
from .arns import ModelVersionArn
from .bundling import HANDLER, RUNTIME, handler_code
from .compliance import Target, Wildcard
from .invocation import SCHEDULER_ROLE_ID, invoke, scheduler_role
from .log_group import handler_log_group

# One handler invocation looks at its model for up to 50 s, keeps 60 s in reserve and allows 31 s
# for a throttled call with all its retries; the handler checks that this fits in the timeout it
# is given (lambda/running_model/settings.py, Timing.problems).
HANDLER_TIMEOUT = Duration.minutes(3)
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


@dataclass(frozen=True)
class HandlerOptions:
    """What ``RunningModelHandler.configure`` may choose."""

    log_encryption_key: kms.IKey | None = None
    log_retention: logs.RetentionDays = LOG_RETENTION

    def __str__(self) -> str:
        key = "None" if self.log_encryption_key is None else self.log_encryption_key.node.path
        return f"log_encryption_key={key}, log_retention={self.log_retention.name}"


class RunningModelHandler(Construct):
    """Lambda function, role and log group of Custom::RekognitionRunningModel: one per stack.

    Every RunningModel of a stack uses the handler ``RunningModelHandler.of(scope)`` finds or makes.
    To choose its options, call ``RunningModelHandler.configure(scope, ...)`` before the stack's
    first RunningModel.
    """

    ID = "RekognitionRunningModelHandler"

    @classmethod
    def of(cls, scope: Construct) -> RunningModelHandler:
        """The handler of ``scope``'s stack: the one ``configure`` made, else a new one with the defaults."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(cls.ID)
        if isinstance(existing, RunningModelHandler):
            return existing
        handler = cls(stack, cls.ID)
        handler._made_for = scope.node.path
        return handler

    @classmethod
    def configure(
        cls,
        scope: Construct,
        *,
        log_encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = LOG_RETENTION,
    ) -> RunningModelHandler:
        """Make the handler of ``scope``'s stack with these options, before the stack's first RunningModel.

        :param scope: any construct of the stack.
        :param log_encryption_key: KMS key that encrypts the handler's log group and its ledger (the
            DynamoDB table of leases, requests and answers). A ``kms.Key`` of the same stack gets a key
            policy statement that lets CloudWatch Logs of the stack's region use it for this log group
            only; the policy of any other key (imported, or of another stack) must allow that itself
            (see the README). The log group is then named
            ``/rekognition-running-model/<stack name>/<uuid of the stack id>``. The handler's role may
            use the key through DynamoDB only.
            Default: none (CloudWatch Logs and DynamoDB encrypt with their own keys).
        :param log_retention: how long the log group keeps the handler's logs. Default: one month.
        :raises ValueError: if the stack's handler exists already: made for a RunningModel declared
            before this call, or configured with other options. The same options again return it.
        """
        stack = Stack.of(scope)
        options = HandlerOptions(log_encryption_key=log_encryption_key, log_retention=log_retention)
        existing = stack.node.try_find_child(cls.ID)
        if isinstance(existing, RunningModelHandler):
            if existing._made_for is not None:
                raise ValueError(
                    f"RunningModelHandler.configure({stack.node.path}): the stack's handler exists already, made "
                    f"with the default options for {existing._made_for}; call RunningModelHandler.configure "
                    "before the stack's first RunningModel."
                )
            if existing.options != options:
                raise ValueError(
                    f"RunningModelHandler.configure({stack.node.path}): the stack's handler is configured "
                    f"already with {existing.options}, not {options}; configure it once per stack."
                )
            return existing
        return cls(stack, cls.ID, log_encryption_key=log_encryption_key, log_retention=log_retention)

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        log_encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = LOG_RETENTION,
    ) -> None:
        """Use ``of`` or ``configure`` instead: they keep to one handler per stack.

        :param scope: the stack.
        :param id: ``RunningModelHandler.ID``, where ``of`` looks.
        :param log_encryption_key: as ``configure``'s. Default: none.
        :param log_retention: as ``configure``'s. Default: one month.
        """
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.options = HandlerOptions(log_encryption_key=log_encryption_key, log_retention=log_retention)
        # The path of the RunningModel that ``of`` made this handler for; None when ``configure`` made it.
        self._made_for: str | None = None
        # Rule names the handler makes for polling start with this prefix; it is unique per stack
        # (stack name and path), so this role can touch its own rules and nobody else's.
        self.poll_rule_prefix = poll_rule_prefix(stack, self.node.path)
        self.role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Starts and stops Rekognition Custom Labels models for Custom::RekognitionRunningModel",
        )
        self.log_group = handler_log_group(self, "LogGroup", encryption_key=log_encryption_key, retention=log_retention)
        self.log_group.grant_write(self.role)
        self.ledger = self._ledger(log_encryption_key)
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
                contract.LEDGER_TABLE_ENV: self.ledger.table_name,
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
                # The ledger's items: conditional writes and consistent reads, one item at a time.
                iam.PolicyStatement(
                    sid="Ledger",
                    actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                    resources=[self.ledger.table_arn],
                ),
            ],
        )
        if log_encryption_key is not None:
            # The ledger's items are encrypted with the key: the role may use it through DynamoDB only.
            self.polling_policy.add_statements(
                iam.PolicyStatement(
                    sid="LedgerKey",
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                    resources=[log_encryption_key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}"}},
                )
            )
        acknowledge_wildcard_resource(self.polling_policy, poll_rules, Wildcard.POLL_RULES)
        self._wildcards: set[str] = set()
        self._allow_releasing_any_version()
        acknowledge_handler(
            {
                Target.FUNCTION: [self.function],
                Target.LOG_GROUP: [self.log_group],
                Target.LEDGER: [self.ledger],
                Target.POLICIES: [self.role.node.find_child("DefaultPolicy"), self.polling_policy],
            },
            log_key=log_encryption_key is not None,
        )

    def _ledger(self, encryption_key: kms.IKey | None) -> dynamodb.Table:
        """The handler's ledger (its table of leases, requests and answers), encrypted with
        ``encryption_key`` when one is given. Its items expire by themselves, and it goes with the stack."""
        return dynamodb.Table(
            self,
            "Ledger",
            partition_key=dynamodb.Attribute(name=contract.LEDGER_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=contract.LEDGER_EXPIRES_AT,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED
            if encryption_key is not None
            else dynamodb.TableEncryption.AWS_MANAGED,
            encryption_key=encryption_key,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def invoke_on_schedule(
        self,
        scope: Construct,
        id: str,
        *,
        resource: CustomResource,
        properties: Mapping[str, object],
        event_key: str,
        expression: scheduler.ScheduleExpression,
        description: str,
    ) -> scheduler.Schedule:
        """A schedule in ``scope`` that invokes this handler with ``{event_key: ...}`` about ``resource``.

        The event names the resource (the stack and logical id, as CloudFormation's requests do)
        and carries its properties. The schedule depends on the resource, so it starts after the
        resource is created and goes before it is deleted.
        """
        stack = Stack.of(self)
        assert isinstance(resource.node.default_child, CfnResource)
        event = {
            event_key: {
                "StackId": stack.stack_id,
                "LogicalResourceId": stack.get_logical_id(resource.node.default_child),
                "ResourceProperties": dict(properties),
            }
        }
        schedule = scheduler.Schedule(
            scope,
            id,
            description=f"Custom::RekognitionRunningModel: {description} of {scope.node.path}",
            schedule=expression,
            target=invoke(self.function, self._scheduler_role(), event),
        )
        schedule.node.add_dependency(resource)
        return schedule

    def _scheduler_role(self) -> iam.Role:
        """The one role the stack's schedules (repair, running windows) invoke the handler with (made at first use)."""
        existing = self.node.try_find_child(SCHEDULER_ROLE_ID)
        if isinstance(existing, iam.Role):
            return existing
        role = scheduler_role(
            self,
            self.function,
            description="Invokes the Custom::RekognitionRunningModel handler for drift repair and running windows",
        )
        acknowledge_handler(
            {
                Target.FUNCTION: [],
                Target.LOG_GROUP: [],
                Target.LEDGER: [],
                Target.POLICIES: [role.node.find_child("DefaultPolicy")],
            },
            log_key=self.options.log_encryption_key is not None,
        )
        return role

    def allow_model(self, version: ModelVersionArn) -> None:
        """Let the handler start ``version``.

        Only versions a RunningModel declares may be started; registering as an owner and stopping
        are allowed more widely (see ``_allow_releasing_any_version``).
        """
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["rekognition:StartProjectVersion"], resources=[version.arn])
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
        stop = ["rekognition:ListTagsForResource", "rekognition:StopProjectVersion"]
        self._allow_wildcard(stop, any_version, Wildcard.MODEL_VERSIONS)
        self._allow_wildcard(
            ["rekognition:TagResource", "rekognition:UntagResource"],
            any_version,
            Wildcard.MODEL_VERSIONS,
            conditions=_OWN_TAGS_ONLY,
        )
        self._allow_wildcard(["rekognition:DescribeProjectVersions"], any_project, Wildcard.PROJECTS)
        self._allow_wildcard(["rekognition:DescribeProjects"], "*", Wildcard.DESCRIBE_PROJECTS)

    def _allow_wildcard(
        self, actions: list[str], resource: str, why: Wildcard, *, conditions: dict[str, Any] | None = None
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
        acknowledge_wildcard_resource(policy, resource, why)


# The handler may add and remove only its own tags: ownership, and the measured start times.
_OWN_TAGS_ONLY = {"ForAllValues:StringLike": {"aws:TagKeys": [f"{contract.TAG_PREFIX}*"]}}


def poll_rule_prefix(stack: Stack, path: str) -> str:
    """``RunningModel-<10 hex>-``: unique per stack name and construct path, every character varying.

    EventBridge allows 64 characters a rule name; this leaves room for the logical id and a suffix.
    """
    name = stack.stack_name if not Token.is_unresolved(stack.stack_name) else stack.node.addr
    return f"RunningModel-{hashlib.sha256(f'{name}|{path}'.encode()).hexdigest()[:10]}-"
