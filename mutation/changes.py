"""Where a mutant differs from the original module, in the original's line numbers."""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """The first block of lines a mutant changes: their numbers, and the text before and after."""

    lines: tuple[int, ...]
    before: str
    after: str


def first_change(original: str, mutated: str) -> Change:
    """The first changed block. A deletion's ``after`` is empty; an insertion's line is the one before it."""
    old, new = original.splitlines(), mutated.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            lines = tuple(range(i1 + 1, i2 + 1)) or (max(i1, 1),)
            return Change(lines, _joined(old[i1:i2]), _joined(new[j1:j2]))
    raise ValueError("the mutant is the same as the original")


def statement_lines(source: str, line: int) -> range:
    """The lines of the innermost statement holding ``line``; a compound statement's header only.

    Coverage records a multi-line statement under some of its lines, not always the mutated one.
    """
    best: ast.stmt | None = None
    for node in ast.walk(ast.parse(source)):
        holds = isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno)
        if holds and (best is None or node.lineno >= best.lineno):
            best = node
    if best is None:
        return range(line, line + 1)
    end = best.end_lineno or best.lineno
    body = getattr(best, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt) and body[0].lineno > line:
        end = body[0].lineno - 1
    return range(best.lineno, end + 1)


def runs_on_import(source: str, line: int) -> bool:
    """Whether ``line`` runs when the module is imported: it is in no function's body (a decorator,
    a default, a def line, a class body and a constant all run on import)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            body = node.body if isinstance(node.body, list) else [node.body]
            if body[0].lineno <= line <= (node.end_lineno or node.lineno) and not (
                isinstance(node, ast.Lambda) and line < body[0].lineno
            ):
                return False
    return True


def definition_lines(source: str, line: int) -> range | None:
    """The lines of the innermost function or class holding ``line``, decorators included, if any."""
    best: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None = None
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if start <= line <= (node.end_lineno or node.lineno) and (best is None or node.lineno >= best.lineno):
                best = node
    if best is None:
        return None
    return range(min([best.lineno, *(d.lineno for d in best.decorator_list)]), (best.end_lineno or best.lineno) + 1)


def _joined(lines: list[str]) -> str:
    return " / ".join(line.strip() for line in lines)
