"""Shared test data: well-formed Rekognition ARNs."""

from __future__ import annotations

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def version_arn(
    project: str = "widgets", version: str = "v1", region: str = REGION, timestamp: int = 1767607200000
) -> str:
    """A well-formed model version ARN."""
    return f"arn:aws:rekognition:{region}:{ACCOUNT}:project/{project}/version/{version}/{timestamp}"


def project_arn(project: str = "widgets", region: str = REGION, timestamp: int = 1767000000000) -> str:
    """A well-formed project ARN."""
    return f"arn:aws:rekognition:{region}:{ACCOUNT}:project/{project}/{timestamp}"
