"""The command's output for people, exactly: golden tables (RUNNING_MODEL_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import re
from typing import Any

from support.account import FakeAccount
from support.cli import assert_golden, denying_session, golden_account, only_progress
from support.paths import ROOT
from support.readme_account import README_ARGUMENTS, readme_account

# The README's block: the command as typed, then exactly what it printed.
README_STATUS = re.compile(
    r"```text\n\$ running-model " + re.escape(" ".join(README_ARGUMENTS)) + r"\n(?P<output>.*?)```", re.S
)


def test_the_status_table_of_every_case_with_reasons_and_costs(account: FakeAccount, cli: Any) -> None:
    golden_account(account)
    ran = cli("status", "--price-per-unit-hour", "4", "-v", session=denying_session())
    assert ran.code == 1 and only_progress(ran.err)
    assert_golden("status.txt", ran.out)


def test_the_readme_shows_the_status_table_the_command_prints(account: FakeAccount, cli: Any) -> None:
    readme_account(account)
    ran = cli(*README_ARGUMENTS)
    assert ran.code == 1 and only_progress(ran.err)
    assert_golden("readme_status.txt", ran.out)
    shown = README_STATUS.search((ROOT / "README.md").read_text())
    assert shown, f"the README shows no `$ running-model {' '.join(README_ARGUMENTS)}` block"
    assert shown["output"] == ran.out, "the README's status table differs from what the command prints"
