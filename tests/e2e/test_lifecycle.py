"""End to end: the synthesized asset driven through Create, Update and Delete as CloudFormation
and EventBridge drive it, against AWS stood in (harness.py). Invariants are checked after each.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness import SLOW, World
from support.testdata import version_arn

ARN = version_arn("widgets", "v1")
NEW_ARN = version_arn("widgets", "v2")


def operations(world: World) -> list[str]:
    return [call.operation for call in world.rekognition.calls if call.operation.endswith("ProjectVersion")]


def test_create_then_destroy(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=3, stop_seconds=2)
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN)
    assert created.status == "SUCCESS", created.reason
    assert created.body["Data"]["Status"] == "RUNNING"
    assert e2e_world.rekognition.status(ARN) == "RUNNING"
    destroyed = e2e_world.stack.destroy()
    assert destroyed.status == "SUCCESS", destroyed.reason
    assert e2e_world.rekognition.status(ARN) == "STOPPED"
    assert e2e_world.eventbridge.firings >= 2, "the start and the stop both outlasted the first invocation"


def test_create_with_min_and_max(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1)
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN, MinInferenceUnits=2, MaxInferenceUnits=6)
    assert created.status == "SUCCESS", created.reason
    assert e2e_world.rekognition.units(ARN) == (2, 6)
    assert (created.body["Data"]["MinInferenceUnits"], created.body["Data"]["MaxInferenceUnits"]) == ("2", "6")


def test_a_start_that_ends_in_failed_is_reported_and_rolled_back(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=2)
    e2e_world.rekognition.fail_next_starts(ARN, "Insufficient inference capacity in eu-west-1")
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN)
    assert created.status == "FAILED"
    assert "failed to start: Insufficient inference capacity in eu-west-1" in created.reason
    assert e2e_world.rekognition.status(ARN) == "FAILED"
    assert e2e_world.stack.physical_id is None


def test_an_unknown_version_fails_and_its_rollback_delete_succeeds(e2e_world: World) -> None:
    e2e_world.rekognition.add_project("widgets")
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN)
    assert created.status == "FAILED" and "not found" in created.reason
    rollback = e2e_world.responses.answers_to(e2e_world.stack.requests[-1]["RequestId"])
    assert e2e_world.stack.requests[-1]["RequestType"] == "Delete" and rollback[0].status == "SUCCESS"


@pytest.mark.parametrize(
    "properties, named",
    [
        ({"ProjectVersionArn": ARN, "MinInferenceUnits": 0}, "MinInferenceUnits"),
        ({"ProjectVersionArn": ARN, "MinInferenceUnits": "abc"}, "MinInferenceUnits"),
        (
            {"ProjectVersionArn": ARN, "MinInferenceUnits": 4, "MaxInferenceUnits": 2},
            "MaxInferenceUnits: received 2; expected at least MinInferenceUnits (4)",
        ),
        ({}, "ProjectVersionArn: received nothing; expected the ARN of the model version to run"),
        (
            {"ProjectVersionArn": "arn:aws:rekognition:eu-west-1:111122223333:model/v1"},
            "; expected arn:<partition>:rekognition:<region>:<account>:project/<name>/version/",
        ),
    ],
)
def test_a_bad_property_fails_at_once_and_its_rollback_delete_succeeds(
    e2e_world: World, properties: dict[str, Any], named: str
) -> None:
    e2e_world.rekognition.add_model(ARN)
    created = e2e_world.stack.deploy(**properties)
    assert created.status == "FAILED" and named in created.reason
    # The rollback Delete (with a made-up id) only checks whether its resource registered on the model.
    assert {call.operation for call in e2e_world.rekognition.calls} <= {"ListTagsForResource"}
    assert len(e2e_world.lambda_service.invocations) == 2, "answered at once, and so was the rollback"


def test_delete_of_a_model_stopped_behind_the_stacks_back(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    e2e_world.rekognition.set_status(ARN, "STOPPED")
    assert e2e_world.stack.destroy().status == "SUCCESS"
    assert "StopProjectVersion" not in operations(e2e_world)


def test_delete_of_a_missing_model(e2e_world: World) -> None:
    e2e_world.rekognition.add_project("widgets")
    answer = e2e_world.stack.send("Delete", {"ProjectVersionArn": ARN}, physical_id=ARN)
    assert answer.status == "SUCCESS"


def test_delete_of_a_never_created_resource(e2e_world: World) -> None:
    never = "RunningModelExample_Detector_Q1W2E3R4"
    answer = e2e_world.stack.send("Delete", {"ProjectVersionArn": "garbage"}, physical_id=never)
    assert answer.status == "SUCCESS" and answer.body["PhysicalResourceId"] == never
    assert e2e_world.rekognition.calls == []


def test_units_update_restarts_the_model(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1, stop_seconds=1)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    updated = e2e_world.stack.deploy(ProjectVersionArn=ARN, MinInferenceUnits=3)
    assert updated.status == "SUCCESS", updated.reason
    assert updated.body["PhysicalResourceId"] == ARN
    assert e2e_world.rekognition.units(ARN) == (3, 3)
    assert operations(e2e_world) == ["StartProjectVersion", "StopProjectVersion", "StartProjectVersion"]


def test_new_version_update_is_blue_green(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1, stop_seconds=1)
    e2e_world.rekognition.add_model(NEW_ARN, start_seconds=2, stop_seconds=1)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    statuses_at_success: list[tuple[str | None, str | None]] = []

    def look() -> None:
        statuses_at_success.append((e2e_world.rekognition.status(ARN), e2e_world.rekognition.status(NEW_ARN)))

    updated = e2e_world.stack.deploy(ProjectVersionArn=NEW_ARN, before_cleanup=look)
    assert updated.status == "SUCCESS" and updated.body["PhysicalResourceId"] == NEW_ARN
    assert statuses_at_success == [("RUNNING", "RUNNING")], "the old version served until the new one ran"
    assert (e2e_world.rekognition.status(ARN), e2e_world.rekognition.status(NEW_ARN)) == ("STOPPED", "RUNNING")


def test_adopting_a_running_model_neither_starts_nor_stops_it(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, status="RUNNING", min_units=2, max_units=4)
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN, MinInferenceUnits=2, MaxInferenceUnits=4)
    assert created.status == "SUCCESS"
    assert operations(e2e_world) == []
    assert len(e2e_world.lambda_service.invocations) == 1


def test_a_model_still_training_is_waited_for(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, status="TRAINING_IN_PROGRESS", train_seconds=2.5, start_seconds=1)
    created = e2e_world.stack.deploy(ProjectVersionArn=ARN)
    assert created.status == "SUCCESS", created.reason
    assert e2e_world.rekognition.status(ARN) == "RUNNING"


def test_a_deadline_while_starting_fails_then_stops_the_model_once_started(slow_world: World) -> None:
    # The Create gives up 1.5 minutes before its 5-minute timeout, with the model still starting; its
    # rollback Delete, with the same timeout, waits for the start (5.25 minutes in all) and stops it.
    slow_world.rekognition.add_model(ARN, start_seconds=5.25 * SLOW, stop_seconds=0.5 * SLOW)
    created = slow_world.stack.deploy(ProjectVersionArn=ARN, timeout_minutes=5)
    assert created.status == "FAILED"
    assert created.reason.startswith("Timed out waiting for model widgets/v1 to be RUNNING: it is still STARTING.")
    slow_world.settle()
    assert slow_world.rekognition.status(ARN) == "STOPPED"


def test_a_failed_update_rolls_back_to_the_running_version(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1)
    e2e_world.rekognition.add_model(NEW_ARN, start_seconds=2)
    e2e_world.rekognition.fail_next_starts(NEW_ARN, "The model artifacts are corrupt")
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    updated = e2e_world.stack.deploy(ProjectVersionArn=NEW_ARN)
    assert updated.status == "FAILED" and "The model artifacts are corrupt" in updated.reason
    assert e2e_world.stack.physical_id == ARN
    assert e2e_world.rekognition.status(ARN) == "RUNNING"


def test_a_deploy_failing_elsewhere_rolls_back_to_the_previous_version(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1, stop_seconds=1)
    e2e_world.rekognition.add_model(NEW_ARN, start_seconds=2, stop_seconds=1)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    update, rollback = e2e_world.stack.deploy_then_fail_elsewhere(ProjectVersionArn=NEW_ARN)
    assert update.body["PhysicalResourceId"] == NEW_ARN
    assert rollback.status == "SUCCESS" and rollback.body["PhysicalResourceId"] == ARN
    assert (e2e_world.rekognition.status(ARN), e2e_world.rekognition.status(NEW_ARN)) == ("RUNNING", "STOPPED")
