"""Timing of the handler: how often and for how long it looks at a model.

The defaults are production values. Tests shorten them through the environment variables
named below, never by changing the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Timing:
    """When to look at the model, and when to give up.

    - ``poll_interval_minutes``: crhelper's EventBridge schedule. Default: 1 (EventBridge's minimum).
    - ``step_seconds``: pause between two looks inside one invocation. Default: 10.
    - ``window_seconds``: how long one invocation keeps looking. With the default step it looks
      six times a minute, the last time about 10 s before the next scheduled invocation starts,
      so that looks are evenly spaced across invocations. Default: 50.
    - ``quiet_seconds``: after it starts or stops the model, the handler skips looks for this
      long: Rekognition takes minutes to start or stop a model, and the looks saved keep the
      handler within six DescribeProjectVersions calls a minute. Default: 30.
    - ``deadline_margin_seconds``: the handler gives up this long before CloudFormation's
      ServiceTimeout, to clean up and answer in time. Default: 90.
    - ``reserve_seconds``: no new look starts when the Lambda has less time than this left.
      Default: 60 (a throttled call with all its retries fits in it).
    """

    poll_interval_minutes: int = 1
    step_seconds: float = 10.0
    window_seconds: float = 50.0
    quiet_seconds: float = 30.0
    deadline_margin_seconds: float = 90.0
    reserve_seconds: float = 60.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Timing:
        """Defaults, overridden by ``RUNNING_MODEL_<FIELD>`` variables (e.g. RUNNING_MODEL_STEP_SECONDS)."""
        overrides: dict[str, Any] = {}
        for name in _SECONDS_FIELDS:
            raw = environ.get(f"RUNNING_MODEL_{name.upper()}")
            if raw:
                overrides[name] = float(raw)
        return replace(cls(), **overrides)


# Every timing in seconds can be overridden from the environment.
_SECONDS_FIELDS = tuple(field.name for field in fields(Timing) if field.name.endswith("_seconds"))
