"""``running-model release``: only a stale owner (a live or unknown one only with --force), confirmed
or --yes, and it says exactly what it did."""

from __future__ import annotations

import io
from typing import Any

import pytest

from support.account import FakeAccount
from support.cli import denying_session


def stale_and_live(account: FakeAccount) -> tuple[str, str, str]:
    """A running version owned by Gone/Model (stack deleted) alone; another owned by Live/Model. Their ARNs,
    and the second's."""
    gone, live = account.stack("Gone", ["Model"]), account.stack("Live", ["Model"])
    forgotten, kept = account.model("widgets", "v1"), account.model("widgets", "v2")
    account.register(forgotten, gone, "Model")
    account.register(kept, live, "Model")
    account.delete_stack(gone)
    return forgotten, kept, live


class Keyboard(io.StringIO):
    """A terminal's stdin on which a person types ``answer``."""

    def isatty(self) -> bool:
        return True


def test_a_stale_owner_is_released_with_yes_and_the_version_stopped_first(account: FakeAccount, cli: Any) -> None:
    forgotten, _, _ = stale_and_live(account)
    account.rekognition.set_tags(forgotten, {**account.rekognition.tags(forgotten), "team": "vision"})
    ran = cli("release", forgotten, "--owner", "Gone/Model", "--yes")
    assert ran.code == 0
    assert ran.out.splitlines() == [
        f"stopped {forgotten} (no live owner wants it running)",
        f"removed the registration of Gone/Model from {forgotten}",
    ]
    assert account.rekognition.status(forgotten) == "STOPPED"
    assert account.rekognition.tags(forgotten) == {"team": "vision"}


def test_a_live_owner_is_refused_and_nothing_changes(account: FakeAccount, cli: Any) -> None:
    _, kept, _ = stale_and_live(account)
    tags = account.rekognition.tags(kept)
    ran = cli("release", kept, "--owner", "Live/Model", "--yes")
    assert ran.code == 4 and ran.out == ""
    assert ran.said.startswith("running-model: nothing was changed: Live/Model is live (stack CREATE_COMPLETE")
    assert "pass --force" in ran.said
    assert account.rekognition.tags(kept) == tags and account.rekognition.status(kept) == "RUNNING"
    assert account.rekognition.call_count("StopProjectVersion") == account.rekognition.call_count("UntagResource") == 0


def test_an_owner_whose_stack_cannot_be_looked_up_is_refused_as_unknown(account: FakeAccount, cli: Any) -> None:
    guarded = account.stack("Guarded", ["Model"])
    arn = account.model("widgets", "v1")
    account.register(arn, guarded, "Model")
    account.delete_stack(guarded)
    ran = cli("release", arn, "--owner", "Guarded/Model", "--yes", session=denying_session())
    assert ran.code == 4 and "Guarded/Model is unknown (access denied: cloudformation:DescribeStacks)" in ran.said
    assert account.rekognition.status(arn) == "RUNNING"


def test_force_releases_a_live_owner(account: FakeAccount, cli: Any) -> None:
    _, kept, live = stale_and_live(account)
    ran = cli("release", kept, "--owner", "Live/Model", "--force", "--yes")
    assert ran.code == 0
    assert ran.out.splitlines() == [
        f"stopped {kept} (no live owner wants it running)",
        f"removed the registration of Live/Model from {kept}",
    ]
    assert account.rekognition.tags(kept) == {} and account.rekognition.status(kept) == "STOPPED"


def test_one_stale_owner_of_a_version_another_wants_is_released_without_stopping_it(
    account: FakeAccount, cli: Any
) -> None:
    forgotten, _, live = stale_and_live(account)
    account.register(forgotten, live, "Model")
    ran = cli("release", forgotten, "--owner", "Gone/Model", "--yes")
    assert ran.out == f"removed the registration of Gone/Model from {forgotten}\n"
    assert account.rekognition.status(forgotten) == "RUNNING"


def test_without_yes_and_no_terminal_it_says_what_it_would_do_and_refuses(
    account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    forgotten, _, _ = stale_and_live(account)
    tags = account.rekognition.tags(forgotten)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: not a terminal, even if it says yes
    ran = cli("release", forgotten, "--owner", "Gone/Model")
    assert ran.code == 4
    assert ran.out.splitlines() == [
        "release will:",
        f"  stop {forgotten} (no live owner wants it running)",
        f"  remove the registration of Gone/Model from {forgotten}",
    ]
    assert "stdin is not a terminal" in ran.said and "pass --yes" in ran.said
    assert account.rekognition.tags(forgotten) == tags and account.rekognition.status(forgotten) == "RUNNING"


@pytest.mark.parametrize(("answer", "released"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)])
def test_on_a_terminal_it_asks(
    account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch, answer: str, released: bool
) -> None:
    forgotten, _, _ = stale_and_live(account)
    monkeypatch.setattr("sys.stdin", Keyboard(answer))
    ran = cli("release", forgotten, "--owner", "Gone/Model")
    shown = "\n".join(
        [
            "release will:",
            f"  stop {forgotten} (no live owner wants it running)",
            f"  remove the registration of Gone/Model from {forgotten}",
            "Proceed? [y/N] ",
        ]
    )
    assert ran.out.startswith(shown)
    if released:
        assert ran.code == 0 and ran.out.endswith(f"removed the registration of Gone/Model from {forgotten}\n")
        assert account.rekognition.tags(forgotten) == {}
    else:
        assert ran.code == 4 and ran.out == shown and ran.said == "running-model: nothing was changed\n"
        assert account.rekognition.status(forgotten) == "RUNNING"


def test_an_owner_the_version_does_not_have_is_named_with_those_it_has(account: FakeAccount, cli: Any) -> None:
    forgotten, _, _ = stale_and_live(account)
    ran = cli("release", forgotten, "--owner", "Live/Model", "--yes")
    assert ran.code == 4
    assert (
        ran.said == f"running-model: nothing was changed: {forgotten} has no owner Live/Model; its owners: Gone/Model\n"
    )


def test_a_version_that_does_not_exist_is_a_clear_error(account: FakeAccount, cli: Any) -> None:
    forgotten, _, _ = stale_and_live(account)
    missing = forgotten.replace("/v1/", "/v9/")
    ran = cli("release", missing, "--owner", "Gone/Model", "--yes")
    assert ran.code == 4
    assert ran.said == (
        f"running-model: no model version {missing} in eu-west-1: "
        "`running-model status --project widgets` lists the project's versions\n"
    )


def test_the_region_comes_from_the_arn_and_must_agree_with_region(
    account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    forgotten, _, _ = stale_and_live(account)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert cli("release", forgotten, "--owner", "Gone/Model", "--yes").code == 0, "eu-west-1, from the ARN"
    ran = cli("release", forgotten, "--owner", "Gone/Model", "--yes", "--region", "us-west-2")
    assert ran.code == 2 and ran.said == (
        f"running-model: {forgotten} is not in us-west-2: leave out --region, or pass the version's\n"
    )
    ran = cli("release", "arn:aws:s3:::bucket", "--owner", "Gone/Model")
    assert ran.code == 2 and ran.said.startswith("running-model: not a model version ARN: arn:aws:s3:::bucket")


def test_a_failure_part_way_says_what_was_done_before_it(account: FakeAccount, cli: Any) -> None:
    forgotten, _, _ = stale_and_live(account)
    account.rekognition.set_authorizer(lambda action, resource, context: action != "rekognition:UntagResource")
    ran = cli("release", forgotten, "--owner", "Gone/Model", "--yes")
    assert ran.code == 3
    assert ran.out == f"stopped {forgotten} (no live owner wants it running)\n"
    assert ran.said.startswith(
        "running-model: access denied: your AWS identity may not call rekognition:UntagResource: "
        "grant it rekognition:UntagResource in an IAM policy"
    )
    assert account.rekognition.status(forgotten) == "STOPPED" and len(account.rekognition.tags(forgotten)) == 1
