"""CloudWatch's embedded metric format: one JSON log line that CloudWatch Logs turns into metrics.

Lambda sends a function's stdout to its log group, where CloudWatch Logs extracts each metric of such a
line, with no cloudwatch:PutMetricData permission and no call to make. The drift repair counts its
repairs this way (repair.py), and the RunningModelGuard publishes what each run finds (guarding.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

COUNT = "Count"


def metric_line(
    namespace: str,
    values: Mapping[str, float],
    *,
    now: float,
    dimensions: Mapping[str, str] | None = None,
    properties: Mapping[str, Any] | None = None,
) -> str:
    """One log line publishing each of ``values`` (metric name -> count) in ``namespace`` at ``now`` (epoch
    seconds), with ``dimensions`` (name -> value; none: the metrics have no dimension) and ``properties``
    (more members for people and CloudWatch Logs Insights, not metrics)."""
    named = dict(dimensions or {})
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(now * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        # One dimension set; an empty one publishes the metrics without dimensions.
                        "Dimensions": [list(named)],
                        "Metrics": [{"Name": name, "Unit": COUNT} for name in values],
                    }
                ],
            },
            **named,
            **values,
            **(properties or {}),
        }
    )
