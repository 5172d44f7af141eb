#!/usr/bin/env python3
"""The test case's postDestroy hook: once the stacks are destroyed, the model version must be STOPPED.

integ-tests-alpha asserts only while its assertion stack exists, so the check after destroy is this
script. run.py (as integ-runner would) runs it from this directory with its own environment; a
non-zero exit fails the test, and what the script wrote to stderr is shown.
"""

from __future__ import annotations

import os
import sys

import boto3
from model_status import status_of
from model_under_test import ARN_VARIABLE, parse


def main() -> int:
    version = parse(os.environ.get(ARN_VARIABLE, ""))
    status = status_of(version, boto3.Session())
    if status != "STOPPED":
        print(f"after destroy, {version.arn} is {status}, not STOPPED: stop it by hand", file=sys.stderr)
        return 1
    print(f"after destroy, {version.arn} is STOPPED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
