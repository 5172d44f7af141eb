"""RunningModel: a Rekognition Custom Labels model that runs exactly as long as the stack says."""

from __future__ import annotations

import warnings
from typing import Unpack

from aws_cdk import Annotations, CfnResource, CustomResource, Duration, RemovalPolicy, TimeZone, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from . import contract, metrics
from .arns import ModelVersionArn
from .base import IRunningModel, RunningModelBase
from .handler import RunningModelHandler
from .metrics import MetricOptions
from .registry import ModelVersionRegistry
from .schedule import RunningSchedule, schedule_points, schedule_property
from .validation import problem, problems_with, problems_with_arn

# CloudFormation's own limit for a custom resource.
DEFAULT_TIMEOUT = Duration.minutes(60)
# The CloudFormation type of the custom resource each RunningModel adds.
RESOURCE_TYPE = "Custom::RekognitionRunningModel"
# The id of the warning on a version token that two RunningModels use (Annotations.acknowledge_warning).
SHARED_TOKEN_WARNING = "rekognition-running-model:versionTokenShared"


class RunningModel(RunningModelBase):
    """Starts a Rekognition Custom Labels model version on deploy and stops it on destroy.

    ``cdk deploy`` completes when the model is RUNNING with the requested inference units;
    ``cdk destroy`` when it is STOPPED. Changing ``project_version_arn`` starts the new version
    first and stops the old one once the new one runs (blue/green); changing the units restarts
    the model with them. ``grant_*`` and ``metric_*`` methods give access and CloudWatch metrics;
    ``RunningModel.from_project_version_arn`` gives them for a model another stack declares.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project_version_arn: str,
        min_inference_units: int = 1,
        max_inference_units: int | None = None,
        project_arn: str | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        min_f1_score: float | None = None,
        repair_every: Duration | None = None,
        schedule: RunningSchedule | None = None,
    ) -> None:
        """Declare that the stack keeps ``project_version_arn`` running.

        :param scope: the construct to add it to; its stack gets the shared handler.
        :param id: the construct id.
        :param project_version_arn: ARN of the model version to run.
        :param min_inference_units: inference units the model runs with, and is billed for. Default: 1.
        :param max_inference_units: upper limit for Rekognition's auto-scaling. Default: none (no auto-scaling).
        :param project_arn: ARN of the model's project. Default: looked up by project name at deploy
            time (rekognition:DescribeProjects), once per request.
        :param timeout: how long deploy and destroy wait for the model, 5 to 60 minutes.
            Default: 60 minutes (CloudFormation's maximum for a custom resource).
        :param removal_policy: RETAIN leaves the model running when the resource leaves the stack
            (a version replaced by a new ``project_version_arn`` is still stopped).
            Default: RemovalPolicy.DESTROY (stop it, unless another resource still owns it).
        :param min_f1_score: the promotion gate: a deploy starts the version only if its F1 score
            (EvaluationResult.F1Score) is at least this, above 0 and at most 1; otherwise it fails
            saying so and starts nothing, and on a blue/green update the old version keeps serving.
            Default: none (no gate).
        :param repair_every: drift repair: how often an EventBridge Scheduler schedule has the
            handler re-assert the declared state, whole minutes from 1 to 1440. A model this resource
            owns that was stopped out of band, or found FAILED, is started again (never while a
            deploy of the resource runs, nor once it is deleted); each repair is logged and counted
            in ``metric_repairs()``. Default: none (no repair).
        :param schedule: running windows: the model runs only inside them, RUNNING when a window
            opens (started ahead by its own measured start time) and STOPPED when it closes, unless
            another resource wants it running; a deploy completes in the state the schedule wants
            then. Default: none (running all the time).
        :raises ValueError: naming every invalid property, and the version's other RunningModel.
        """
        super().__init__(scope, id)
        problems = problems_with(
            project_version_arn=project_version_arn,
            min_inference_units=min_inference_units,
            max_inference_units=max_inference_units,
            project_arn=project_arn,
            timeout=timeout,
            min_f1_score=min_f1_score,
            repair_every=repair_every,
        )
        if schedule is not None:
            problems += (
                schedule.problems()
                if isinstance(schedule, RunningSchedule)
                else [problem("schedule", repr(schedule), "a RunningSchedule")]
            )
        if not problems:
            problems += self._claim(project_version_arn)
        if problems:
            raise ValueError(f"RunningModel {self.node.path}: invalid properties\n  - " + "\n  - ".join(problems))

        version = ModelVersionArn.of(project_version_arn)
        handler = RunningModelHandler.of(self)
        handler.allow_model(version)

        properties: dict[str, object] = {
            contract.PROP_PROJECT_VERSION_ARN: project_version_arn,
            contract.PROP_MIN_INFERENCE_UNITS: min_inference_units,
        }
        if max_inference_units is not None:
            properties[contract.PROP_MAX_INFERENCE_UNITS] = max_inference_units
        if project_arn is not None:
            properties[contract.PROP_PROJECT_ARN] = project_arn
        if min_f1_score is not None:
            properties[contract.PROP_MIN_F1_SCORE] = min_f1_score
        if schedule is not None:
            properties[contract.PROP_SCHEDULE] = schedule_property(schedule)
        self._resource = CustomResource(
            self,
            "Resource",
            service_token=handler.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=timeout,
        )
        self.apply_removal_policy(removal_policy)
        # The handler must be allowed to poll (and its polls to invoke it) before it is first invoked.
        self._resource.node.add_dependency(handler.polling_policy, handler.poll_permission)
        self._version = version
        if repair_every is not None:
            handler.invoke_on_schedule(
                self,
                "Repair",
                resource=self._resource,
                properties=properties,
                event_key=contract.REPAIR_EVENT,
                expression=scheduler.ScheduleExpression.rate(repair_every),
                description="drift repair",
            )
        if schedule is not None:
            zone = TimeZone.of(schedule.time_zone)
            for index, point in enumerate(schedule_points(schedule)):
                handler.invoke_on_schedule(
                    self,
                    f"Window{point.kind.capitalize()}{index}",
                    resource=self._resource,
                    properties=properties,
                    event_key=contract.WINDOW_EVENT,
                    expression=scheduler.ScheduleExpression.expression(
                        point.expression, TimeZone.ETC_UTC if point.utc else zone
                    ),
                    description=point.description,
                )

    @classmethod
    def from_project_version_arn(cls, scope: Construct, id: str, project_version_arn: str) -> IRunningModel:
        """A model version that another stack keeps running, for grants and metrics here.

        Nothing is added to this stack's template, and nothing waits for the model: declare a
        dependency on the other stack for that.

        :raises ValueError: when ``project_version_arn`` is not a model version ARN.
        """
        problems = problems_with_arn(project_version_arn)
        if problems:
            raise ValueError(
                f"RunningModel.from_project_version_arn {id!r}: invalid ARN\n  - " + "\n  - ".join(problems)
            )
        return _ImportedRunningModel(scope, id, ModelVersionArn.of(project_version_arn))

    def _claim(self, project_version_arn: str) -> list[str]:
        """Record this RunningModel as the app's one for the version: problems if another is already.

        A token cannot be compared with other values at synth time; the same token twice is only
        warned about, since a second stack may deliberately share a model (ownership allows it).
        """
        owner = ModelVersionRegistry.of(self).claim(project_version_arn, self.node.path)
        if owner is None:
            return []
        if Token.is_unresolved(project_version_arn):
            Annotations.of(self).add_warning_v2(
                SHARED_TOKEN_WARNING,
                f"project_version_arn: the same token as {owner}; both resources own the model version "
                "it resolves to, and it stops only when both are gone. Use one RunningModel per version, "
                "or acknowledge this warning if sharing is what you want.",
            )
            return []
        return [
            problem(
                "project_version_arn",
                f"{project_version_arn!r}, which {owner} runs already",
                "one RunningModel per model version in an app",
            )
        ]

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """What deleting the resource does: DESTROY stops the model, RETAIN leaves it running.

        It sets the DeletionPolicy only: a version replaced by a new ``project_version_arn``
        (blue/green) is still stopped.
        """
        cfn_resource = self._resource.node.default_child
        assert isinstance(cfn_resource, CfnResource)
        cfn_resource.apply_removal_policy(policy, apply_to_update_replace_policy=False)

    # Attributes, as the handler reports them once the model runs.

    @property
    def project_version_arn(self) -> str:
        """ARN of the running model version; using it makes a resource wait until the model runs."""
        return self._resource.get_att_string(contract.ATTR_PROJECT_VERSION_ARN)

    @property
    def status(self) -> str:
        """The model's status once deployed, as Rekognition reports it: RUNNING."""
        return self._resource.get_att_string(contract.ATTR_STATUS)

    @property
    def min_inference_units(self) -> str:
        """Inference units the model runs with, as Rekognition reports them."""
        return self._resource.get_att_string(contract.ATTR_MIN_INFERENCE_UNITS)

    @property
    def max_inference_units(self) -> str:
        """Auto-scaling limit of the model, as Rekognition reports it (the minimum when not auto-scaling)."""
        return self._resource.get_att_string(contract.ATTR_MAX_INFERENCE_UNITS)

    def metric_repairs(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Repairs the handler made to this model version (``repair_every``). Default: Sum over 5 minutes.

        Namespace RekognitionRunningModel, dimensions ProjectName and VersionName, in the stack's
        region (where the handler logs it), not the model's.
        """
        return metrics.repairs_metric(self._version, self.stack.region, options)

    @property
    def attr_status(self) -> str:
        """Deprecated: use ``status``."""
        return _deprecated("attr_status", "status", self.status)

    @property
    def attr_min_inference_units(self) -> str:
        """Deprecated: use ``min_inference_units``."""
        return _deprecated("attr_min_inference_units", "min_inference_units", self.min_inference_units)

    @property
    def attr_max_inference_units(self) -> str:
        """Deprecated: use ``max_inference_units``."""
        return _deprecated("attr_max_inference_units", "max_inference_units", self.max_inference_units)


class _ImportedRunningModel(RunningModelBase):
    """A model version declared in another stack: its grants and metrics, and nothing in this template."""

    def __init__(self, scope: Construct, id: str, version: ModelVersionArn) -> None:
        super().__init__(scope, id, environment_from_arn=version.arn)
        self._version = version


def _deprecated(old: str, new: str, value: str) -> str:
    warnings.warn(f"RunningModel.{old} is deprecated; use RunningModel.{new}", DeprecationWarning, stacklevel=3)
    return value
