"""The model version the integration test runs: which one, and what its ARN names.

``make integ`` deploys the version named by RUNNING_MODEL_INTEG_ARN. The snapshot is synthesized in
integ-runner's stand-in environment (CDK_INTEG_ACCOUNT and friends, which run.py sets as integ-runner
does); then the app declares EXAMPLE_ARN instead, so that the committed snapshot names no real
account and is the same on every machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

# The handler's own parsing of a version ARN (lambda/running_model: plain Python, no AWS CDK import).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambda"))

from running_model import contract  # noqa: E402
from running_model.model_version import ModelVersion  # noqa: E402

ARN_VARIABLE = "RUNNING_MODEL_INTEG_ARN"
EXAMPLE_ARN = (
    "arn:aws:rekognition:eu-west-1:111122223333:project/integ-widgets/version/"
    "integ-widgets.2026-01-05T10.00.00/1767607200000"
)
# Set for the syntheses that are snapshotted (by integ-runner: runner-base.ts, DEFAULT_SYNTH_OPTIONS),
# never for the ones that are deployed or destroyed.
SNAPSHOT_MARKER = "CDK_INTEG_ACCOUNT"

__all__ = ["ARN_VARIABLE", "EXAMPLE_ARN", "SNAPSHOT_MARKER", "ModelVersion", "for_synthesis", "parse"]


def parse(arn: str) -> ModelVersion:
    """The version ``arn`` names; ValueError, saying the expected shape, when it names none."""
    version = ModelVersion.from_arn(arn)
    if version is None:
        raise ValueError(
            f"{ARN_VARIABLE}: received {arn!r}; expected a model version ARN, {contract.PROJECT_VERSION_ARN_SHAPE}"
        )
    return version


def for_synthesis(environ: Mapping[str, str] = os.environ) -> ModelVersion:
    """The version the app declares: the example one for a snapshot, else the maintainer's."""
    if SNAPSHOT_MARKER in environ:
        return parse(EXAMPLE_ARN)
    arn = environ.get(ARN_VARIABLE, "").strip()
    if not arn:
        raise ValueError(f"{ARN_VARIABLE} is not set: it names the model version to deploy (see `make integ`)")
    return parse(arn)
