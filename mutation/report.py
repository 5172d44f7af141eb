"""What the sessions found: the score, each module's counts, and every surviving mutant."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from triage import EQUIVALENT, NOT_A_MUTANT, describe

ADAPTER_ERROR = "ADAPTER ERROR"


@dataclass
class ModuleResult:
    """One module's mutants, by outcome, and its survivors as printable lines."""

    module: str
    counts: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def judged(self) -> int:
        """Mutants that count for the score: neither equivalent nor not a mutant."""
        return self.counts["killed"] + self.counts["survived"] + self.counts["error"]


def read_session(session: Path, module: str, pristine: Path) -> ModuleResult:
    """Classify every mutant of one session."""
    result = ModuleResult(module)
    source = pristine.read_text()
    with use_db(str(session), WorkDB.Mode.open) as work_db:
        for item, outcome in work_db.completed_work_items:
            (mutation,) = item.mutations
            output = outcome.output or ""
            where = f"{module}:{mutation.start_pos[0]} {mutation.operator_name}"
            if output.startswith(NOT_A_MUTANT):
                result.counts["not a mutant"] += 1
            elif output.startswith(EQUIVALENT):
                result.counts["equivalent"] += 1
            elif ADAPTER_ERROR in output:
                result.counts["error"] += 1
                result.errors.append(f"{where}: {output.strip()[-300:]}")
            elif outcome.is_killed:
                result.counts["killed"] += 1
            else:
                result.counts["survived"] += 1
                change = describe(mutation, source)
                result.survivors.append(f"{where}\n    - {change.before}\n    + {change.after or '(removed)'}")
        for item in work_db.pending_work_items:
            result.counts["error"] += 1
            result.errors.append(f"{module}: job {item.job_id} was never run")
    return result


def score(results: list[ModuleResult]) -> float:
    """Killed, as a percentage of the mutants that count."""
    judged = sum(r.judged for r in results)
    return 100.0 * sum(r.counts["killed"] for r in results) / judged if judged else 100.0


def print_report(results: list[ModuleResult]) -> None:
    """The table, the survivors and the errors, on stdout."""
    print(f"\n{'module':44} {'mutants':>7} {'killed':>6} {'survived':>8} {'equivalent':>10} {'not a mutant':>12}")
    for r in sorted(results, key=lambda r: r.module):
        total = sum(r.counts.values())
        print(
            f"{r.module:44} {total:7} {r.counts['killed']:6} {r.counts['survived']:8} "
            f"{r.counts['equivalent']:10} {r.counts['not a mutant']:12}"
        )
    survivors = [line for r in results for line in r.survivors]
    errors = [line for r in results for line in r.errors]
    if survivors:
        print(f"\n{len(survivors)} surviving mutants:")
        print("\n".join(survivors))
    if errors:
        print(f"\n{len(errors)} mutants that could not be judged:")
        print("\n".join(errors))
