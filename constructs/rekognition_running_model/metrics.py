"""CloudWatch metrics that Rekognition Custom Labels publishes for one model version.

Names, dimensions and statistics are those of the Rekognition developer guide ("CloudWatch
metrics for Rekognition"): namespace ``AWS/Rekognition``, dimensions ``ProjectName`` and
``VersionName``. The metrics live in the model's region.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, TypedDict

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from . import contract
from .arns import ModelVersionArn

NAMESPACE = "AWS/Rekognition"
DIMENSION_PROJECT = contract.METRIC_DIMENSION_PROJECT
DIMENSION_VERSION = contract.METRIC_DIMENSION_VERSION

IN_SERVICE_INFERENCE_UNITS = "InServiceInferenceUnits"
DESIRED_INFERENCE_UNITS = "DesiredInferenceUnits"
MIN_INFERENCE_UNITS = "MinInferenceUnits"
MAX_INFERENCE_UNITS = "MaxInferenceUnits"
SUCCESSFUL_REQUEST_COUNT = "SuccessfulRequestCount"
THROTTLED_COUNT = "ThrottledCount"
USER_ERROR_COUNT = "UserErrorCount"
SERVER_ERROR_COUNT = "ServerErrorCount"
RESPONSE_TIME = "ResponseTime"


class MetricOptions(TypedDict, total=False):
    """The options of ``cloudwatch.MetricOptions``, as keyword arguments of the ``metric*`` methods.

    Each one defaults as in aws_cloudwatch.Metric, except those RunningModel sets: ``statistic``
    (Average, or Sum for the request counts), ``dimensions_map`` (the model's ProjectName and
    VersionName) and ``region`` (the model's).
    """

    account: str
    color: str
    dimensions_map: Mapping[str, str]
    id: str
    label: str
    period: Duration
    region: str
    stack_account: str
    stack_region: str
    statistic: str
    unit: cloudwatch.Unit
    visible: bool


OPTION_NAMES = frozenset(MetricOptions.__annotations__)


class AlarmOptions(TypedDict, total=False):
    """The options of ``cloudwatch.CreateAlarmOptions``, as keyword arguments of the ``alarm_*`` methods.

    Each ``alarm_*`` method documents its own defaults; any option given wins over them.
    """

    actions_enabled: bool
    alarm_description: str
    alarm_name: str
    comparison_operator: cloudwatch.ComparisonOperator
    datapoints_to_alarm: int
    evaluate_low_sample_count_percentile: str
    evaluation_periods: int
    threshold: float
    treat_missing_data: cloudwatch.TreatMissingData


ALARM_OPTION_NAMES = frozenset(AlarmOptions.__annotations__)

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


def model_metric(version: ModelVersionArn, metric_name: str, options: Mapping[str, Any]) -> cloudwatch.Metric:
    """``metric_name`` of ``version``; ``options`` are MetricOptions and win over the defaults.

    Defaults: the statistic of DEFAULT_STATISTICS (Average for other names), CloudWatch's
    5-minute period, the model's region (an alarm in another region is refused by CDK).
    """
    statistic = DEFAULT_STATISTICS.get(metric_name, cloudwatch.Stats.AVERAGE)
    return _version_metric(NAMESPACE, metric_name, version, region=version.region, statistic=statistic, options=options)


def repairs_metric(version: ModelVersionArn, region: str, options: Mapping[str, Any]) -> cloudwatch.Metric:
    """The handler's count of repairs of ``version`` (embedded metric format, in the handler's ``region``)."""
    return _version_metric(
        contract.REPAIRS_NAMESPACE,
        contract.REPAIRS_METRIC,
        version,
        region=region,
        statistic=cloudwatch.Stats.SUM,
        options=options,
    )


def guard_metric(
    metric_name: str, *, region: str, statistic: str, period: Duration, options: Mapping[str, Any]
) -> cloudwatch.Metric:
    """A count the RunningModelGuard publishes (embedded metric format, no dimensions, in its ``region``);
    ``options`` win over the defaults."""
    _check_options(options)
    defaults: dict[str, Any] = {"statistic": statistic, "period": period, "region": region}
    return cloudwatch.Metric(namespace=contract.METRICS_NAMESPACE, metric_name=metric_name, **{**defaults, **options})


def check_alarm_options(method: str, options: Mapping[str, Any]) -> None:
    """Refuse any option that is not one of cloudwatch.CreateAlarmOptions', naming the option meant."""
    unknown = sorted(set(options) - ALARM_OPTION_NAMES)
    if unknown:
        known = ", ".join(sorted(ALARM_OPTION_NAMES))
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, ALARM_OPTION_NAMES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            hints.append(f"unknown option {name!r}; {hint}options are those of cloudwatch.CreateAlarmOptions: {known}")
        raise TypeError(f"{method}(): {'; '.join(hints)}")


def _version_metric(
    namespace: str,
    metric_name: str,
    version: ModelVersionArn,
    *,
    region: str,
    statistic: str,
    options: Mapping[str, Any],
) -> cloudwatch.Metric:
    """A metric with the version's ProjectName and VersionName dimensions; ``options`` win over the defaults."""
    _check_options(options)
    defaults: dict[str, Any] = {
        "dimensions_map": {DIMENSION_PROJECT: version.project, DIMENSION_VERSION: version.version},
        "statistic": statistic,
        "region": region,
    }
    return cloudwatch.Metric(namespace=namespace, metric_name=metric_name, **{**defaults, **options})


def _check_options(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - OPTION_NAMES)
    if unknown:
        raise TypeError(f"metric(): {'; '.join(_unknown_option(name) for name in unknown)}")


def _unknown_option(name: str) -> str:
    """Why ``name`` is refused, with the option it was probably meant to be."""
    if name in ("namespace", "metric_name"):
        return f"{name!r} is set by RunningModel; pass it to cloudwatch.Metric instead"
    close = difflib.get_close_matches(name, OPTION_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    known = ", ".join(sorted(OPTION_NAMES))
    return f"unknown option {name!r}; {hint}options are those of cloudwatch.MetricOptions: {known}"
