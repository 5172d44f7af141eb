"""RunningModel: a Rekognition Custom Labels model that runs exactly as long as the stack says."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnResource, CustomResource, Duration, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from . import contract, metrics
from .arns import ModelVersionArn
from .handler import RunningModelHandler
from .registry import ModelVersionRegistry
from .validation import problem, problems_with

# CloudFormation's own limit for a custom resource.
DEFAULT_TIMEOUT = Duration.minutes(60)
# The CloudFormation type of the custom resource each RunningModel adds.
RESOURCE_TYPE = "Custom::RekognitionRunningModel"


class RunningModel(Construct):
    """Starts a Rekognition Custom Labels model version on deploy and stops it on destroy.

    ``cdk deploy`` completes when the model is RUNNING with the requested inference units;
    ``cdk destroy`` when it is STOPPED. Changing ``project_version_arn`` starts the new version
    first and stops the old one once the new one runs (blue/green); changing the units restarts
    the model with them. ``metric_*`` methods give the model's CloudWatch metrics.

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
    ) -> None:
        super().__init__(scope, id)
        problems = problems_with(
            project_version_arn=project_version_arn,
            min_inference_units=min_inference_units,
            max_inference_units=max_inference_units,
            project_arn=project_arn,
            timeout=timeout,
        )
        if not problems and not Token.is_unresolved(project_version_arn):
            owner = ModelVersionRegistry.of(self).claim(project_version_arn, self.node.path)
            if owner:
                problems.append(
                    problem(
                        "project_version_arn",
                        f"{project_version_arn!r}, which {owner} runs already",
                        "one RunningModel per model version in an app",
                    )
                )
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
        self._resource = CustomResource(
            self,
            "Resource",
            service_token=handler.function.function_arn,
            resource_type=RESOURCE_TYPE,
            properties=properties,
            service_timeout=timeout,
        )
        # RETAIN keeps the model running when the resource leaves the stack, but a version
        # replaced by another (blue/green) is still stopped: DeletionPolicy only.
        cfn_resource = self._resource.node.default_child
        assert isinstance(cfn_resource, CfnResource)
        cfn_resource.apply_removal_policy(removal_policy, apply_to_update_replace_policy=False)
        # The handler must be allowed to poll (and its polls to invoke it) before it is first invoked.
        self._resource.node.add_dependency(handler.polling_policy, handler.poll_permission)
        self._version = version

    @property
    def project_version_arn(self) -> str:
        """ARN of the running model version; using it makes a resource wait until the model runs."""
        return self._resource.get_att_string(contract.ATTR_PROJECT_VERSION_ARN)

    @property
    def attr_status(self) -> str:
        """The model's status once deployed, as Rekognition reports it: RUNNING."""
        return self._resource.get_att_string(contract.ATTR_STATUS)

    @property
    def attr_min_inference_units(self) -> str:
        """Inference units the model runs with, as Rekognition reports them."""
        return self._resource.get_att_string(contract.ATTR_MIN_INFERENCE_UNITS)

    @property
    def attr_max_inference_units(self) -> str:
        """Auto-scaling limit of the model, as Rekognition reports it (the minimum when not auto-scaling)."""
        return self._resource.get_att_string(contract.ATTR_MAX_INFERENCE_UNITS)

    def grant_detect_custom_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call rekognition:DetectCustomLabels on this model version."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["rekognition:DetectCustomLabels"], resource_arns=[self._version.arn]
        )

    # Metrics. ``props`` are those of cloudwatch.MetricOptions (period, statistic, label, ...).

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """Rekognition's metric ``metric_name`` for this model version.

        Namespace AWS/Rekognition, dimensions ProjectName and VersionName of the model, in the
        model's region. Default: Average (Sum for the request counts) over 5 minutes.
        """
        return metrics.model_metric(self._version, metric_name, props)

    def metric_in_service_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units the model runs on, and is billed for. Default: Average over 5 minutes."""
        return self.metric(metrics.IN_SERVICE_INFERENCE_UNITS, **props)

    def metric_desired_inference_units(self, **props: Any) -> cloudwatch.Metric:
        """Inference units auto-scaling is moving the model to. Default: Average over 5 minutes."""
        return self.metric(metrics.DESIRED_INFERENCE_UNITS, **props)

    def metric_successful_request_count(self, **props: Any) -> cloudwatch.Metric:
        """Requests to the model that succeeded. Default: Sum over 5 minutes."""
        return self.metric(metrics.SUCCESSFUL_REQUEST_COUNT, **props)

    def metric_throttled_count(self, **props: Any) -> cloudwatch.Metric:
        """Requests to the model refused for throughput (more inference units help). Default: Sum over 5 minutes."""
        return self.metric(metrics.THROTTLED_COUNT, **props)

    def metric_user_error_count(self, **props: Any) -> cloudwatch.Metric:
        """Requests to the model refused with a 4xx error (bad image, no permission). Default: Sum over 5 minutes."""
        return self.metric(metrics.USER_ERROR_COUNT, **props)

    def metric_server_error_count(self, **props: Any) -> cloudwatch.Metric:
        """Requests to the model that failed with a 5xx error. Default: Sum over 5 minutes."""
        return self.metric(metrics.SERVER_ERROR_COUNT, **props)

    def metric_response_time(self, **props: Any) -> cloudwatch.Metric:
        """Milliseconds Rekognition took to answer a request to the model. Default: Average over 5 minutes."""
        return self.metric(metrics.RESPONSE_TIME, **props)
