"""mutation/equivalent.toml, read: the mutants that are equivalent, and why each is."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from changes import Change


@dataclass(frozen=True)
class Equivalents:
    """mutation/equivalent.toml: rules (by operator, by the line and its mutant in any module, or
    "in an annotation") and single mutants."""

    annotation_rule: str | None
    keyword_marker_rule: str | None
    operator_rules: dict[str, str]
    line_rules: dict[tuple[str, str], str]
    mutants: dict[tuple[str, str, str], str]

    @classmethod
    def load(cls, path: Path) -> Equivalents:
        document = tomllib.loads(path.read_text())
        annotation_rule = keyword_marker_rule = None
        operator_rules: dict[str, str] = {}
        line_rules: dict[tuple[str, str], str] = {}
        for rule in document.get("rule", []):
            if "line" in rule:
                line_rules[(rule["line"], rule["mutant"])] = rule["why"]
            if rule.get("where") == "annotation":
                annotation_rule = rule["why"]
            if rule.get("where") == "keyword-only marker":
                keyword_marker_rule = rule["why"]
            for operator in rule.get("operators", []):
                operator_rules[operator] = rule["why"]
        mutants = {(m["module"], m["line"], m["mutant"]): m["why"] for m in document.get("mutant", [])}
        return cls(annotation_rule, keyword_marker_rule, operator_rules, line_rules, mutants)

    def why_equivalent(self, module: str, change: Change) -> str | None:
        """Why the change listed (as a line rule or a single mutant) is equivalent; None if it is not."""
        return self.line_rules.get((change.before, change.after)) or self.mutants.get(
            (module, change.before, change.after)
        )
