"""mypy: the construct library is strictly typed; the handler type-checks too (not strictly)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import ROOT

# The handler runs on Lambda's boto3, which has no type information; crhelper ships stubs of its
# public API only, while the handler extends CfnResource through its private hooks: both are Any.
HANDLER_CONFIG = """\
[mypy]
python_version = 3.11
mypy_path = lambda
check_untyped_defs = True
cache_dir = .mypy_cache/handler

[mypy-crhelper,crhelper.*]
follow_imports = skip
follow_imports_for_stubs = True

[mypy-boto3,boto3.*,botocore,botocore.*]
ignore_missing_imports = True
"""


def mypy(*arguments: str) -> subprocess.CompletedProcess[str]:
    # The first run, with no .mypy_cache, reads aws-cdk-lib's types: about a minute on one core.
    return subprocess.run(
        [sys.executable, "-m", "mypy", *arguments], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.runs_long
def test_the_library_is_strictly_typed() -> None:
    """pyproject.toml's [tool.mypy]: constructs/rekognition_running_model with strict = true."""
    result = mypy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")


def test_mypy_finds_a_type_error_in_the_library(tmp_path: Path) -> None:
    """The configuration is strict enough to fail: an unannotated function is an error."""
    module = tmp_path / "rekognition_running_model_probe.py"
    module.write_text("def untyped(x):\n    return x\n")
    result = mypy("--config-file", str(ROOT / "pyproject.toml"), str(module))
    assert result.returncode == 1 and "[no-untyped-def]" in result.stdout


def test_the_handler_type_checks(tmp_path: Path) -> None:
    config = tmp_path / "handler-mypy.ini"
    config.write_text(HANDLER_CONFIG)
    # As modules of mypy_path (lambda/), the way Lambda imports them: lambda/__init__.py makes the folder a
    # package too, and the files named by path would be found under two module names.
    result = mypy("--config-file", str(config), "-p", "index", "-p", "guard", "-p", "running_model")
    assert result.returncode == 0, result.stdout + result.stderr


USER_CODE = """\
import aws_cdk as cdk
from rekognition_running_model import IRunningModel, RunningModel


def alarm(model: IRunningModel) -> None:
    model.metric_throttled_count(period=cdk.Duration.minutes(1), statistic="Sum")
    model.metric_throttled_count(perod=cdk.Duration.minutes(1))


def both(stack: cdk.Stack) -> None:
    alarm(RunningModel(stack, "Declared", project_version_arn="arn"))
    alarm(RunningModel.from_project_version_arn(stack, "Imported", "arn"))
"""


def test_mypy_takes_either_model_as_an_interface_and_finds_a_misspelt_metric_option(tmp_path: Path) -> None:
    """The interface fits both kinds of model, and the metric options are typed: only the typo is an error."""
    module = tmp_path / "user_app.py"
    module.write_text(USER_CODE)
    result = mypy("--config-file", str(ROOT / "pyproject.toml"), str(module))
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and ':7: error: Unexpected keyword argument "perod"' in errors[0], result.stdout
