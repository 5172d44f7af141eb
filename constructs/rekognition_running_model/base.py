"""What every running model offers, declared in this stack or imported: its ARN, grants and metrics."""

from __future__ import annotations

from typing import Protocol, Unpack

from aws_cdk import IResource, Resource
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam

from . import metrics
from .arns import ModelVersionArn
from .metrics import MetricOptions


class IRunningModel(IResource, Protocol):
    """A Rekognition Custom Labels model version kept running by a stack, in this app or another.

    ``RunningModel`` is one; ``RunningModel.from_project_version_arn`` imports one declared
    elsewhere. ``RunningModelBase`` documents each member.
    """

    @property
    def project_version_arn(self) -> str: ...

    def grant_detect_custom_labels(self, grantee: iam.IGrantable) -> iam.Grant: ...

    def metric(self, metric_name: str, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_in_service_inference_units(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_desired_inference_units(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_successful_request_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_throttled_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_user_error_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_server_error_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...

    def metric_response_time(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric: ...


class RunningModelBase(Resource):
    """The members of IRunningModel, for a model version known by its ARN."""

    _version: ModelVersionArn

    @property
    def project_version_arn(self) -> str:
        """ARN of the model version."""
        return self._version.arn

    def grant_detect_custom_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call rekognition:DetectCustomLabels on this model version."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["rekognition:DetectCustomLabels"], resource_arns=[self._version.arn]
        )

    # Metrics. ``options`` are those of cloudwatch.MetricOptions (period, statistic, label, ...).

    def metric(self, metric_name: str, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Rekognition's metric ``metric_name`` for this model version.

        Namespace AWS/Rekognition, dimensions ProjectName and VersionName of the model, in the
        model's region. Default: Average (Sum for the request counts) over 5 minutes.
        """
        return metrics.model_metric(self._version, metric_name, options)

    def metric_in_service_inference_units(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Inference units the model runs on, and is billed for. Default: Average over 5 minutes."""
        return self.metric(metrics.IN_SERVICE_INFERENCE_UNITS, **options)

    def metric_desired_inference_units(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Inference units auto-scaling is moving the model to. Default: Average over 5 minutes."""
        return self.metric(metrics.DESIRED_INFERENCE_UNITS, **options)

    def metric_successful_request_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Requests to the model that succeeded. Default: Sum over 5 minutes."""
        return self.metric(metrics.SUCCESSFUL_REQUEST_COUNT, **options)

    def metric_throttled_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Requests to the model refused for throughput (more inference units help). Default: Sum over 5 minutes."""
        return self.metric(metrics.THROTTLED_COUNT, **options)

    def metric_user_error_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Requests to the model refused with a 4xx error (bad image, no permission). Default: Sum over 5 minutes."""
        return self.metric(metrics.USER_ERROR_COUNT, **options)

    def metric_server_error_count(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Requests to the model that failed with a 5xx error. Default: Sum over 5 minutes."""
        return self.metric(metrics.SERVER_ERROR_COUNT, **options)

    def metric_response_time(self, **options: Unpack[MetricOptions]) -> cloudwatch.Metric:
        """Milliseconds Rekognition took to answer a request to the model. Default: Average over 5 minutes."""
        return self.metric(metrics.RESPONSE_TIME, **options)
