"""The account-level survey (audit.py, stacks.py) and what may be done about it (remedies.py), against
the fake Rekognition and moto's CloudFormation, where the stacks are created and deleted for real."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from running_model import audit, remedies
from running_model.ownership import Owner
from running_model.stacks import LIVE, STALE, UNKNOWN, StackLookups, Standing

from support.account import REGION, FakeAccount, access_denied
from support.fakes.aws import CREDENTIALS, client
from support.fakes.rekognition import FakeRekognition


@pytest.fixture
def account(aws_endpoint: str) -> Iterator[FakeAccount]:
    fake = FakeRekognition()
    with fake.serve() as endpoint:
        cloudformation = client("cloudformation", aws_endpoint)
        for stack in cloudformation.describe_stacks()["Stacks"]:  # moto's state outlives a test
            cloudformation.delete_stack(StackName=stack["StackId"])
        found = FakeAccount(fake, cloudformation)
        found.client = boto3.client("rekognition", region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)  # type: ignore[attr-defined]
        yield found


def lookups(account: FakeAccount, *, denied: set[str] = frozenset()) -> StackLookups:  # type: ignore[assignment]
    """StackLookups on moto; CloudFormation answers AccessDenied to the ``denied`` operations."""
    endpoint = account.cloudformation.meta.endpoint_url

    def client_for(region: str) -> Any:
        client = boto3.client("cloudformation", region_name=region, endpoint_url=endpoint, **CREDENTIALS)
        client.meta.events.register("before-send.cloudformation", _deny(denied))
        return client

    return StackLookups(client_for)


def _deny(operations: set[str]) -> Any:
    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        return access_denied(request) if any(f"Action={operation}" in body for operation in operations) else None

    return before_send


def survey(account: FakeAccount, **options: Any) -> dict[str, audit.VersionReport]:
    reports = audit.survey(account.client, options.pop("stacks", None) or lookups(account), **options)  # type: ignore[attr-defined]
    return {report.version: report for report in reports}


# Standing: what CloudFormation says of an owner


def test_an_owner_in_a_live_stack_is_live(account: FakeAccount) -> None:
    stack = account.stack("Live", ["Model"])
    assert lookups(account).standing(Owner(stack, "Model")).state == LIVE


def test_an_owner_whose_stack_is_deleted_is_stale_and_so_is_one_retained_by_a_deleted_stack(
    account: FakeAccount,
) -> None:
    deleted, retained = account.stack("Deleted", ["Model"]), account.stack("Retained", ["Model"], retained=True)
    account.delete_stack(deleted)
    account.delete_stack(retained)
    found = lookups(account)
    assert found.standing(Owner(deleted, "Model")) == Standing(STALE, "stack deleted")
    assert found.standing(Owner(retained, "Model")).state == STALE


def test_an_owner_its_live_stack_no_longer_holds_is_stale(account: FakeAccount) -> None:
    stack = account.stack("Shrunk", ["Model", "Other"])
    account.remove_resource(stack, "Model")
    standing = lookups(account).standing(Owner(stack, "Model"))
    assert standing.state == STALE and "no longer holds Model" in standing.reason
    assert lookups(account).standing(Owner(stack, "Other")).state == LIVE


def test_an_owner_of_a_stack_cloudformation_never_knew_is_stale(account: FakeAccount) -> None:
    never = "arn:aws:cloudformation:eu-west-1:123456789012:stack/Never/00000000-0000-0000-0000-000000000000"
    assert lookups(account).standing(Owner(never, "Model")).state == STALE


@pytest.mark.parametrize("operation", ["DescribeStacks", "DescribeStackResource"])
def test_an_owner_whose_lookup_is_denied_is_unknown_never_stale(account: FakeAccount, operation: str) -> None:
    stack = account.stack("Guarded", ["Model"])
    account.delete_stack(stack)
    standing = lookups(account, denied={operation}).standing(Owner(stack, "Model"))
    if operation == "DescribeStacks":
        assert standing == Standing(UNKNOWN, "access denied: cloudformation:DescribeStacks")
    else:  # the stack alone decides: deleted
        assert standing.state == STALE


def test_a_live_owner_whose_resource_lookup_is_denied_is_unknown(account: FakeAccount) -> None:
    stack = account.stack("Guarded", ["Model"])
    standing = lookups(account, denied={"DescribeStackResource"}).standing(Owner(stack, "Model"))
    assert standing == Standing(UNKNOWN, "access denied: cloudformation:DescribeStackResource")


def test_an_unreachable_cloudformation_makes_owners_unknown(account: FakeAccount) -> None:
    stack = account.stack("Far", ["Model"])
    unreachable = StackLookups(
        lambda region: boto3.client(
            "cloudformation",
            region_name=region,
            endpoint_url="http://127.0.0.1:9",
            config=boto3.session.Config(retries={"total_max_attempts": 1}, connect_timeout=1),
            **CREDENTIALS,
        )
    )
    standing = unreachable.standing(Owner(stack, "Model"))
    assert standing.state == UNKNOWN and standing.reason.startswith("cloudformation:DescribeStacks failed")


def test_each_stack_and_resource_is_asked_about_once(account: FakeAccount) -> None:
    stack = account.stack("Busy", ["A", "B"])
    asked: list[str] = []

    def client_for(region: str) -> Any:
        client = boto3.client(
            "cloudformation", region_name=region, endpoint_url=account.cloudformation.meta.endpoint_url, **CREDENTIALS
        )
        client.meta.events.register("before-call.cloudformation", lambda model, **_: asked.append(model.name))
        return client

    found = StackLookups(client_for)
    for logical_id in ("A", "B", "A", "B"):
        assert found.standing(Owner(stack, logical_id)).state == LIVE
    assert asked == ["DescribeStacks", "DescribeStackResource", "DescribeStackResource"]


# Verdicts


def test_the_verdicts_of_an_account(account: FakeAccount) -> None:
    live, gone = account.stack("Live", ["Model", "Idle"]), account.stack("Gone", ["Model"])
    declared = account.model("widgets", "declared", units=2)
    account.register(declared, live, "Model")
    account.register(declared, gone, "Model")
    idle = account.model("widgets", "idle")
    account.register(idle, live, "Idle", idle=True)
    forgotten = account.model("widgets", "forgotten", units=3)
    account.register(forgotten, gone, "Model")
    account.model("widgets", "unmanaged")
    account.model("widgets", "stopped", status="STOPPED")
    stopped_forgotten = account.model("widgets", "stopped-forgotten", status="STOPPED")
    account.register(stopped_forgotten, gone, "Model")
    account.delete_stack(gone)
    reports = survey(account)
    verdicts = {version: report.verdict for version, report in reports.items()}
    assert verdicts == {
        "declared": "declared",
        "idle": "idle",
        "forgotten": "FORGOTTEN",
        "unmanaged": "UNMANAGED",
        "stopped": "stopped",
        "stopped-forgotten": "stopped",
    }
    assert reports["forgotten"].unit_hours_per_day == 72.0 and reports["stopped"].unit_hours_per_day == 0.0
    assert reports["forgotten"].as_json(1.5)["costPerDay"] == 108.0


def test_a_starting_model_whose_owners_are_all_stale_is_forgotten(account: FakeAccount) -> None:
    gone = account.stack("Gone", ["Model"])
    arn = account.model("widgets", "v1", status="STARTING")
    account.register(arn, gone, "Model")
    account.delete_stack(gone)
    assert survey(account)["v1"].verdict == audit.FORGOTTEN


def test_a_running_model_whose_only_owner_cannot_be_looked_up_is_not_forgotten(account: FakeAccount) -> None:
    gone = account.stack("Gone", ["Model"])
    arn = account.model("widgets", "v1")
    account.register(arn, gone, "Model")
    account.delete_stack(gone)
    report = survey(account, stacks=lookups(account, denied={"DescribeStacks"}))["v1"]
    assert report.verdict == audit.DECLARED and report.owners[0].standing.state == UNKNOWN


def test_a_registration_from_before_the_locator_is_found_by_its_stacks_name_while_the_stack_lives(
    account: FakeAccount,
) -> None:
    live, gone = account.stack("Live", ["Model"]), account.stack("Gone", ["Model"])
    kept, lost = account.model("widgets", "kept"), account.model("widgets", "lost")
    account.register(kept, live, "Model", legacy=True)
    account.register(lost, gone, "Model", legacy=True)
    account.delete_stack(gone)
    reports = survey(account)
    assert reports["kept"].owners[0].standing.state == LIVE and reports["kept"].owners[0].stack_id == live
    assert reports["lost"].owners[0].standing.state == UNKNOWN, "a deleted stack's name proves nothing"
    assert reports["lost"].verdict == audit.DECLARED


def test_hundreds_of_versions_are_read_across_pages(account: FakeAccount) -> None:
    for index in range(250):
        account.model(f"project-{index % 2}", f"v{index:03}", status="STOPPED", timestamp=1767607200000 + index)
    reports = audit.survey(account.client, lookups(account))  # type: ignore[attr-defined]
    assert len(reports) == 250 and reports[0].project == "project-0" and reports[0].version == "v000"
    assert account.rekognition.call_count("DescribeProjectVersions") == 2 * 2, "125 versions a project: two pages"


def test_running_only_and_one_project(account: FakeAccount) -> None:
    account.model("widgets", "on")
    account.model("widgets", "off", status="STOPPED")
    account.model("gadgets", "on")
    assert set(survey(account, running_only=True)) == {"on"}
    assert [r.project for r in audit.survey(account.client, lookups(account), project="gadgets")] == ["gadgets"]  # type: ignore[attr-defined]


# Remedies


def forgotten_model(account: FakeAccount) -> tuple[str, Owner, Owner]:
    gone, live = account.stack("Gone", ["Model"]), account.stack("Live", ["Model"])
    arn = account.model("widgets", "v1")
    stale = account.register(arn, gone, "Model")
    account.delete_stack(gone)
    return arn, stale, Owner(live, "Model")


def test_the_sweep_stops_a_forgotten_model_then_removes_its_stale_owners_and_their_start_times(
    account: FakeAccount,
) -> None:
    arn, stale, _ = forgotten_model(account)
    account.rekognition.set_tags(arn, {**account.rekognition.tags(arn), "running-model:starts": "1200", "team": "x"})
    outcome = remedies.sweep(account.client, list(survey(account).values()), stop_forgotten=True, stop_unmanaged=False)  # type: ignore[attr-defined]
    assert account.rekognition.status(arn) in {"STOPPING", "STOPPED"}
    assert account.rekognition.tags(arn) == {"team": "x"}
    assert outcome.done[0].startswith(f"stopped {arn} (FORGOTTEN, every owner stale: Gone/Model: stack deleted)")
    assert outcome.done[1] == f"removed the registration of Gone/Model from {arn}"


def test_the_sweep_leaves_a_forgotten_model_running_when_a_stack_registered_since_the_survey(
    account: FakeAccount,
) -> None:
    arn, stale, newcomer = forgotten_model(account)
    reports = list(survey(account).values())
    account.register(arn, newcomer.stack_id, newcomer.logical_id)
    outcome = remedies.sweep(account.client, reports, stop_forgotten=True, stop_unmanaged=True)  # type: ignore[attr-defined]
    assert account.rekognition.status(arn) == "RUNNING" and stale.key in account.rekognition.tags(arn)
    assert outcome.done == [f"left {arn} running: an owner registered since the survey wants it"]


@pytest.mark.parametrize(
    ("stop_forgotten", "stop_unmanaged"), [(False, False), (False, True), (True, False), (True, True)]
)
def test_the_sweep_stops_only_what_it_is_told_to(
    account: FakeAccount, stop_forgotten: bool, stop_unmanaged: bool
) -> None:
    forgotten, _, live = forgotten_model(account)
    unmanaged = account.model("widgets", "v2")
    held_idle = account.model("widgets", "v3")  # a live stack holds it idle: its own windows stop it
    account.register(held_idle, live.stack_id, live.logical_id, idle=True)
    remedies.sweep(
        account.client, list(survey(account).values()), stop_forgotten=stop_forgotten, stop_unmanaged=stop_unmanaged
    )  # type: ignore[attr-defined]
    assert (account.rekognition.status(forgotten) == "RUNNING") is not stop_forgotten
    assert (account.rekognition.status(unmanaged) == "RUNNING") is not stop_unmanaged
    assert account.rekognition.status(held_idle) == "RUNNING"


def test_a_release_of_a_live_owner_is_refused_unless_forced(account: FakeAccount) -> None:
    live = account.stack("Live", ["Model"])
    arn = account.model("widgets", "v1")
    account.register(arn, live, "Model")
    report = survey(account)["v1"]
    with pytest.raises(remedies.ReleaseRefusedError, match=r"Live/Model is live .*pass --force"):
        remedies.plan_release(report, "Live/Model")
    with pytest.raises(remedies.ReleaseRefusedError, match="has no owner Other/Model; its owners: Live/Model"):
        remedies.plan_release(report, "Other/Model")
    plan = remedies.plan_release(report, "Live/Model", force=True)
    assert plan.stop and plan.describe() == [
        f"stop {arn} (no live owner wants it running)",
        f"remove the registration of Live/Model from {arn}",
    ]


def test_a_release_of_one_stale_owner_keeps_the_model_another_live_owner_wants(account: FakeAccount) -> None:
    arn, stale, other = forgotten_model(account)
    account.register(arn, other.stack_id, other.logical_id)
    plan = remedies.plan_release(survey(account)["v1"], stale.key)
    assert not plan.stop
    outcome = remedies.Outcome()
    remedies.carry_out(account.client, plan, outcome)  # type: ignore[attr-defined]
    assert account.rekognition.status(arn) == "RUNNING"
    assert set(account.rekognition.tags(arn)) == {other.key}
    assert outcome.done == [f"removed the registration of Gone/Model from {arn}"]


def test_the_start_times_stay_when_an_owner_registered_idle_since_the_survey(account: FakeAccount) -> None:
    arn, stale, newcomer = forgotten_model(account)
    account.rekognition.set_tags(arn, {**account.rekognition.tags(arn), "running-model:starts": "1200"})
    reports = list(survey(account).values())
    account.register(arn, newcomer.stack_id, newcomer.logical_id, idle=True)
    remedies.sweep(account.client, reports, stop_forgotten=True, stop_unmanaged=False)  # type: ignore[attr-defined]
    assert account.rekognition.status(arn) in {"STOPPING", "STOPPED"}, "an idle owner does not want it running"
    assert set(account.rekognition.tags(arn)) == {newcomer.key, "running-model:starts"}


def test_a_versions_json_names_everything_the_survey_found(account: FakeAccount) -> None:
    gone = account.stack("Gone", ["Model"])
    arn = account.model("widgets", "v1", units=2)
    owner = account.register(arn, gone, "Model", idle=True)
    account.delete_stack(gone)
    report = survey(account)["v1"]
    assert report.as_json() == {
        "project": "widgets",
        "version": "v1",
        "arn": arn,
        "status": "RUNNING",
        "minInferenceUnits": 2,
        "maxInferenceUnits": 2,
        "verdict": "FORGOTTEN",
        "unitHoursPerDay": 48.0,
        "costPerDay": None,
        "owners": [
            {
                "tag": owner.key,
                "stack": "Gone",
                "stackId": gone,
                "logicalId": "Model",
                "wants": "idle",
                "standing": "stale",
                "reason": "stack deleted",
            }
        ],
    }


def test_an_owner_tag_that_names_no_stack_is_unknown_and_shown_without_one(account: FakeAccount) -> None:
    arn = account.model("widgets", "v1")
    account.rekognition.set_tags(arn, {"running-model:owner:0123456789abcdef0123456789abcdef": "req-1"})
    (owner,) = survey(account)["v1"].owners
    assert owner.as_json() | {"tag": None} == {
        "tag": None,
        "stack": None,
        "stackId": None,
        "logicalId": None,
        "wants": "running",
        "standing": "unknown",
        "reason": "the registration does not locate its stack (made by an older handler)",
    }


def test_a_version_deleted_while_the_survey_runs_is_left_out_and_any_other_error_ends_the_survey(
    account: FakeAccount,
) -> None:
    account.model("widgets", "v1")
    account.model("widgets", "v2")
    account.rekognition.inject_error("ListTagsForResource", "ResourceNotFoundException", count=1)
    assert len(survey(account)) == 1
    account.rekognition.inject_error("ListTagsForResource", "AccessDeniedException", count=1)
    with pytest.raises(ClientError, match="AccessDeniedException"):
        survey(account)


def test_a_release_stops_the_model_when_the_only_other_live_owner_holds_it_idle(account: FakeAccount) -> None:
    arn, stale, other = forgotten_model(account)
    account.register(arn, other.stack_id, other.logical_id, idle=True)
    plan = remedies.plan_release(survey(account)["v1"], "Gone/Model")
    assert plan.owner.key == stale.key and plan.stop
