"""``running-model status``: standings and verdicts from CloudFormation's real answers, the JSON shape,
the filters, costs, exit statuses, colour and progress."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from support.account import FakeAccount
from support.cli import denying_session, golden_account, only_progress


def by_version(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{version['project']}/{version['version']}": version for version in document["versions"]}


def standings(version: dict[str, Any]) -> dict[str, str]:
    return {f"{owner['stack']}/{owner['logicalId']}": owner["standing"] for owner in version["owners"]}


def test_each_owner_stands_as_cloudformation_says_and_each_version_gets_its_verdict(
    account: FakeAccount, cli: Any
) -> None:
    golden_account(account)
    ran = cli("status", "--json", session=denying_session())
    versions = by_version(json.loads(ran.out))
    assert {name: version["verdict"] for name, version in versions.items()} == {
        "gadgets/v1": "idle",
        "gadgets/v2": "FORGOTTEN",
        "gadgets/v3": "declared",
        "gizmos/v1": "declared",
        "gizmos/v2": "declared",
        "gizmos/v3": "stopped",
        "widgets/v1": "declared",
        "widgets/v2": "FORGOTTEN",
        "widgets/v3": "UNMANAGED",
    }
    assert standings(versions["widgets/v1"]) == {"Factory/Detector": "live", "OldFactory/Detector": "stale"}
    assert standings(versions["gadgets/v2"]) == {"Archive/Model": "stale"}, "retained by a deleted stack"
    assert standings(versions["gadgets/v3"]) == {"Legacy/Model": "live", "Shrunk/Model": "stale"}
    assert standings(versions["gizmos/v2"]) == {"Guarded/Model": "unknown"}
    (guarded,) = versions["gizmos/v2"]["owners"]
    assert guarded["reason"] == "access denied: cloudformation:DescribeStacks"
    (legacy_gone,) = versions["gizmos/v1"]["owners"]
    assert legacy_gone["standing"] == "unknown" and legacy_gone["stackId"] is None, "a gone stack's name proves nothing"
    assert ran.code == 1


def test_without_the_denial_the_guarded_owner_is_live(account: FakeAccount, cli: Any) -> None:
    golden_account(account)
    versions = by_version(json.loads(cli("status", "--json").out))
    assert standings(versions["gizmos/v2"]) == {"Guarded/Model": "live"}


def test_the_json_shape(account: FakeAccount, cli: Any) -> None:
    arranged = golden_account(account)
    ran = cli("status", "--json", "--price-per-unit-hour", "4.5", session=denying_session())
    document = json.loads(ran.out)
    assert list(document) == ["schemaVersion", "region", "filters", "pricePerUnitHour", "versions", "summary"]
    assert document["schemaVersion"] == 1 and document["region"] == "eu-west-1"
    assert document["filters"] == {"project": None, "runningOnly": False} and document["pricePerUnitHour"] == 4.5
    assert document["summary"] == {
        "versions": 9,
        "billed": 7,
        "forgotten": 2,
        "unmanaged": 1,
        "unitHoursPerDay": 240.0,
        "costPerDay": 1080.0,
    }
    version = by_version(document)["widgets/v3"]
    assert version == {
        "project": "widgets",
        "version": "v3",
        "arn": arranged.arns["widgets/v3"],
        "status": "RUNNING",
        "minInferenceUnits": 1,
        "maxInferenceUnits": 4,
        "verdict": "UNMANAGED",
        "unitHoursPerDay": 24.0,
        "costPerDay": 108.0,
        "owners": [],
    }
    owner = by_version(document)["widgets/v2"]["owners"][0]
    assert set(owner) == {"tag", "stack", "stackId", "logicalId", "wants", "standing", "reason"}
    assert owner["tag"].startswith("running-model:owner:") and owner["stackId"].startswith(
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/OldFactory/"
    )
    assert (owner["stack"], owner["logicalId"], owner["wants"], owner["standing"], owner["reason"]) == (
        "OldFactory",
        "Detector",
        "running",
        "stale",
        "stack deleted",
    )
    assert by_version(document)["gadgets/v1"]["owners"][0]["wants"] == "idle"
    assert by_version(document)["gadgets/v1"]["minInferenceUnits"] is None
    assert only_progress(ran.err)


def test_without_a_price_there_are_no_costs(account: FakeAccount, cli: Any) -> None:
    golden_account(account)
    document = json.loads(cli("status", "--json").out)
    assert document["pricePerUnitHour"] is None and document["summary"]["costPerDay"] is None
    assert {version["costPerDay"] for version in document["versions"]} == {None}
    table = cli("status").out
    assert "COST/DAY" not in table.splitlines()[0] and " a day at " not in table


def test_running_only_and_one_project(account: FakeAccount, cli: Any) -> None:
    golden_account(account)
    running = json.loads(cli("status", "--json", "--running-only").out)
    assert sorted(by_version(running)) == [
        "gadgets/v2",
        "gadgets/v3",
        "gizmos/v1",
        "gizmos/v2",
        "widgets/v1",
        "widgets/v2",
        "widgets/v3",
    ]
    assert running["filters"] == {"project": None, "runningOnly": True}
    gadgets = json.loads(cli("status", "--json", "--project", "gadgets").out)
    assert sorted(by_version(gadgets)) == ["gadgets/v1", "gadgets/v2", "gadgets/v3"]
    assert gadgets["filters"] == {"project": "gadgets", "runningOnly": False} and gadgets["summary"]["versions"] == 3
    running_gizmos = cli("status", "--project", "gizmos", "--running-only")
    assert [line.split()[:2] for line in running_gizmos.out.splitlines()[1:3]] == [["gizmos", "v1"], ["gizmos", "v2"]]
    assert running_gizmos.out.splitlines()[3] == "", "two versions, then the summary"
    assert running_gizmos.code == 0, "nothing alarming among them"


def test_a_project_with_no_versions_says_so(account: FakeAccount, cli: Any) -> None:
    account.model("widgets", "v1")
    ran = cli("status", "--project", "nothing-here")
    assert (ran.code, ran.out) == (0, "no Custom Labels model versions in eu-west-1, project nothing-here\n")


def test_everything_declared_exits_0_and_the_table_shows_costs(account: FakeAccount, cli: Any) -> None:
    live = account.stack("Live", ["Model"])
    account.register(account.model("widgets", "v1", units=3), live, "Model")
    account.model("widgets", "v0", status="STOPPED")
    ran = cli("status", "--price-per-unit-hour", "2.5")
    assert ran.code == 0
    assert ran.out.splitlines() == [
        "PROJECT  VERSION  STATUS   UNITS  VERDICT   UNIT-H/DAY  COST/DAY  OWNER       WANTS    STANDING",
        "widgets  v0       STOPPED      -  stopped            0      0.00  -",
        "widgets  v1       RUNNING      3  declared          72    180.00  Live/Model  running  live",
        "",
        "2 versions, 1 billed: 72 inference-unit-hours a day, 180.00 a day at 2.5 an inference-unit-hour.",
    ]


@pytest.mark.parametrize("verdict", ["FORGOTTEN", "UNMANAGED"])
def test_a_forgotten_or_unmanaged_version_exits_1(account: FakeAccount, cli: Any, verdict: str) -> None:
    live = account.stack("Live", ["Model"])
    account.register(account.model("widgets", "v1"), live, "Model")
    alarming = account.model("widgets", "v2")
    if verdict == "FORGOTTEN":
        gone = account.stack("Gone", ["Model"])
        account.register(alarming, gone, "Model")
        account.delete_stack(gone)
    ran = cli("status")
    assert ran.code == 1 and f"  {verdict}  " in ran.out.splitlines()[2]
    assert cli("status", "--json").code == 1, "--json gates the same way"
    assert cli("status", "--project", "elsewhere").code == 0


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["status", "--price-per-unit-hour", "four"], "not a number: 'four'"),
        (["status", "--price-per-unit-hour", "-1"], "a price is a number of at least 0"),
        (["status", "--bogus"], "unrecognized arguments: --bogus"),
        (["stats"], "invalid choice: 'stats'"),
        ([], "the following arguments are required: COMMAND"),
        (["release", "arn:aws:rekognition:eu-west-1:123456789012:project/p/version/v/1"], "--owner"),
    ],
)
def test_a_usage_error_exits_2_with_the_usage(account: FakeAccount, cli: Any, argv: list[str], complaint: str) -> None:
    ran = cli(*argv)
    assert ran.code == 2 and ran.out == ""
    assert ran.err.startswith("usage: running-model") and complaint in ran.err
    assert account.rekognition.calls == []


def test_help_exits_0(cli: Any) -> None:
    ran = cli("status", "--help")
    assert ran.code == 0 and "--price-per-unit-hour PRICE" in ran.out and "exit status: 0" in ran.out


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(
    account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.model("widgets", "v1")
    assert "\x1b[" not in cli("status").out, "not a terminal"
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    cli("status")
    assert "\x1b[1;31mUNMANAGED\x1b[0m" in terminal.getvalue()
    header, row = terminal.getvalue().splitlines()[:2]
    assert row.index("\x1b[1;31m") == header.index("VERDICT"), "colour does not shift the columns"
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setattr("sys.stdout", terminal := Terminal())
    cli("status")
    assert "UNMANAGED" in terminal.getvalue() and "\x1b[" not in terminal.getvalue()


def test_a_listing_that_takes_over_a_second_shows_progress_on_stderr(account: FakeAccount, cli: Any) -> None:
    for index in range(6):
        account.model("widgets", f"v{index}", status="STOPPED")
    account.rekognition.inject_latency("ListTagsForResource", 0.3, count=6)
    ran = cli("status", "--json")
    assert ran.err.startswith("read ") and only_progress(ran.err), ran.err
    assert json.loads(ran.out)["summary"]["versions"] == 6, "stdout holds the JSON alone"


def test_hundreds_of_versions_over_pages_under_a_rate_limit(account: FakeAccount, cli: Any) -> None:
    live = account.stack("Live", ["Model"])
    for index in range(250):
        project = "assembly" if index < 150 else "packaging" if index < 210 else "quality"
        arn = account.model(project, f"v{index:03}", status="RUNNING" if index % 25 == 0 else "STOPPED")
        if index % 50 == 0:
            account.register(arn, live, "Model")
    account.rekognition.set_rate_limit(None, 40)
    account.rekognition.throttle_burst("ListTagsForResource", 2)  # reached however slow the machine
    ran = cli("status", "--json")
    document = json.loads(ran.out)
    assert only_progress(ran.err) and document["summary"]["versions"] == 250
    assert (document["summary"]["billed"], document["summary"]["unmanaged"]) == (10, 5)
    assert ran.code == 1
    pages = [
        call for call in account.rekognition.calls if call.operation == "DescribeProjectVersions" and not call.error
    ]
    assert len(pages) == 4, "100 versions a page: two pages of assembly's 150, one each of the others"
    throttled = [call for call in account.rekognition.calls if call.error == "ThrottlingException"]
    assert throttled, "the rate limit was reached, and retried through"
