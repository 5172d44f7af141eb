"""The handler's log group, and the KMS key policy statement that lets CloudWatch Logs encrypt it."""

from __future__ import annotations

from aws_cdk import ArnFormat, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

# What CloudWatch Logs needs of a log group's KMS key, as the CloudWatch Logs User Guide states it.
LOGS_KEY_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
# Names of encrypted handler log groups start with this, then the stack name and the stack id's uuid;
# those of the RunningModelGuard's with GUARD_NAME_PREFIX.
NAME_PREFIX = "/rekognition-running-model"
GUARD_NAME_PREFIX = "/rekognition-running-model-guard"


def handler_log_group(
    scope: Construct,
    id: str,
    *,
    encryption_key: kms.IKey | None,
    retention: logs.RetentionDays,
    name_prefix: str = NAME_PREFIX,
) -> logs.LogGroup:
    """A log group kept when the stack is deleted; encrypted with ``encryption_key`` if given (and then
    named ``<name_prefix>/<stack name>/<uuid of the stack id>``).

    A ``kms.Key`` of the same stack gets the key policy statement CloudWatch Logs needs, for this log
    group only; any other key's policy is left as it is (it cannot be changed from here).
    """
    if encryption_key is None:
        return logs.LogGroup(scope, id, retention=retention, removal_policy=RemovalPolicy.RETAIN)
    stack = Stack.of(scope)
    # The key policy names the log group, and the log group names the key: a name made from the
    # stack alone breaks that cycle. The stack id's uuid keeps the name unique when a deleted stack
    # (whose log group is retained) is deployed again under the same name.
    name = Fn.join("/", [name_prefix, stack.stack_name, Fn.select(2, Fn.split("/", stack.stack_id))])
    log_group = logs.LogGroup(
        scope,
        id,
        log_group_name=name,
        encryption_key=encryption_key,
        retention=retention,
        removal_policy=RemovalPolicy.RETAIN,
    )
    # A key of another stack would make each stack depend on the other.
    if isinstance(encryption_key, kms.Key) and Stack.of(encryption_key) is stack:
        arn = stack.format_arn(
            service="logs", resource="log-group", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        encryption_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.{stack.url_suffix}")],
                actions=LOGS_KEY_ACTIONS,
                resources=["*"],
                conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arn}},
            )
        )
    return log_group
