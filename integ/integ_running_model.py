#!/usr/bin/env python3
"""Integration test of RunningModel on a real account (``make integ``; run.py says how it is run).

Deploys a stack with one RunningModel for the version in RUNNING_MODEL_INTEG_ARN; once the deploy has
returned, asserts that Rekognition reports the version RUNNING; after the stack is destroyed, its
postDestroy hook (check_stopped.py) asserts that the version is STOPPED. The IntegTest manifest is
integ-runner's, so that integ-runner can run this file once it reads aws-cdk-lib 2.275's assemblies.
"""

from __future__ import annotations

import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import integ_tests_alpha as integ

# constructs/ is a source root (docs/design.md), as in app.py; model_under_test sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "constructs"))

from model_under_test import ModelVersion, for_synthesis  # noqa: E402

from rekognition_running_model import RunningModel  # noqa: E402

STACK = "RunningModelInteg"
TEST = "RunningModelIntegTest"
# Hooks run from this directory with the runner's environment (the ARN, the credentials).
STOPPED_CHECK = "python check_stopped.py"


def build(app: cdk.App, version: ModelVersion) -> integ.IntegTest:
    """The stack under test and its assertions."""
    stack = cdk.Stack(app, STACK)  # no env: it deploys to the region the runner gives (the model's)
    RunningModel(stack, "Model", project_version_arn=version.arn, min_inference_units=1)
    test = integ.IntegTest(
        app,
        TEST,
        test_cases=[stack],
        # The handler's asset hash is part of the snapshot: a changed handler is a changed snapshot.
        diff_assets=True,
        # integ-runner's update workflow would first deploy the snapshot, whose model is the example one.
        stack_update_workflow=False,
        hooks={"post_destroy": [STOPPED_CHECK]},
    )
    # DescribeProjectVersions wants the project's ARN, which ends in the project's own creation
    # timestamp, not the version's: look it up by name, as the handler does.
    project = test.assertions.aws_api_call("Rekognition", "describeProjects", {"ProjectNames": [version.project]})
    described = test.assertions.aws_api_call(
        "Rekognition",
        "describeProjectVersions",
        {"ProjectArn": project.get_att_string("ProjectDescriptions.0.ProjectArn"), "VersionNames": [version.version]},
    )
    # At a path, so that only the status comes back: a whole description can pass the 4 KB that
    # CloudFormation allows a custom resource's answer.
    described.assert_at_path("ProjectVersionDescriptions.0.Status", integ.ExpectedResult.exact("RUNNING"))
    return test


def main() -> None:
    app = cdk.App()
    build(app, for_synthesis())
    app.synth()


if __name__ == "__main__":
    main()
