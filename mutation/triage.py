"""Set aside, before a session runs, the mutants that are not mutants or are equivalent.

* Not a mutant: the mutated module does not compile (cosmic-ray reads the bare ``*`` of
  keyword-only parameters as a multiplication). Run, it would be counted as killed.
* Equivalent: a rule or an entry of mutation/equivalent.toml matches it. Each says why.

Set-aside mutants are recorded as SKIPPED, with the reason as their output; report.py counts them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import parso
from changes import Change, first_change
from cosmic_ray.ast import ast_nodes
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import MutationSpec, WorkerOutcome, WorkResult
from equivalents import Equivalents

NOT_A_MUTANT = "not a mutant"
EQUIVALENT = "equivalent"


def triage(session: Path, checkout: Path, equivalents: Equivalents) -> set[tuple[str, str, str]]:
    """Mark the session's set-aside mutants; return the listed mutants that matched one."""
    matched: set[tuple[str, str, str]] = set()
    sources: dict[Path, _Parsed] = {}
    with use_db(str(session), WorkDB.Mode.open) as work_db:
        for item in list(work_db.pending_work_items):
            (mutation,) = item.mutations
            path = checkout / mutation.module_path
            if path not in sources:
                sources[path] = _Parsed.read(path)
            reason = _set_aside_because(mutation, sources[path], equivalents, matched)
            if reason:
                work_db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    return matched


def describe(mutation: MutationSpec, source: str) -> Change:
    """The change a mutation makes to ``source``."""
    operator = get_operator(mutation.operator_name)(**mutation.operator_args)
    mutated = mutate_code(source, operator, mutation.occurrence)
    return first_change(source, mutated)


@dataclass(frozen=True)
class _Parsed:
    source: str
    tree: parso.tree.Module
    annotations: list[tuple[tuple[int, int], tuple[int, int]]]

    @classmethod
    def read(cls, path: Path) -> _Parsed:
        source = path.read_text()
        tree = parso.parse(source)
        return cls(source, tree, list(_annotation_spans(tree)))

    def is_keyword_only_marker(self, position: tuple[int, int]) -> bool:
        """The bare ``*`` that makes the parameters after it keyword-only is at ``position``."""
        leaf = self.tree.get_leaf_for_position(position)
        return leaf is not None and leaf.value == "*" and leaf.parent.type in ("parameters", "lambdef")


def _set_aside_because(
    mutation: MutationSpec, parsed: _Parsed, equivalents: Equivalents, matched: set[tuple[str, str, str]]
) -> str | None:
    source = parsed.source
    operator = get_operator(mutation.operator_name)(**mutation.operator_args)
    mutated = mutate_code(source, operator, mutation.occurrence)
    try:
        with warnings.catch_warnings():  # `x is "literal"` mutants warn; they compile, and run
            warnings.simplefilter("ignore", SyntaxWarning)
            compile(mutated, str(mutation.module_path), "exec")
    except SyntaxError as error:
        return f"{NOT_A_MUTANT}: it does not compile ({error.msg})"
    start = tuple(mutation.start_pos)
    if equivalents.annotation_rule and any(begin <= start < end for begin, end in parsed.annotations):
        return f"{EQUIVALENT}: {equivalents.annotation_rule}"
    if equivalents.keyword_marker_rule and parsed.is_keyword_only_marker(start):
        return f"{EQUIVALENT}: {equivalents.keyword_marker_rule}"
    if mutation.operator_name in equivalents.operator_rules:
        return f"{EQUIVALENT}: {equivalents.operator_rules[mutation.operator_name]}"
    change = first_change(source, mutated)
    why = equivalents.why_equivalent(mutation.module_path.as_posix(), change)
    if why is None:
        return None
    matched.add((mutation.module_path.as_posix(), change.before, change.after))
    return f"{EQUIVALENT}: {why}"


def _annotation_spans(module: parso.tree.Module) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
    for node in ast_nodes(module):
        if node.type == "funcdef":
            annotations = [parameter.annotation for parameter in node.get_params()] + [node.annotation]
        elif node.type == "annassign":  # children: ":" annotation ["=" value]
            annotations = [node.children[1]]
        else:
            continue
        yield from ((a.start_pos, a.end_pos) for a in annotations if a is not None)
