"""The code follows one style (ruff.toml): lint and format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.paths import ROOT

RUFF = Path(sys.executable).parent / "ruff"
SOURCES = ["app.py", "benchmarks", "constructs", "examples", "integ", "lambda", "mutation", "tests"]


def test_ruff_check_is_clean() -> None:
    result = subprocess.run([RUFF, "check", *SOURCES], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [RUFF, "format", "--check", *SOURCES], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
