"""RunningModelGuard: an audit of every Custom Labels model of an account and region on a schedule,
published as CloudWatch metrics, with opt-in stops of the models nobody keeps running."""

from __future__ import annotations

from typing import Any, Unpack

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from . import contract, metrics
from .acknowledgements import acknowledge_handler, acknowledge_wildcard_resource
from .bundling import RUNTIME, handler_code
from .compliance import GUARD_WAIVERS, GuardTarget, GuardWildcard
from .handler import LOG_RETENTION
from .invocation import invoke, scheduler_role
from .log_group import GUARD_NAME_PREFIX, handler_log_group
from .metrics import AlarmOptions, MetricOptions
from .validation import guard_problems

# The guard's entry in the handler's asset (lambda/guard.py).
GUARD_HANDLER = "guard.handler"
# A survey reads every billed version's tags and asks CloudFormation about each owner, each call with
# botocore's retries: minutes for a large account, and the function's reserved concurrency of 1 keeps
# the next run waiting (in Lambda's queue of asynchronous events) until this one ends.
GUARD_TIMEOUT = Duration.minutes(5)
DEFAULT_EVERY = Duration.hours(1)
# What the schedule's event says of when it fired (EventBridge Scheduler fills it in).
_SCHEDULED_TIME = scheduler.ContextAttribute.scheduled_time
# The guard may remove only the handler's own tags (registrations), never a user's.
_OWN_TAGS_ONLY = {"ForAllValues:StringLike": {"aws:TagKeys": [f"{contract.TAG_PREFIX}*"]}}


class RunningModelGuard(Construct):
    """Audits every Rekognition Custom Labels model version of the account, in the stack's region, on a
    schedule, and publishes what it finds as CloudWatch metrics.

    Each run asks CloudFormation itself about every owner a running model has registered (the stack and
    logical id of each RunningModel that keeps it running): a model is FORGOTTEN when it is billed and
    every owner is stale (its stack deleted, or no longer holding the resource), UNMANAGED when it is
    billed and nobody ever registered it. The counts are metrics (``metric_*``), with ready alarms
    (``alarm_*``); with ``stop_forgotten`` (and ``stop_unmanaged``) the guard also stops those models.
    A model that a live stack declares, or whose owner CloudFormation gave no certain answer about, is
    never stopped.

    One per account and region: declare it in one stack of each region you run models in (a second one
    in the same stack, or in a stack of the same explicit account and region, is refused at synth time).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        every: Duration = DEFAULT_EVERY,
        stop_forgotten: bool = False,
        stop_unmanaged: bool = False,
        log_encryption_key: kms.IKey | None = None,
        log_retention: logs.RetentionDays = LOG_RETENTION,
    ) -> None:
        """Watch the models of the stack's account and region.

        :param scope: the construct to add it to.
        :param id: the construct id.
        :param every: how often the guard runs (an EventBridge Scheduler rate schedule), whole minutes from
            5 to 1440 (1 day); the first run is when the schedule is created. Also the default period of
            its metrics and alarms. Default: 1 hour.
        :param stop_forgotten: stop each FORGOTTEN model (billed, and every owner stale: CloudFormation says
            its stack is deleted or no longer holds the resource) and remove its stale registrations. The
            model's tags are read again just before; it is left running if a stack registered since.
            Default: False (report only).
        :param stop_unmanaged: also stop each UNMANAGED model (billed, and no stack ever registered as its
            owner: started by hand, or by other tools). Default: False (report only).
        :param log_encryption_key: KMS key that encrypts the guard's log group, which is then named
            ``/rekognition-running-model-guard/<stack name>/<uuid of the stack id>``. A ``kms.Key`` of the
            same stack gets a key policy statement that lets CloudWatch Logs of the stack's region use it
            for this log group only; the policy of any other key must allow that itself.
            Default: none (CloudWatch Logs encrypts with its own key).
        :param log_retention: how long the log group keeps the guard's logs. Default: one month.
        :raises ValueError: naming every invalid property, or the guard the stack (or the account and
            region) has already.
        """
        problems = guard_problems(every=every, stop_forgotten=stop_forgotten, stop_unmanaged=stop_unmanaged)
        path = f"{scope.node.path}/{id}" if scope.node.path else id
        if problems:
            raise ValueError(f"RunningModelGuard {path}: invalid properties\n  - " + "\n  - ".join(problems))
        other = _other_guard(Stack.of(scope))
        if other is not None:
            raise ValueError(
                f"RunningModelGuard {path}: {other.node.path} watches this account and region already; one "
                "guard watches every model of its account and region, so declare one per region (in one stack)"
            )
        super().__init__(scope, id)
        self.every = every
        self.stop_forgotten = stop_forgotten
        self.stop_unmanaged = stop_unmanaged
        self.role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Audits the Rekognition Custom Labels models of the account and region for RunningModelGuard",
        )
        self.log_group = handler_log_group(
            self,
            "LogGroup",
            encryption_key=log_encryption_key,
            retention=log_retention,
            name_prefix=GUARD_NAME_PREFIX,
        )
        self.log_group.grant_write(self.role)
        self._wildcards: set[str] = set()
        self._allow_survey_and_stops()
        self.function = lambda_.Function(
            self,
            "Resource",
            description="RunningModelGuard: audits the Rekognition Custom Labels models of the account and region",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=GUARD_HANDLER,
            code=handler_code(),
            role=self.role,
            timeout=GUARD_TIMEOUT,
            memory_size=256,
            log_group=self.log_group,
            # Two runs never overlap: a run that would starts once the other ends.
            reserved_concurrent_executions=1,
            # The next run surveys again anyway: a retry would only repeat this one.
            retry_attempts=0,
            environment={
                contract.GUARD_STOP_FORGOTTEN_ENV: _flag(stop_forgotten),
                contract.GUARD_STOP_UNMANAGED_ENV: _flag(stop_unmanaged),
            },
        )
        role = scheduler_role(self, self.function, description="Invokes the RunningModelGuard function on its schedule")
        self.schedule = scheduler.Schedule(
            self,
            "Schedule",
            description=f"RunningModelGuard {self.node.path}: audit of the Rekognition Custom Labels models",
            schedule=scheduler.ScheduleExpression.rate(every),
            target=invoke(
                self.function,
                role,
                {contract.GUARD_EVENT: {"ScheduledTime": scheduler.ContextAttribute.scheduled_time}},
            ),
        )
        acknowledge_handler(
            {
                GuardTarget.FUNCTION: [self.function],
                GuardTarget.LOG_GROUP: [self.log_group],
                GuardTarget.POLICIES: [
                    self.role.node.find_child("DefaultPolicy"),
                    role.node.find_child("DefaultPolicy"),
                ],
            },
            log_key=log_encryption_key is not None,
            waivers=GUARD_WAIVERS,
        )

    def _allow_survey_and_stops(self) -> None:
        """Read everywhere the survey looks; stop and untag only as configured."""
        stack = Stack.of(self)
        projects = stack.format_arn(service="rekognition", resource="project", resource_name="*")
        versions = stack.format_arn(service="rekognition", resource="project", resource_name="*/version/*/*")
        stacks = f"arn:{stack.partition}:cloudformation:*:{stack.account}:stack/*/*"
        self._allow("FindProjects", ["rekognition:DescribeProjects"], "*", GuardWildcard.DESCRIBE_PROJECTS)
        self._allow("FindVersions", ["rekognition:DescribeProjectVersions"], projects, GuardWildcard.PROJECTS)
        self._allow("ReadOwners", ["rekognition:ListTagsForResource"], versions, GuardWildcard.MODEL_VERSIONS)
        self._allow(
            "AskCloudFormation",
            ["cloudformation:DescribeStackResource", "cloudformation:DescribeStacks"],
            stacks,
            GuardWildcard.STACKS,
        )
        if self.stop_forgotten or self.stop_unmanaged:
            self._allow("StopModels", ["rekognition:StopProjectVersion"], versions, GuardWildcard.MODEL_VERSIONS)
        if self.stop_forgotten:
            self._allow(
                "RemoveStaleOwners",
                ["rekognition:UntagResource"],
                versions,
                GuardWildcard.MODEL_VERSIONS,
                conditions=_OWN_TAGS_ONLY,
            )

    def _allow(
        self,
        sid: str,
        actions: list[str],
        resource: str,
        why: GuardWildcard,
        *,
        conditions: dict[str, Any] | None = None,
    ) -> None:
        """Allow ``actions`` on the wildcard ``resource``, and acknowledge the finding once on the policy."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=actions, resources=[resource], conditions=conditions)
        )
        key = f"{Stack.of(self).resolve(resource)}"
        if key not in self._wildcards:  # once per resource: the finding names the resource, not the statement
            self._wildcards.add(key)
            acknowledge_wildcard_resource(self.role.node.find_child("DefaultPolicy"), resource, why)

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` run the guard on demand (lambda:InvokeFunction), with any event."""
        return self.function.grant_invoke(grantee)

    # Metrics: each run publishes one value of each (embedded metric format in the guard's log group):
    # namespace RekognitionRunningModel, no dimensions, in the stack's region. ``options`` are those of
    # cloudwatch.MetricOptions (period, statistic, label, ...).

    def metric_forgotten_models(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """FORGOTTEN model versions a run found (billed, every owner stale), whether or not it stopped them.
        Default: Maximum over ``every``."""
        return self._metric(contract.GUARD_FORGOTTEN_MODELS_METRIC, cloudwatch.Stats.MAXIMUM, options)

    def metric_unmanaged_models(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """UNMANAGED model versions a run found (billed, no owner), whether or not it stopped them.
        Default: Maximum over ``every``."""
        return self._metric(contract.GUARD_UNMANAGED_MODELS_METRIC, cloudwatch.Stats.MAXIMUM, options)

    def metric_forgotten_inference_units(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Inference units the FORGOTTEN versions a run found are billed for (the sum of their minimums).
        Default: Maximum over ``every``."""
        return self._metric(contract.GUARD_FORGOTTEN_UNITS_METRIC, cloudwatch.Stats.MAXIMUM, options)

    def metric_models_stopped(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Model versions the guard stopped (``stop_forgotten``, ``stop_unmanaged``). Default: Sum over ``every``."""
        return self._metric(contract.GUARD_STOPPED_METRIC, cloudwatch.Stats.SUM, options)

    def _metric(self, name: str, statistic: str, options: Any) -> cloudwatch.Metric:
        return metrics.guard_metric(
            name, region=Stack.of(self).region, statistic=statistic, period=self.every, options=options
        )

    # Alarms: ``options`` are those of cloudwatch.CreateAlarmOptions and win over the defaults. Each
    # method makes its alarm once, in this construct.

    def alarm_forgotten(self, **options: Unpack[AlarmOptions]) -> cloudwatch.Alarm:
        """ALARM while a run finds a FORGOTTEN model version: billed, and every stack that registered it
        is gone (a model ``cdk destroy`` should have stopped, and nothing will).

        Default: ``metric_forgotten_models()`` at least 1 over one period of ``every``; missing data is
        ignored (the alarm keeps its state: see ``alarm_not_reporting`` for a guard that stops running).
        """
        return self._alarm(
            "ForgottenAlarm",
            "alarm_forgotten",
            self.metric_forgotten_models(),
            "A Rekognition Custom Labels model is running (and billed) though every stack that registered it is "
            "gone. The guard's log says which (RunningModelGuard: found).",
            options,
        )

    def alarm_unmanaged(self, **options: Unpack[AlarmOptions]) -> cloudwatch.Alarm:
        """ALARM while a run finds an UNMANAGED model version: billed, and no stack ever registered it
        (started by hand, or by another tool).

        Default: ``metric_unmanaged_models()`` at least 1 over one period of ``every``; missing data is
        ignored (see ``alarm_not_reporting``).
        """
        return self._alarm(
            "UnmanagedAlarm",
            "alarm_unmanaged",
            self.metric_unmanaged_models(),
            "A Rekognition Custom Labels model is running (and billed) that no stack has registered. The "
            "guard's log says which (RunningModelGuard: found).",
            options,
        )

    def alarm_not_reporting(self, **options: Unpack[AlarmOptions]) -> cloudwatch.Alarm:
        """ALARM when no run has published its counts for two periods of ``every``: the guard fails (it
        cannot read Rekognition, say) or is not invoked, and ``alarm_forgotten`` would stay silent.

        Default: the number of runs (SampleCount of ``metric_forgotten_models()``) below 1 over a period of
        twice ``every``, missing data breaching. Right after the first deploy it may be in ALARM for the
        minute or two until the first run's counts arrive.
        """
        every = self.every.to_minutes()
        return self._alarm(
            "NotReportingAlarm",
            "alarm_not_reporting",
            self.metric_forgotten_models(statistic="SampleCount", period=Duration.minutes(2 * every)),
            f"The RunningModelGuard has published no counts for {2 * every} minutes: it fails or is not invoked "
            "(see its function's errors and log), and FORGOTTEN models would go unreported.",
            options,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )

    def _alarm(
        self,
        id: str,
        method: str,
        metric: cloudwatch.Metric,
        description: str,
        options: Any,
        *,
        comparison_operator: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.IGNORE,
    ) -> cloudwatch.Alarm:
        metrics.check_alarm_options(method, options)
        if self.node.try_find_child(id) is not None:
            raise ValueError(f"{method}(): {self.node.path} has made this alarm already; use the one it returned")
        defaults: dict[str, Any] = {
            "threshold": 1,
            "evaluation_periods": 1,
            "comparison_operator": comparison_operator,
            "treat_missing_data": treat_missing_data,
            "alarm_description": description,
        }
        return metric.create_alarm(self, id, **{**defaults, **options})


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _other_guard(stack: Stack) -> RunningModelGuard | None:
    """A guard of the app already in ``stack``, or in a stack of the same explicit account and region."""
    for construct in stack.node.root.node.find_all():
        if not isinstance(construct, RunningModelGuard):
            continue
        other = Stack.of(construct)
        if other is stack or (_explicit(stack) and _explicit(other) and _environment(other) == _environment(stack)):
            return construct
    return None


def _explicit(stack: Stack) -> bool:
    return not Token.is_unresolved(stack.account) and not Token.is_unresolved(stack.region)


def _environment(stack: Stack) -> tuple[str, str]:
    return stack.account, stack.region
