"""Which test runs which line: recorded once, before any mutant, so each mutant runs only its tests.

The tests run once under coverage with one context per test (pytest-cov's ``--cov-context=test``)
and with a small plugin that records each test's duration. The map is a JSON file:
``{"lines": {module: {line: [node id, ...]}}, "durations": {node id: seconds}}``. A line that runs
outside any test (on import, during collection) lists ``""`` among its node ids.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from coverage import CoverageData

MUTATION_DIR = Path(__file__).resolve().parent
# The phases pytest-cov appends to a test's node id in its context name.
PHASE_SUFFIXES = ("|setup", "|run", "|teardown")


def record(checkout: Path, package: str, tests: Sequence[str], destination: Path) -> None:
    """Run ``tests`` in ``checkout`` once under coverage and write the map to ``destination``.

    Raises ``RuntimeError`` when a test fails: mutants can only be judged by a suite that passes.
    """
    coverage_file = destination.with_suffix(".coverage")
    durations_file = destination.with_suffix(".durations.json")
    environment = {
        **os.environ,
        "COVERAGE_FILE": str(coverage_file),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(MUTATION_DIR), os.environ.get("PYTHONPATH")])),
        "MUTATION_DURATIONS_FILE": str(durations_file),
    }
    command = [
        sys.executable, "-m", "pytest", "-q", "-n", "4", "-p", "no:cacheprovider",
        "-p", "durations_plugin", f"--cov={package}", "--cov-context=test", "--cov-report=",
        *tests,
    ]  # fmt: skip
    finished = subprocess.run(command, cwd=checkout, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"the unmutated tests do not pass:\n{finished.stdout[-4000:]}{finished.stderr[-4000:]}")
    lines = _lines_by_module(CoverageData(basename=str(coverage_file)), checkout)
    durations = json.loads(durations_file.read_text())
    destination.write_text(json.dumps({"lines": lines, "durations": durations}))


def _lines_by_module(data: CoverageData, checkout: Path) -> dict[str, dict[str, list[str]]]:
    data.read()
    lines: dict[str, dict[str, list[str]]] = {}
    for measured in data.measured_files():
        module = Path(measured).resolve().relative_to(checkout.resolve()).as_posix()
        by_line = data.contexts_by_lineno(measured)
        lines[module] = {str(line): sorted({_node_id(c) for c in contexts}) for line, contexts in by_line.items()}
    return lines


def _node_id(context: str) -> str:
    for suffix in PHASE_SUFFIXES:
        if context.endswith(suffix):
            return context.removesuffix(suffix)
    return context
