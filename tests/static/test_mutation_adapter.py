"""make mutation's adapter between cosmic-ray and this layout (mutation/): which tests judge a mutant.

cosmic-ray itself is installed only by `make mutation`; these parts need none of it.
"""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from support.paths import ROOT

SOURCE = textwrap.dedent(
    """\
    LIMIT = 3


    @decorated(flag=True)
    def check(value, *, floor=1):
        total = (value
                 + floor)
        if total > LIMIT:
            return "high"
        return "low"


    class Holder:
        size: int = 2
    """
)


@pytest.fixture
def mutation(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(ROOT / "mutation"))
    return {name: importlib.import_module(name) for name in ("changes", "equivalents", "mutant_tests")}


def test_a_change_is_named_by_its_original_lines_and_text(mutation: dict[str, ModuleType]) -> None:
    change = mutation["changes"].first_change(SOURCE, SOURCE.replace("total > LIMIT", "total >= LIMIT"))
    assert (change.lines, change.before, change.after) == ((8,), "if total > LIMIT:", "if total >= LIMIT:")


def test_a_removed_line_has_no_text_after(mutation: dict[str, ModuleType]) -> None:
    change = mutation["changes"].first_change(SOURCE, SOURCE.replace("@decorated(flag=True)\n", ""))
    assert (change.lines, change.after) == ((4,), "")


def test_a_line_inside_a_statement_stands_for_the_whole_statement(mutation: dict[str, ModuleType]) -> None:
    assert mutation["changes"].statement_lines(SOURCE, 7) == range(6, 8)


def test_a_compound_statements_header_stands_for_itself_not_its_body(mutation: dict[str, ModuleType]) -> None:
    assert mutation["changes"].statement_lines(SOURCE, 8) == range(8, 9)


def test_a_decorator_belongs_to_its_definition(mutation: dict[str, ModuleType]) -> None:
    assert mutation["changes"].definition_lines(SOURCE, 4) == range(4, 11)
    assert mutation["changes"].definition_lines(SOURCE, 1) is None


def test_a_mutant_is_judged_by_the_tests_that_run_its_statement(mutation: dict[str, ModuleType]) -> None:
    coverage = {"6": ["t::adds"], "7": ["t::adds_too"], "8": ["t::compares"], "9": ["t::high"]}
    mutated = SOURCE.replace("+ floor", "- floor")
    assert mutation["mutant_tests"].selected_tests(coverage, SOURCE, mutated) == ["t::adds", "t::adds_too"]


def test_lines_in_no_functions_body_run_on_import(mutation: dict[str, ModuleType]) -> None:
    on_import = [n for n in range(1, 15) if mutation["changes"].runs_on_import(SOURCE, n)]
    assert on_import == [1, 2, 3, 4, 5, 11, 12, 13, 14]


def test_a_mutant_run_on_import_is_judged_by_the_tests_of_its_definition(mutation: dict[str, ModuleType]) -> None:
    """Coverage puts a module's import under whichever test imported it first (here t::first)."""
    coverage = {"1": ["t::first"], "4": ["t::first"], "5": ["t::first"], "6": ["t::adds"], "9": ["t::high"]}
    on_import = SOURCE.replace("floor=1", "floor=2")
    assert mutation["mutant_tests"].selected_tests(coverage, SOURCE, on_import) == ["t::adds", "t::high"]


def test_a_mutant_of_a_constant_is_judged_by_every_test_of_the_module(mutation: dict[str, ModuleType]) -> None:
    coverage = {"1": ["t::first"], "6": ["t::adds"], "9": ["t::high"], "14": ["t::first"]}
    on_import = SOURCE.replace("LIMIT = 3", "LIMIT = 4")
    everything = ["t::adds", "t::first", "t::high"]
    assert mutation["mutant_tests"].selected_tests(coverage, SOURCE, on_import) == everything
    field = SOURCE.replace("size: int = 2", "size: int = 3")
    assert mutation["mutant_tests"].selected_tests(coverage, SOURCE, field) == everything


def test_the_failed_tests_are_read_from_pytests_short_summary(mutation: dict[str, ModuleType]) -> None:
    output = (
        "..F\n--- Captured log call ---\nERROR    running_model.resource:resource.py:187 Could not remove\n"
        "=== short test summary info ===\n"
        "FAILED tests/handler/test_x.py::test_one[a - b] - AssertionError: assert 1 == 2\n"
        "ERROR tests/handler/test_y.py::test_two\n1 failed, 2 passed in 0.5s\n"
    )
    assert mutation["mutant_tests"].failed_tests(output) == [
        "tests/handler/test_x.py::test_one[a - b]",
        "tests/handler/test_y.py::test_two",
    ]


def test_a_mutant_runs_tests_up_to_the_budget_and_at_least_one(mutation: dict[str, ModuleType]) -> None:
    durations = {"a": 10.0, "b": 15.0, "c": 10.0, "long": 50.0}
    within_budget = mutation["mutant_tests"].within_budget
    assert within_budget(["a", "b", "c"], durations, 30.0) == ["a", "b"]
    assert within_budget(["long", "a"], durations, 30.0) == ["long"]


def test_unit_tests_run_first_then_the_others_each_own_tests_then_killers_first(
    mutation: dict[str, ModuleType],
) -> None:
    own = "tests/handler/test_resource.py::test_own"
    durations = {"unit": 0.01, "unit_killer": 0.05, "world": 0.8, "world_killer": 1.5, own: 2.0}
    killers = {"unit_killer": 1, "world_killer": 3}
    tests = ["world", "unit", own, "world_killer", "unit_killer"]
    order = mutation["mutant_tests"].in_order(tests, durations, killers, "lambda/running_model/resource.py")
    assert order == ["unit_killer", "unit", own, "world_killer", "world"]


def test_tests_that_no_longer_collect_kill_the_mutant_and_other_usage_errors_do_not(
    mutation: dict[str, ModuleType],
) -> None:
    judged = mutation["mutant_tests"].judged
    assert judged(4, "ERROR: found no collectors for tests/handler/test_x.py::test_one\n") == 1
    assert judged(4, "ERROR: usage: pytest [options]\n") == 4
    assert (judged(0, ""), judged(1, "")) == (0, 1)


def test_a_mutant_is_equivalent_by_a_line_rule_in_any_module_or_by_its_own_entry(
    mutation: dict[str, ModuleType], tmp_path: Path
) -> None:
    listed = tmp_path / "equivalent.toml"
    listed.write_text(
        textwrap.dedent(
            """\
            [[rule]]
            line = "@dataclass(frozen=True)"
            mutant = "@dataclass(frozen=False)"
            why = "never assigned"

            [[mutant]]
            module = "a.py"
            line = "x = 1"
            mutant = "x = 2"
            why = "x is never read"
            """
        )
    )
    equivalents = mutation["equivalents"].Equivalents.load(listed)
    change = mutation["changes"].Change
    unfrozen = change((3,), "@dataclass(frozen=True)", "@dataclass(frozen=False)")
    assert (
        equivalents.why_equivalent("a.py", unfrozen) == equivalents.why_equivalent("b.py", unfrozen) == "never assigned"
    )
    assert equivalents.why_equivalent("a.py", change((1,), "x = 1", "x = 2")) == "x is never read"
    assert equivalents.why_equivalent("b.py", change((1,), "x = 1", "x = 2")) is None
    assert equivalents.why_equivalent("a.py", change((1,), "x = 1", "x = 0")) is None
