"""The model version the integration test runs: which one, and what its ARN names.

``make integ`` deploys the version named by RUNNING_MODEL_INTEG_ARN. The snapshot is synthesized in
integ-runner's stand-in environment (CDK_INTEG_ACCOUNT and friends, which run.py sets as integ-runner
does); then the app declares EXAMPLE_ARN instead, so that the committed snapshot names no real
account and is the same on every machine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

ARN_VARIABLE = "RUNNING_MODEL_INTEG_ARN"
EXAMPLE_ARN = (
    "arn:aws:rekognition:eu-west-1:111122223333:project/integ-widgets/version/"
    "integ-widgets.2026-01-05T10.00.00/1767607200000"
)
# Set for the syntheses that are snapshotted (by integ-runner: runner-base.ts, DEFAULT_SYNTH_OPTIONS),
# never for the ones that are deployed or destroyed.
SNAPSHOT_MARKER = "CDK_INTEG_ACCOUNT"
# The shape Rekognition requires (its API reference); the construct's contract.py has the same.
VERSION_ARN_PATTERN = (
    r"^arn:(?P<partition>[a-z\d-]+):rekognition:(?P<region>[a-z\d-]+):(?P<account>\d{12}):"
    r"project/(?P<project>[a-zA-Z0-9_.\-]{1,255})/version/(?P<version>[a-zA-Z0-9_.\-]{1,255})/[0-9]+$"
)


@dataclass(frozen=True)
class ModelVersion:
    """A Custom Labels model version as its ARN names it."""

    arn: str
    partition: str
    region: str
    account: str
    project: str
    version: str

    @classmethod
    def parse(cls, arn: str) -> ModelVersion:
        """The version ``arn`` names; ValueError, saying the expected shape, when it names none."""
        match = re.match(VERSION_ARN_PATTERN, arn)
        if not match:
            raise ValueError(
                f"{ARN_VARIABLE}: received {arn!r}; expected a model version ARN, "
                "arn:<partition>:rekognition:<region>:<account>:project/<name>/version/<version>/<timestamp>"
            )
        return cls(arn=arn, **match.groupdict())


def for_synthesis(environ: Mapping[str, str] = os.environ) -> ModelVersion:
    """The version the app declares: the example one for a snapshot, else the maintainer's."""
    if SNAPSHOT_MARKER in environ:
        return ModelVersion.parse(EXAMPLE_ARN)
    arn = environ.get(ARN_VARIABLE, "").strip()
    if not arn:
        raise ValueError(f"{ARN_VARIABLE} is not set: it names the model version to deploy (see `make integ`)")
    return ModelVersion.parse(arn)
