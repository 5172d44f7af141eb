"""How EventBridge Scheduler invokes one of the library's functions: a role for that function alone,
and a target that never retries (the next event looks again anyway)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

SCHEDULER_ROLE_ID = "SchedulerRole"


def scheduler_role(scope: Construct, function: lambda_.IFunction, *, description: str) -> iam.Role:
    """A role (``scope``'s child ``SchedulerRole``) that EventBridge Scheduler of the stack's account assumes
    to invoke ``function``, and nothing else."""
    role = iam.Role(
        scope,
        SCHEDULER_ROLE_ID,
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
        ),
        description=description,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
    )
    return role


def invoke(function: lambda_.IFunction, role: iam.Role, event: dict[str, Any]) -> scheduler_targets.LambdaInvoke:
    """A schedule's target that invokes ``function`` with ``event`` as ``role`` (see ``scheduler_role``)."""
    return scheduler_targets.LambdaInvoke(
        function,
        input=scheduler.ScheduleTargetInput.from_object(event),
        # The target would grant the function and its versions (function:*); the role already holds a
        # statement for the function alone.
        role=role.without_policy_updates(),
        # The next event looks again anyway: a retry would only overlap it.
        retry_attempts=0,
    )
