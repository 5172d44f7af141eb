"""Timing of the handler and its AWS clients: how often and for how long it looks at a model,
and how long one call may take. These numbers depend on each other; ``Timing.problems`` checks
that they fit, and the handler refuses to run (answering FAILED, saying why) when they do not.

The defaults are production values. Tests shorten them through the environment variables
named below, never by changing the defaults.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from botocore.config import Config

from . import contract

# Every AWS client of the handler: explicit retries (the Lambda runtime's boto3 defaults to the
# 'legacy' mode) and timeouts: at most 5 s to connect and 15 s for a reply.
CLIENT_ATTEMPTS = 6
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": CLIENT_ATTEMPTS},
    connect_timeout=5,
    read_timeout=15,
    user_agent_extra="rekognition-running-model",
)
# botocore's standard mode sleeps up to 2**(n-1) s (at most 20 s) before its n-th retry: a call
# throttled on every attempt gives up after at most this long.
_MAX_BACKOFF_SECONDS = 20.0
LONGEST_THROTTLED_CALL_SECONDS = sum(min(2.0**n, _MAX_BACKOFF_SECONDS) for n in range(CLIENT_ATTEMPTS - 1))
# CloudFormation's default for the handler's Lambda timeout when the construct did not say (180 s).
_DEFAULT_LAMBDA_TIMEOUT_SECONDS = 180.0


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
    - ``lambda_timeout_seconds``: the function's timeout, which the construct passes in the
      environment (``contract.LAMBDA_TIMEOUT_ENV``). Default: 180.
    - ``deadline_margin_seconds``: the handler gives up this long before CloudFormation's
      ServiceTimeout, to clean up and answer in time. Default: 90.
    - ``reserve_seconds``: no new look starts when the Lambda has less time than this left.
      Default: 60 (a throttled call with all its retries fits in it).
    - ``sparse_limit_seconds``: the longest gap between two looks at a model that cannot be ready
      yet (cadence.py): a start before its dense phase, a wait nobody timed. At most
      ``step_seconds``, every step is a look throughout. Default: 300.
    """

    poll_interval_minutes: int = 1
    lambda_timeout_seconds: float = _DEFAULT_LAMBDA_TIMEOUT_SECONDS
    step_seconds: float = 10.0
    window_seconds: float = 50.0
    quiet_seconds: float = 30.0
    deadline_margin_seconds: float = 90.0
    reserve_seconds: float = 60.0
    sparse_limit_seconds: float = 300.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Timing:
        """Defaults, overridden by ``RUNNING_MODEL_<FIELD>`` variables (e.g. RUNNING_MODEL_STEP_SECONDS),
        with the Lambda timeout the construct passes."""
        overrides: dict[str, Any] = {}
        for name in _SECONDS_FIELDS:
            raw = environ.get(f"RUNNING_MODEL_{name.upper()}")
            if raw:
                overrides[name] = float(raw)
        if environ.get(contract.LAMBDA_TIMEOUT_ENV):
            overrides["lambda_timeout_seconds"] = float(environ[contract.LAMBDA_TIMEOUT_ENV])
        return replace(cls(), **overrides)

    @property
    def first_lease_wait_seconds(self) -> float:
        """How long a request's first invocation waits for its resource's lease (ledger.py): as long
        as the invocation that holds it can run, while still leaving this one its window and reserve."""
        return max(0.0, self.lambda_timeout_seconds - self.reserve_seconds - self.window_seconds)

    @property
    def schedule_expression(self) -> str:
        """The poll rules' EventBridge schedule."""
        minutes = self.poll_interval_minutes
        return f"rate({minutes} minute{'s' if minutes != 1 else ''})"

    def problems(self) -> list[str]:
        """What does not fit together; empty when the handler can run with these numbers."""
        found = []
        interval = self.poll_interval_minutes * 60
        if self.window_seconds + self.step_seconds > interval:
            found.append(
                f"the looking window ({self.window_seconds:g} s) and one step ({self.step_seconds:g} s) must end "
                f"before the next scheduled poll ({interval:g} s), or two invocations overlap"
            )
        needed = self.window_seconds + self.reserve_seconds + LONGEST_THROTTLED_CALL_SECONDS
        if needed > self.lambda_timeout_seconds:
            found.append(
                f"the window ({self.window_seconds:g} s), the reserve ({self.reserve_seconds:g} s) and the longest "
                f"throttled call ({LONGEST_THROTTLED_CALL_SECONDS:g} s) need {needed:g} s, more than the Lambda "
                f"timeout ({self.lambda_timeout_seconds:g} s)"
            )
        return found


# Every timing in seconds can be overridden from the environment.
_SECONDS_FIELDS = tuple(
    field.name for field in fields(Timing) if field.name.endswith("_seconds") and field.name != "lambda_timeout_seconds"
)
