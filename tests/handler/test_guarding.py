"""The RunningModelGuard's run (running_model/guarding.py), in-process, against the fake Rekognition over HTTP
and moto's CloudFormation: it stops exactly what it is configured to, removes only stale registrations,
and publishes its counts in CloudWatch's embedded metric format."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from running_model.guarding import LOG_KEY, Guard, GuardRunError, Settings
from running_model.lead_time import STARTS_TAG
from running_model.ownership import Owner

from support.account import ACCOUNT, REGION, FakeAccount, access_denied
from support.fakes.aws import CREDENTIALS, client
from support.fakes.rekognition import FakeRekognition

# Owners whose stacks are in this region cannot be looked up: CloudFormation there refuses every call.
UNREACHABLE_REGION = "us-east-1"
NOW = 1_767_607_200.5
READS = {"DescribeProjects", "DescribeProjectVersions", "ListTagsForResource"}
USER_TAG = {"team": "vision"}


@dataclass
class Account:
    """The model versions of the account, one of each verdict, and what the guard wrote to its log."""

    fake: FakeRekognition
    rekognition: Any
    cloudformation_endpoint: str
    arrange: FakeAccount
    arns: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    live: str = ""

    def guard(self, **settings: bool) -> Guard:
        return Guard(
            self.rekognition, self.cloudformation_for, Settings(**settings), emit=self.lines.append, clock=lambda: NOW
        )

    def cloudformation_for(self, region: str) -> Any:
        cloudformation = boto3.client(
            "cloudformation", region_name=region, endpoint_url=self.cloudformation_endpoint, **CREDENTIALS
        )
        if region == UNREACHABLE_REGION:
            cloudformation.meta.events.register("before-send.cloudformation", access_denied)
        return cloudformation

    def stops(self) -> list[str]:
        return [call.params["ProjectVersionArn"] for call in self.fake.calls if call.operation == "StopProjectVersion"]

    def writes(self) -> list[str]:
        return [call.operation for call in self.fake.calls if call.operation not in READS]

    def metrics(self) -> dict[str, Any]:
        (line,) = [json.loads(line) for line in self.lines if line.startswith('{"_aws"')]
        return dict(line)

    def logged(self, action: str) -> dict[str, dict[str, Any]]:
        """The guard's log lines of ``action``, by version name."""
        entries = [json.loads(line) for line in self.lines if not line.startswith('{"_aws"')]
        return {entry["ModelVersionArn"].split("/")[3]: entry for entry in entries if entry[LOG_KEY] == action}


@pytest.fixture
def account(aws_endpoint: str) -> Iterator[Account]:
    """Every verdict, in moto's account:

    - ``declared``: a live stack's resource wants it running; ``idle``: a live stack's resource holds it idle;
    - ``deleted`` (2 units): its only stack is deleted; ``removed`` (3 units): its stack no longer holds the
      resource; both FORGOTTEN, ``removed`` with a user's tag and the measured start times too;
    - ``unmanaged``: running with no owner;
    - ``unknown``: one owner stale, the other in a region where CloudFormation refuses to answer (not FORGOTTEN);
    - ``stopped``: not running, its only owner stale.
    """
    fake = FakeRekognition()
    suffix = uuid.uuid4().hex[:8]
    with fake.serve() as endpoint:
        rekognition = boto3.client("rekognition", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)
        arrange = FakeAccount(fake, client("cloudformation", aws_endpoint))
        world = Account(fake, rekognition, aws_endpoint, arrange)
        arns = world.arns
        for name, units in (
            ("declared", 1),
            ("idle", 1),
            ("deleted", 2),
            ("removed", 3),
            ("unmanaged", 1),
            ("unknown", 1),
        ):
            arns[name] = arrange.model("widgets", name, units=units)
        arns["stopped"] = arrange.model("widgets", "stopped", status="STOPPED")
        world.live = arrange.stack(f"Live-{suffix}", ["Declared", "Idle", "Removed"])
        gone = arrange.stack(f"Gone-{suffix}", ["Model"])
        arrange.register(arns["declared"], world.live, "Declared")
        arrange.register(arns["idle"], world.live, "Idle", idle=True)
        arrange.register(arns["deleted"], gone, "Model")
        fake.set_tags(arns["removed"], {**USER_TAG, STARTS_TAG: "300"})
        arrange.register(arns["removed"], world.live, "Removed")
        arrange.register(arns["unknown"], gone, "Model")
        elsewhere = f"arn:aws:cloudformation:{UNREACHABLE_REGION}:{ACCOUNT}:stack/Elsewhere-{suffix}/{uuid.uuid4()}"
        arrange.register(arns["unknown"], elsewhere, "Model")
        arrange.register(arns["stopped"], gone, "Model")
        arrange.remove_resource(world.live, "Removed")
        arrange.delete_stack(gone)
        yield world


# Which versions are stopped, for each setting.


def test_a_guard_that_may_not_stop_only_reads_and_counts(account: Account) -> None:
    run = account.guard().run()
    assert account.writes() == [], "without a stop setting the run never writes"
    assert sorted(report.version for report in run.forgotten) == ["deleted", "removed"]
    assert [report.version for report in run.unmanaged] == ["unmanaged"]
    assert sorted(account.logged("found")) == ["deleted", "removed", "unmanaged"]
    assert account.logged("stopped") == {}
    assert account.metrics()["ModelsStopped"] == 0


def test_stop_forgotten_stops_every_forgotten_version_and_removes_its_stale_registrations_only(
    account: Account,
) -> None:
    arns = account.arns
    before = {name: account.fake.tags(arn) for name, arn in arns.items()}
    run = account.guard(stop_forgotten=True).run()
    assert sorted(account.stops()) == sorted([arns["deleted"], arns["removed"]])
    assert [stop.report.version for stop in run.stops] == ["deleted", "removed"]
    assert account.fake.tags(arns["deleted"]) == {}
    assert account.fake.tags(arns["removed"]) == USER_TAG, (
        "the registration and the start times go, the user's tag stays"
    )
    for name in ("declared", "idle", "unmanaged", "unknown", "stopped"):
        assert account.fake.tags(arns[name]) == before[name], name
        assert account.fake.status(arns[name]) == ("STOPPED" if name == "stopped" else "RUNNING"), name
    untagged = [call.params for call in account.fake.calls if call.operation == "UntagResource"]
    assert all(key.startswith("running-model:") for params in untagged for key in params["TagKeys"])
    assert account.metrics()["ModelsStopped"] == 2


def test_stop_forgotten_leaves_a_version_whose_owner_cloudformation_does_not_answer_for(account: Account) -> None:
    run = account.guard(stop_forgotten=True).run()
    (unknown,) = [report for report in run.reports if report.version == "unknown"]
    assert [owner.standing.state for owner in unknown.owners if owner.label.startswith("Elsewhere")] == ["unknown"]
    assert unknown.verdict == "declared", "an owner with no certain answer counts as live"
    assert account.arns["unknown"] not in account.stops()


def test_stop_unmanaged_alone_stops_the_unmanaged_version_and_removes_no_tag(account: Account) -> None:
    account.guard(stop_unmanaged=True).run()
    assert account.stops() == [account.arns["unmanaged"]]
    assert "UntagResource" not in account.writes()
    assert account.metrics()["ModelsStopped"] == 1


def test_both_settings_stop_the_forgotten_and_the_unmanaged_versions(account: Account) -> None:
    account.guard(stop_forgotten=True, stop_unmanaged=True).run()
    arns = account.arns
    assert sorted(account.stops()) == sorted([arns["deleted"], arns["removed"], arns["unmanaged"]])
    assert account.fake.running_models() == [arns[name] for name in ("declared", "idle", "unknown")]


def test_each_stop_is_logged_with_its_reason_and_the_registrations_removed(account: Account) -> None:
    account.guard(stop_forgotten=True, stop_unmanaged=True).run()
    stopped = account.logged("stopped")
    assert sorted(stopped) == ["deleted", "removed", "unmanaged"]
    removed = stopped["removed"]
    assert removed["Verdict"] == "FORGOTTEN" and removed["MinInferenceUnits"] == 3
    assert removed["Reason"].startswith("FORGOTTEN: billed, and every owner is stale (Live-")
    assert "no longer holds Removed" in removed["Reason"]
    assert [owner["logicalId"] for owner in removed["Released"]] == ["Removed"]
    assert stopped["unmanaged"]["Reason"] == "UNMANAGED: billed, and no stack has registered as its owner"
    assert stopped["unmanaged"]["Released"] == []


# The metrics.


def test_the_counts_are_one_embedded_metric_format_line_without_dimensions(account: Account) -> None:
    account.guard(stop_forgotten=True).run({"RunningModelGuard": {"ScheduledTime": "2026-01-05T10:00:00Z"}})
    line = account.metrics()
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert line["_aws"]["Timestamp"] == 1_767_607_200_500
    assert directive == {
        "Namespace": "RekognitionRunningModel",
        "Dimensions": [[]],
        "Metrics": [
            {"Name": "ForgottenModels", "Unit": "Count"},
            {"Name": "UnmanagedModels", "Unit": "Count"},
            {"Name": "ForgottenInferenceUnits", "Unit": "Count"},
            {"Name": "ModelsStopped", "Unit": "Count"},
        ],
    }
    counts = {
        name: line[name] for name in ("ForgottenModels", "UnmanagedModels", "ForgottenInferenceUnits", "ModelsStopped")
    }
    assert counts == {"ForgottenModels": 2, "UnmanagedModels": 1, "ForgottenInferenceUnits": 5, "ModelsStopped": 2}
    assert line["ScheduledTime"] == "2026-01-05T10:00:00Z"
    assert (line["StopForgotten"], line["StopUnmanaged"]) == (True, False)
    assert sorted(arn.split("/")[3] for arn in line["Forgotten"]) == ["deleted", "removed"]
    assert line["Unmanaged"] == [account.arns["unmanaged"]]


def test_an_account_with_nothing_forgotten_publishes_zeros(aws_endpoint: str) -> None:
    """Zeros, not nothing: the alarm on missing counts tells a guard that stopped running from a clean account."""
    fake = FakeRekognition()
    lines: list[str] = []
    with fake.serve() as endpoint:
        FakeAccount(fake, client("cloudformation", aws_endpoint)).model(
            "widgets", "trained", status="TRAINING_COMPLETED"
        )
        rekognition = boto3.client("rekognition", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)
        guard = Guard(
            rekognition, lambda region: client("cloudformation", aws_endpoint), Settings(True, True), emit=lines.append
        )
        guard.run()
    (line,) = [json.loads(line) for line in lines]
    assert [
        line[name] for name in ("ForgottenModels", "UnmanagedModels", "ForgottenInferenceUnits", "ModelsStopped")
    ] == [0, 0, 0, 0]
    assert fake.call_count("ListTagsForResource") == 0, "a version that is not billed is not looked at"


# Between the survey and the stop, and failures.


def test_a_version_an_owner_registers_on_after_the_survey_is_left_running(account: Account) -> None:
    arns = account.arns
    newcomer = Owner(account.live, "Newcomer")
    reads = {"count": 0}

    def registers_before_the_second_read(action: str, resource: str, context: Mapping[str, Any]) -> bool:
        if action == "rekognition:ListTagsForResource" and resource == arns["deleted"]:
            reads["count"] += 1
            if reads["count"] == 2:  # the stop's own read, after the survey's
                account.fake.set_tags(resource, {**account.fake.tags(resource), newcomer.key: newcomer.value("r-1")})
        return True

    account.fake.set_authorizer(registers_before_the_second_read)
    run = account.guard(stop_forgotten=True).run()
    assert account.stops() == [arns["removed"]]
    assert newcomer.key in account.fake.tags(arns["deleted"])
    assert [report.version for report in run.left_running] == ["deleted"]
    assert "registered since the survey" in account.logged("left running")["deleted"]["Reason"]
    assert account.metrics()["ForgottenModels"] == 2 and account.metrics()["ModelsStopped"] == 1


def test_a_stop_that_fails_does_not_keep_the_others_from_being_made_and_the_counts_are_published(
    account: Account,
) -> None:
    account.fake.inject_error("StopProjectVersion", "ResourceInUseException", message="The model is STOPPING.")
    with pytest.raises(GuardRunError, match=r"1 stop\(s\) failed: .*version/deleted/.*ResourceInUseException"):
        account.guard(stop_forgotten=True).run()
    arns = account.arns
    assert account.fake.status(arns["deleted"]) == "RUNNING" and account.fake.status(arns["removed"]) != "RUNNING"
    assert len(account.fake.tags(arns["deleted"])) == 1, "its registration stays: it was not stopped"
    assert sorted(account.logged("failed")) == ["deleted"] and sorted(account.logged("stopped")) == ["removed"]
    assert account.metrics()["ModelsStopped"] == 1


def test_a_stop_whose_registrations_cannot_be_removed_is_still_counted(account: Account) -> None:
    account.fake.inject_error("UntagResource", "AccessDeniedException", count=2)
    with pytest.raises(GuardRunError, match="2 stop"):
        account.guard(stop_forgotten=True).run()
    assert sorted(account.logged("stopped")) == ["deleted", "removed"]
    assert sorted(account.logged("failed")) == ["deleted", "removed"]
    assert account.metrics()["ModelsStopped"] == 2


def test_a_survey_that_fails_publishes_no_counts(account: Account) -> None:
    account.fake.inject_error("DescribeProjects", "AccessDeniedException")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        account.guard(stop_forgotten=True).run()
    assert account.lines == [] and account.stops() == []


def test_each_run_asks_cloudformation_afresh(account: Account) -> None:
    """A warm function keeps its Guard between runs: what CloudFormation said last run is not kept."""
    guard = account.guard()
    assert [report.version for report in guard.run().forgotten] == ["deleted", "removed"]
    account.arrange.delete_stack(account.live)
    assert [report.version for report in guard.run().forgotten] == ["declared", "deleted", "idle", "removed"]


# The settings.


@pytest.mark.parametrize(
    "environment, settings",
    [
        ({}, Settings(False, False)),
        ({"GUARD_STOP_FORGOTTEN": "true", "GUARD_STOP_UNMANAGED": "false"}, Settings(True, False)),
        ({"GUARD_STOP_FORGOTTEN": "false", "GUARD_STOP_UNMANAGED": "true"}, Settings(False, True)),
        ({"GUARD_STOP_FORGOTTEN": "true", "GUARD_STOP_UNMANAGED": "true"}, Settings(True, True)),
    ],
)
def test_the_settings_come_from_the_environment(environment: dict[str, str], settings: Settings) -> None:
    assert Settings.from_environment(environment) == settings


@pytest.mark.parametrize("value", ["True", "1", "yes", ""])
def test_a_setting_other_than_true_or_false_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=rf"GUARD_STOP_UNMANAGED: received {value!r}; expected 'true' or 'false'"):
        Settings.from_environment({"GUARD_STOP_UNMANAGED": value})
