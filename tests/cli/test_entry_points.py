"""The command as installed: the ``running-model`` console script and ``python -m rekognition_running_model``,
each in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.account import FakeAccount
from support.cli import GOLDEN, only_progress
from support.readme_account import README_ARGUMENTS, readme_account

CONSOLE_SCRIPT = Path(sys.executable).parent / "running-model"


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """``command`` in the environment the account fixture made (endpoints, credentials, region)."""
    return subprocess.run(
        command, env=dict(os.environ), capture_output=True, text=True, encoding="utf-8", timeout=120, check=False
    )


def test_the_console_script_prints_the_readme_table(account: FakeAccount) -> None:
    readme_account(account)
    result = run([str(CONSOLE_SCRIPT), *README_ARGUMENTS])
    assert result.returncode == 1 and only_progress(result.stderr), result.stderr
    assert result.stdout == (GOLDEN / "readme_status.txt").read_text(encoding="utf-8")


def test_python_m_runs_the_command(account: FakeAccount) -> None:
    version = run([sys.executable, "-m", "rekognition_running_model", "--version"])
    assert (version.returncode, version.stdout) == (0, "running-model 0.1.0\n")
    unknown = run([sys.executable, "-m", "rekognition_running_model", "status", "--region", "eu-wset-1"])
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith("running-model: unknown region 'eu-wset-1' (did you mean eu-west-1?)")
    assert "Traceback" not in unknown.stderr


def test_the_command_starts_without_aws_cdk_or_node() -> None:
    """The library's constructs load on first use: the command never starts jsii (a Node.js process), which
    would take seconds and, on an unsupported Node.js, print a warning banner."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, rekognition_running_model.cli.main; print(sorted({'aws_cdk', 'jsii'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
