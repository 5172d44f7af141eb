"""A pytest plugin that writes each test's duration (setup, call and teardown) to a JSON file.

mutation/coverage_map.py loads it with ``-p durations_plugin``; the file is named by the
``MUTATION_DURATIONS_FILE`` environment variable. With pytest-xdist the workers' reports reach
the controller, which alone writes the file.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

_durations: defaultdict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.nodeid] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):
        return
    Path(os.environ["MUTATION_DURATIONS_FILE"]).write_text(json.dumps(dict(_durations)))
