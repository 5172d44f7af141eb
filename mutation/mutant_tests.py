"""cosmic-ray's test command: run the tests that reach the mutated lines, fastest first, until one fails.

Usage: ``python mutation/mutant_tests.py MAP PRISTINE MODULE``. MAP is the coverage map
(coverage_map.py), PRISTINE the unmutated copy of MODULE, MODULE the file cosmic-ray has mutated
(relative to the working directory). The exit status is pytest's: 0 means the mutant survived.
Slow tests (mutation/targets.toml's slow-test-seconds) run only when no quicker test reaches the lines.
Unit tests run first, then the others; in each, the tests in the module's own test file, then the
tests that killed the module's earlier mutants, then the quickest; up to mutation/targets.toml's
test-budget-seconds of them.
A mutant on a line no test runs survives without running anything. A mutant whose tests take far
longer than they did unmutated is stopped and killed: cosmic-ray counts that as a timeout.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from changes import definition_lines, first_change, runs_on_import, statement_lines

# Coverage's context for lines that ran outside any test (during collection).
OUTSIDE_ANY_TEST = ""
# pytest's exit statuses that mean the command, not a test, went wrong.
USAGE_ERRORS = {3: "internal error", 4: "usage error", 5: "no tests collected"}


def selected_tests(coverage: dict[str, list[str]], pristine: str, mutated: str) -> list[str]:
    """The node ids of the tests that run the changed statement.

    A statement that runs on import (a decorator, a default, a field) is judged by the tests that
    run its function or class, and one outside any (a constant) by every test of the module. The
    map cannot tell these apart by itself: it puts an import under whichever test came first.
    """
    change = first_change(pristine, mutated)
    if runs_on_import(pristine, change.lines[0]):
        definition = definition_lines(pristine, change.lines[0])
        body = [n for n in definition or () if not runs_on_import(pristine, n)]
        tests = _covering(coverage, body)
        if not tests:
            tests = _covering(coverage, (int(line) for line in coverage))
    else:
        lines = {n for line in change.lines for n in statement_lines(pristine, line)}
        tests = _covering(coverage, lines)
    tests.discard(OUTSIDE_ANY_TEST)
    return sorted(tests)


def _covering(coverage: dict[str, list[str]], lines: Iterable[int]) -> set[str]:
    return {test for line in lines for test in coverage.get(str(line), ())}


def main(map_file: str, pristine_file: str, module: str) -> int:
    coverage_map = json.loads(Path(map_file).read_text())
    durations: dict[str, float] = coverage_map["durations"]
    tests = selected_tests(
        coverage_map["lines"].get(module, {}), Path(pristine_file).read_text(), Path(module).read_text()
    )
    settings = json.loads(os.environ["MUTATION_SETTINGS"])
    quick = [test for test in tests if durations.get(test, 0.0) <= settings["slow"]]
    tests = quick or tests
    if not tests:
        print("no test runs the mutated lines")
        return 0
    killers_file = Path(f"{pristine_file}.killers.json")
    killers: dict[str, int] = json.loads(killers_file.read_text()) if killers_file.exists() else {}
    tests = within_budget(in_order(tests, durations, killers, module), durations, settings["budget"])
    timeout = settings["factor"] * sum(durations.get(test, 1.0) for test in tests) + settings["grace"]
    # The preloaded libraries cannot have their asserts rewritten any more: pytest says so, needlessly.
    warm = ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    arguments = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", *warm, *tests]
    status, output = run_pytest(arguments, timeout, Path(f"{pristine_file}.output"))
    print(output)
    if status is None:
        print(f"timeout: the tests ran past {timeout:.0f} s")
        return 1
    status = judged(status, output)
    if status in USAGE_ERRORS:
        print(f"ADAPTER ERROR: pytest ended with {USAGE_ERRORS[status]} ({status})")
    for killer in failed_tests(output):
        killers[killer] = killers.get(killer, 0) + 1
    killers_file.write_text(json.dumps(killers))
    return status


def run_pytest(arguments: list[str], timeout: float, output_file: Path) -> tuple[int | None, str]:
    """pytest's exit status (None when stopped at ``timeout``) and output: from run.py's warm
    pytest (preload_server.py) when MUTATION_PRELOAD_SOCKET names one, else from a new process."""
    server = os.environ.get("MUTATION_PRELOAD_SOCKET")
    if not server:
        command = [sys.executable, "-m", "pytest", *arguments]
        with subprocess.Popen(command, start_new_session=True, stdout=subprocess.PIPE, text=True) as tests_run:
            try:
                output, _ = tests_run.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(tests_run.pid, signal.SIGKILL)
                return None, ""
        return tests_run.returncode, output
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(server)
        connection.sendall(json.dumps({"args": arguments, "output": str(output_file)}).encode() + b"\n")
        answers = connection.makefile()
        child = json.loads(answers.readline())["pid"]
        connection.settimeout(timeout)
        try:
            status = json.loads(answers.readline())["status"]
        except TimeoutError:
            os.killpg(child, signal.SIGKILL)
            return None, ""
    return status, output_file.read_text()


# A test quicker than this (a unit test) costs next to nothing: every one that reaches the line runs.
UNIT_TEST_SECONDS = 0.1


def in_order(tests: list[str], durations: dict[str, float], killers: dict[str, int], module: str) -> list[str]:
    """Unit tests first, then the others; in each, those written for the module (in its
    ``test_<module>.py``), then those that killed its earlier mutants (one of them most often kills
    the next), then the quickest."""
    own_file = f"test_{Path(module).stem}.py::"
    return sorted(
        tests,
        key=lambda test: (
            durations.get(test, 0.0) > UNIT_TEST_SECONDS,
            own_file not in test,
            -killers.get(test, 0),
            durations.get(test, 0.0),
        ),
    )


def within_budget(tests: list[str], durations: dict[str, float], budget: float) -> list[str]:
    """The first of ``tests`` whose unmutated durations add up to at most ``budget`` (at least one)."""
    chosen: list[str] = []
    spent = 0.0
    for test in tests:
        spent += durations.get(test, 0.0)
        if chosen and spent > budget:
            break
        chosen.append(test)
    return chosen


def judged(status: int, output: str) -> int:
    """pytest's exit status, as a verdict on the mutant: tests that no longer collect (the mutant
    breaks an import of their module; unmutated, the same node ids ran) kill it."""
    if status == 4 and "found no collectors for" in output:
        print("killed: the mutant breaks the collection of its tests")
        return 1
    return status


def failed_tests(output: str) -> list[str]:
    """The node ids pytest's short summary (``-ra``) names as failed or in error."""
    summary = output.partition("short test summary info")[2]  # not the captured log's "ERROR ..." lines
    return [_node_id(line.split(" ", 1)[1]) for line in summary.splitlines() if line.startswith(("FAILED ", "ERROR "))]


def _node_id(summary: str) -> str:
    """``<node id> - <message>``: the first " - " outside the node id's [parameters]."""
    start = 0
    while (separator := summary.find(" - ", start)) >= 0:
        if summary.count("[", 0, separator) == summary.count("]", 0, separator):
            return summary[:separator]
        start = separator + 1
    return summary


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
