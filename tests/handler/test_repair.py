"""Drift repair: the repair schedule's event through the handler as Lambda runs it (real crhelper and
boto3, AWS stood in); nothing is answered to CloudFormation."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest

from running_model.model_version import ModelVersion
from running_model.repair import repairs_metric_line

from support.fakes.cloudformation import STACK_ID, event
from support.testdata import REGION, version_arn
from support.world import World

ARN = version_arn("widgets", "v1")
DECLARED = {"ProjectVersionArn": ARN, "MinInferenceUnits": "2"}


def repair_event(properties: dict[str, Any] = DECLARED, logical_id: str = "Detector") -> dict[str, Any]:
    """What the construct's schedule sends (its Input): the resource and its properties."""
    return {
        "RunningModelRepair": {"StackId": STACK_ID, "LogicalResourceId": logical_id, "ResourceProperties": properties}
    }


def deployed(world: World, **model: Any) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1, **model)
    assert world.run(event("Create", world.responses, DECLARED)).status == "SUCCESS"


def actions(world: World) -> list[str]:
    return [
        c.operation for c in world.rekognition.calls if c.operation in ("StartProjectVersion", "StopProjectVersion")
    ]


def last_start(world: World) -> dict[str, Any]:
    return [c.params for c in world.rekognition.calls if c.operation == "StartProjectVersion"][-1]


def metric_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def test_a_model_stopped_out_of_band_is_started_again_and_the_repair_counted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STOPPED")  # someone stopped it in the console
    answers = len(world.responses.answers)
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion", "StartProjectVersion"]
    assert last_start(world)["MinInferenceUnits"] == 2
    assert len(world.responses.answers) == answers, "a repair answers nothing"
    (line,) = metric_lines(capsys.readouterr().out)
    assert (line["ProjectName"], line["VersionName"], line["Repairs"], line["Found"]) == ("widgets", "v1", 1, "STOPPED")
    (metric,) = line["_aws"]["CloudWatchMetrics"]
    assert metric["Namespace"] == "RekognitionRunningModel" and metric["Metrics"] == [
        {"Name": "Repairs", "Unit": "Count"}
    ]
    assert metric["Dimensions"] == [["ProjectName", "VersionName"]]


def test_a_repair_logs_what_it_found_what_it_did_and_why(world: World, caplog: pytest.LogCaptureFixture) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STOPPED")
    with caplog.at_level(logging.WARNING):
        world.invoke(repair_event())
    logged = [record.getMessage() for record in caplog.records]
    assert "Detector: model widgets/v1 was STOPPED; started it (the stack declares it RUNNING now)" in logged


def test_a_repair_that_finds_the_model_starting_waits_without_an_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STARTING")
    with caplog.at_level(logging.INFO):
        world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_repair_that_finds_the_model_unusable_logs_an_error_and_calls_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "EXPIRED")
    with caplog.at_level(logging.INFO):
        world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"]
    (error,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.startswith("Scheduled look at Detector: Model widgets/v1 cannot run: it has expired")


def test_a_model_found_failed_is_started_again(world: World) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "FAILED", "capacity")
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion", "StartProjectVersion"]


def test_a_model_running_as_declared_is_left_alone_and_nothing_is_counted(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed(world)
    capsys.readouterr()
    world.invoke(repair_event())
    world.rekognition.set_status(ARN, "STARTING")  # a start in progress: the next repair looks again
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"]
    assert metric_lines(capsys.readouterr().out) == []


def test_a_model_restarted_by_hand_with_other_units_is_stopped_then_started_with_the_declared_ones(
    world: World,
) -> None:
    deployed(world)
    rekognition = boto3.client("rekognition", region_name=REGION)  # at the fake, as a person's console would be
    rekognition.stop_project_version(ProjectVersionArn=ARN)
    world.rekognition.set_status(ARN, "STOPPED")
    rekognition.start_project_version(ProjectVersionArn=ARN, MinInferenceUnits=3)
    world.rekognition.set_status(ARN, "RUNNING")
    world.invoke(repair_event())
    assert actions(world)[-1] == "StopProjectVersion"
    world.rekognition.set_status(ARN, "STOPPED")
    world.invoke(repair_event())
    assert actions(world)[-1] == "StartProjectVersion" and last_start(world)["MinInferenceUnits"] == 2


def test_a_repair_made_for_older_units_keeps_the_units_the_stack_declares_now(world: World) -> None:
    """A repair schedule carries the properties as synthesized; after an update of the units it fires
    with the old ones until CloudFormation updates it. The ledger's declaration is what counts."""
    deployed(world)
    update = event("Update", world.responses, {**DECLARED, "MinInferenceUnits": "3"}, physical_id=ARN)
    update["OldResourceProperties"] = DECLARED
    world.rekognition.set_status(ARN, "RUNNING")
    assert world.run(update).status == "SUCCESS"
    world.rekognition.set_status(ARN, "RUNNING")
    before = actions(world)
    world.invoke(repair_event(DECLARED))  # the old MinInferenceUnits, 2
    assert actions(world) == before, "nothing stopped or started: the model runs as the stack declares now"


def test_a_repair_leaves_the_model_alone_when_its_owners_change_while_it_looks(world: World) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STOPPED")

    def released_while_looking(action: str, resource: str, context: Any) -> bool:
        if action == "rekognition:DescribeProjectVersions":
            world.rekognition.set_tags(ARN, {})  # the resource's Delete releases the version meanwhile
        return True

    world.rekognition.set_authorizer(released_while_looking)
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"], "only the deploy's start: the repair found no owner left"


def test_a_repair_whose_look_fails_logs_why_and_leaves_it_to_the_next_event(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STOPPED")
    world.rekognition.inject_error("DescribeProjectVersions", "AccessDeniedException", message="not allowed")
    with caplog.at_level(logging.WARNING):
        world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"]
    logged = [r.getMessage() for r in caplog.records]
    assert (
        "Scheduled look at Detector on widgets/v1: DescribeProjectVersions failed: AccessDeniedException: not allowed"
        in logged
    )


def test_a_model_the_resource_no_longer_owns_is_never_started(world: World) -> None:
    deployed(world)
    assert world.run(event("Delete", world.responses, DECLARED, physical_id=ARN)).status == "SUCCESS"
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion", "StopProjectVersion"]
    assert world.rekognition.status(ARN) == "STOPPED"


def test_a_model_of_another_resource_is_never_touched(world: World) -> None:
    deployed(world)
    world.rekognition.set_status(ARN, "STOPPED")
    world.invoke(repair_event(logical_id="SomeoneElse"))
    assert actions(world) == ["StartProjectVersion"]


def test_a_repair_during_a_deploy_of_the_resource_defers_to_the_deploy(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1)
    create = event("Create", world.responses, DECLARED)
    world.invoke(create)  # the model starts; the request is polled
    world.rekognition.set_status(ARN, "STOPPED")
    world.invoke(repair_event())
    assert actions(world) == ["StartProjectVersion"], "the deploy, not the repair, decides while it runs"
    world.rekognition.set_status(ARN, "RUNNING", "")
    assert world.poll_until_answered(create).status == "SUCCESS"


def test_a_repair_with_bad_properties_calls_nothing(world: World) -> None:
    world.invoke(repair_event({"ProjectVersionArn": "nope"}))
    assert world.rekognition.calls == []


def test_a_repairs_metric_is_stamped_with_its_time_in_milliseconds() -> None:
    version = ModelVersion.from_arn(ARN)
    assert version is not None
    line = json.loads(repairs_metric_line(version, found="STOPPED", now=1_767_607_200.25))
    assert line["_aws"]["Timestamp"] == 1_767_607_200_250
