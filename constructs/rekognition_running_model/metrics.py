"""CloudWatch metrics that Rekognition Custom Labels publishes for one model version.

Names, dimensions and statistics are those of the Rekognition developer guide ("CloudWatch
metrics for Rekognition"): namespace ``AWS/Rekognition``, dimensions ``ProjectName`` and
``VersionName``. The metrics live in the model's region.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch

from .arns import ModelVersionArn

NAMESPACE = "AWS/Rekognition"
DIMENSION_PROJECT = "ProjectName"
DIMENSION_VERSION = "VersionName"

IN_SERVICE_INFERENCE_UNITS = "InServiceInferenceUnits"
DESIRED_INFERENCE_UNITS = "DesiredInferenceUnits"
MIN_INFERENCE_UNITS = "MinInferenceUnits"
MAX_INFERENCE_UNITS = "MaxInferenceUnits"
SUCCESSFUL_REQUEST_COUNT = "SuccessfulRequestCount"
THROTTLED_COUNT = "ThrottledCount"
USER_ERROR_COUNT = "UserErrorCount"
SERVER_ERROR_COUNT = "ServerErrorCount"
RESPONSE_TIME = "ResponseTime"

# The statistic the guide names as valid (and recommends) for each metric.
DEFAULT_STATISTICS: dict[str, str] = {
    IN_SERVICE_INFERENCE_UNITS: cloudwatch.Stats.AVERAGE,
    DESIRED_INFERENCE_UNITS: cloudwatch.Stats.AVERAGE,
    MIN_INFERENCE_UNITS: cloudwatch.Stats.AVERAGE,
    MAX_INFERENCE_UNITS: cloudwatch.Stats.AVERAGE,
    SUCCESSFUL_REQUEST_COUNT: cloudwatch.Stats.SUM,
    THROTTLED_COUNT: cloudwatch.Stats.SUM,
    USER_ERROR_COUNT: cloudwatch.Stats.SUM,
    SERVER_ERROR_COUNT: cloudwatch.Stats.SUM,
    RESPONSE_TIME: cloudwatch.Stats.AVERAGE,
}


def model_metric(version: ModelVersionArn, metric_name: str, props: dict[str, Any]) -> cloudwatch.Metric:
    """``metric_name`` of ``version``; ``props`` are cloudwatch.MetricOptions and win over the defaults.

    Defaults: the statistic of DEFAULT_STATISTICS (Average for other names), CloudWatch's
    5-minute period, the model's region (an alarm in another region is refused by CDK).
    """
    for reserved in ("namespace", "metric_name"):
        if reserved in props:
            raise TypeError(f"metric(): {reserved!r} is set by RunningModel; pass it to cloudwatch.Metric instead")
    defaults: dict[str, Any] = {
        "dimensions_map": {DIMENSION_PROJECT: version.project, DIMENSION_VERSION: version.version},
        "statistic": DEFAULT_STATISTICS.get(metric_name, cloudwatch.Stats.AVERAGE),
        "region": version.region,
    }
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=metric_name, **{**defaults, **props})
