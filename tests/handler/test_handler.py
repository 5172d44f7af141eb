"""The handler through real crhelper and real boto3, with AWS stood in (see world.py).

After every test: no poll rule or Lambda permission left behind, one answer per request, every
Reason at most 256 characters.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import pytest

from running_model.lifecycle import DEADLINE
from running_model.ownership import Owner
from running_model.poll_rules import poll_rule_name

from support.fakes.aws import (
    fail_calls,
    permission_statements,
)
from support.fakes.cloudformation import Answer, event
from support.testdata import version_arn
from support.world import World, load_handler

ARN = version_arn("widgets", "v1")
NEW_ARN = version_arn("widgets", "v2")


def create(world: World, **properties: Any) -> Answer:
    return world.run(event("Create", world.responses, {"ProjectVersionArn": ARN, **properties}))


def calls(world: World, operation: str) -> list[dict[str, Any]]:
    return [call.params for call in world.rekognition.calls if call.operation == operation]


# Create


def test_create_starts_the_model_and_answers_once_it_runs(world: World) -> None:
    world.rekognition.add_model(ARN, status="TRAINING_COMPLETED", start_seconds=0.6)
    answer = create(world)
    assert answer.status == "SUCCESS", answer.reason
    assert answer.body["PhysicalResourceId"] == ARN
    assert answer.body["NoEcho"] is False, "the attributes are no secret: the console shows them"
    assert answer.body["Data"] == {
        "ProjectVersionArn": ARN,
        "Status": "RUNNING",
        "MinInferenceUnits": "1",
        "MaxInferenceUnits": "1",
    }
    assert world.rekognition.status(ARN) == "RUNNING"
    assert calls(world, "StartProjectVersion") == [{"ProjectVersionArn": ARN, "MinInferenceUnits": 1}]
    assert world.invocations > 1, "a start of 0.6 s should have needed a scheduled poll"


def test_create_with_min_and_max_enables_auto_scaling(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1)
    answer = create(world, MinInferenceUnits=2, MaxInferenceUnits=5)
    assert answer.status == "SUCCESS", answer.reason
    assert calls(world, "StartProjectVersion") == [
        {"ProjectVersionArn": ARN, "MinInferenceUnits": 2, "MaxInferenceUnits": 5}
    ]
    assert (answer.body["Data"]["MinInferenceUnits"], answer.body["Data"]["MaxInferenceUnits"]) == ("2", "5")


def test_a_model_described_without_a_maximum_answers_its_minimum_as_the_maximum(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=2, describes_max_units=False)
    answer = create(world, MinInferenceUnits=2)
    assert answer.status == "SUCCESS", answer.reason
    assert (answer.body["Data"]["MinInferenceUnits"], answer.body["Data"]["MaxInferenceUnits"]) == ("2", "2")
    assert calls(world, "StartProjectVersion") == [], "no maximum described means no auto-scaling: as declared"


def test_the_project_is_looked_up_once_and_remembered_by_the_polls(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.8)  # longer than the first invocation's window
    assert create(world).status == "SUCCESS"
    assert world.invocations >= 2, "a poll saw it RUNNING"
    assert len(calls(world, "DescribeProjects")) == 1
    assert len(calls(world, "DescribeProjectVersions")) >= 2, "the first look and the poll's"


def test_a_given_project_arn_spares_the_lookup(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1)
    given = world.rekognition.add_project("widgets")
    assert create(world, ProjectArn=given).status == "SUCCESS"
    assert calls(world, "DescribeProjects") == []


def test_adopting_a_model_running_with_the_same_units_is_answered_at_once(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    answer = create(world)
    assert answer.status == "SUCCESS"
    assert world.invocations == 1, "answered on its first look, with no scheduled poll"
    assert calls(world, "StartProjectVersion") == [] and calls(world, "StopProjectVersion") == []


def test_a_model_still_training_is_waited_for(world: World) -> None:
    world.rekognition.add_model(ARN, status="TRAINING_IN_PROGRESS", train_seconds=0.5, start_seconds=0.1)
    assert create(world).status == "SUCCESS"
    assert world.rekognition.status(ARN) == "RUNNING"


def test_a_failed_model_is_restarted_on_the_first_look(world: World) -> None:
    world.rekognition.add_model(ARN, status="FAILED", status_message="earlier failure", start_seconds=0.1)
    assert create(world).status == "SUCCESS"


def test_a_start_that_fails_is_reported_with_rekognitions_reason(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.3)
    world.rekognition.fail_next_starts(ARN, "The model could not be started: insufficient capacity")
    answer = create(world)
    assert answer.status == "FAILED"
    assert "widgets/v1 failed to start: The model could not be started: insufficient capacity" in answer.reason
    assert answer.body["PhysicalResourceId"] == ARN, "its rollback Delete must release the registration"
    assert world.rekognition.running_models() == []
    rollback = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert rollback.status == "SUCCESS" and world.rekognition.tags(ARN) == {}


def test_an_unknown_version_fails_and_its_rollback_delete_succeeds_at_once(world: World) -> None:
    world.rekognition.add_project("widgets")
    answer = create(world)
    assert answer.status == "FAILED"
    assert "widgets/v1 not found" in answer.reason
    delete = world.run(
        event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=answer.body["PhysicalResourceId"])
    )
    assert delete.status == "SUCCESS"
    assert world.invocations == 2


def test_an_unknown_project_fails_as_not_found(world: World) -> None:
    answer = create(world)
    assert answer.status == "FAILED" and "not found" in answer.reason


@pytest.mark.parametrize(
    "properties, named",
    [
        ({"MinInferenceUnits": 0}, "MinInferenceUnits: received 0; expected a whole number of at least 1"),
        ({"MinInferenceUnits": "abc"}, "MinInferenceUnits: received 'abc'; expected a whole number of at least 1"),
        (
            {"MinInferenceUnits": 3, "MaxInferenceUnits": 2},
            "MaxInferenceUnits: received 2; expected at least MinInferenceUnits (3)",
        ),
        (
            {"ProjectVersionArn": ""},
            "ProjectVersionArn: received nothing; expected the ARN of the model version to run",
        ),
        (
            {"ProjectVersionArn": "arn:aws:rekognition:eu-west-1:111122223333:project/widgets"},
            "; expected arn:<partition>:rekognition:<region>:<account>:project/<name>/version/",
        ),
    ],
)
def test_a_bad_property_fails_at_once_and_its_delete_succeeds(
    world: World, properties: dict[str, Any], named: str
) -> None:
    world.rekognition.add_model(ARN)
    answer = create(world, **properties)
    assert answer.status == "FAILED"
    assert named in answer.reason
    assert world.invocations == 1 and world.rekognition.calls == []
    delete = world.run(event("Delete", world.responses, {}, physical_id=answer.body["PhysicalResourceId"]))
    assert delete.status == "SUCCESS"


def test_a_refused_start_is_reported_with_the_call_and_the_code(world: World) -> None:
    world.rekognition.add_model(ARN)
    world.rekognition.inject_error("StartProjectVersion", "AccessDeniedException", message="not allowed")
    answer = create(world)
    assert answer.status == "FAILED"
    assert answer.reason.startswith("StartProjectVersion failed: AccessDeniedException: not allowed")


def test_throttling_bursts_are_absorbed_by_botocore_retries(world: World) -> None:
    """A burst longer than botocore's retries is tested in test_reconcile.py (its backoff takes seconds)."""
    world.rekognition.add_model(ARN, start_seconds=0.4)
    for operation in ("DescribeProjects", "DescribeProjectVersions", "StartProjectVersion"):
        world.rekognition.throttle_burst(operation, 2)
    answer = create(world)
    assert answer.status == "SUCCESS", answer.reason
    throttled = [c for c in world.rekognition.calls if c.error == "ThrottlingException"]
    assert len(throttled) == 6


def test_a_deadline_while_starting_leaves_the_stop_to_the_rollback_delete(world: World) -> None:
    """The rollback Delete runs while the handler exists; nothing is left to run after it."""
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1)  # still starting, however slow the machine
    answer = create(world, ServiceTimeout=1)
    assert answer.status == "FAILED"
    assert answer.reason.startswith("Timed out waiting for model widgets/v1 to be RUNNING: it is still STARTING.")
    assert answer.body["PhysicalResourceId"] == ARN
    assert world.rekognition.status(ARN) == "STARTING" and world.scheduled_inputs() == []
    world.rekognition.set_status(ARN, "RUNNING")  # the start completes while CloudFormation rolls back
    rollback = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert rollback.status == "SUCCESS" and world.rekognition.status(ARN) == "STOPPED"


def test_a_rollback_delete_stops_a_model_still_starting_at_once_when_rekognition_lets_it(world: World) -> None:
    """A failed first deploy whose model is still STARTING: its rollback Delete stops it at once,
    within a time far shorter than the start (here a 1-second ServiceTimeout against an hour)."""
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1, stops_while_starting=True)
    assert create(world, ServiceTimeout=1).status == "FAILED" and world.rekognition.status(ARN) == "STARTING"
    delete = event("Delete", world.responses, {"ProjectVersionArn": ARN, "ServiceTimeout": "1"}, physical_id=ARN)
    assert world.run(delete).status == "SUCCESS"
    assert world.rekognition.status(ARN) == "STOPPED" and world.rekognition.tags(ARN) == {}


def test_a_rollback_delete_refused_the_stop_of_a_starting_model_tries_again_until_it_is_made(world: World) -> None:
    """Whether Rekognition stops a STARTING model is not documented: while it refuses, the Delete
    tries again (and keeps its tag) until the model runs; its tag goes once the stop is made."""
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1)  # still starting, however slow the machine
    assert create(world, ServiceTimeout=1).status == "FAILED" and world.rekognition.status(ARN) == "STARTING"
    rollback = event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN)
    world.invoke(rollback)
    stops = [c.error for c in world.rekognition.calls if c.operation == "StopProjectVersion"]
    assert stops and set(stops) == {"ResourceInUseException"}, stops
    assert world.responses.answers_to(rollback["RequestId"]) == [] and world.rekognition.tags(ARN) != {}
    world.rekognition.set_status(ARN, "RUNNING")  # the start completes
    assert world.poll_until_answered(rollback).status == "SUCCESS" and world.rekognition.status(ARN) == "STOPPED"
    assert world.rekognition.tags(ARN) == {}
    stops = [c.error for c in world.rekognition.calls if c.operation == "StopProjectVersion"]
    assert stops[-1] is None, stops


@pytest.mark.parametrize("code", ["LimitExceededException", "ThrottlingException"])
def test_a_delete_that_cannot_set_up_polling_still_stops_the_model_and_releases_it_only_then(
    world: World, code: str
) -> None:
    """A cleanup Delete in an account whose 300 EventBridge rules per bus are taken (or where PutRule
    stays throttled): the stop is made all the same, and the registration goes only once it is. The
    answer says why it could not wait for STOPPED (CloudFormation forgets a failed cleanup Delete)."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=3600)
    assert create(world).status == "SUCCESS"
    fail_calls(world.handler.helper._events_client, "PutRule", code, count=60)
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "FAILED"
    assert answer.reason.startswith(f"Could not set up polling with EventBridge: PutRule: {code}")
    assert answer.reason.endswith("the stop of model widgets/v1 is made; it is STOPPING")
    assert world.rekognition.status(ARN) == "STOPPING", "the stop is made"
    assert world.rekognition.tags(ARN) == {}, "released once the stop was made"


def test_a_delete_that_cannot_set_up_polling_keeps_its_registration_while_the_model_cannot_be_stopped(
    world: World,
) -> None:
    """Rekognition refuses to stop a STARTING model and no poll can be set up to try again: the
    resource stays registered (idle), so that the model is never left running with no owner at all."""
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1)
    assert create(world, ServiceTimeout=1).status == "FAILED"
    fail_calls(world.handler.helper._events_client, "PutRule", "LimitExceededException", count=60)
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "FAILED"
    assert answer.reason.endswith("model widgets/v1 is STARTING and cannot be stopped yet: it stays registered, idle")
    (value,) = (value for key, value in world.rekognition.tags(ARN).items() if key.startswith("running-model:owner:"))
    assert value.split()[1] == "idle", value


# The promotion gate (MinF1Score)


def test_a_version_that_meets_the_required_f1_score_is_started(world: World) -> None:
    world.rekognition.add_model(ARN, f1_score=0.93, start_seconds=0.1)
    answer = create(world, MinF1Score="0.9")
    assert answer.status == "SUCCESS", answer.reason
    assert world.rekognition.status(ARN) == "RUNNING"


@pytest.mark.parametrize(
    "f1_score, reason",
    [
        (0.83, "Model widgets/v1: F1 0.83 is below the required 0.90; nothing was started"),
        (None, "Model widgets/v1 has no F1 score (it has no evaluation), so it cannot meet the required 0.90"),
    ],
)
def test_a_create_refused_by_the_gate_fails_saying_why_and_leaves_nothing(
    world: World, f1_score: float | None, reason: str
) -> None:
    world.rekognition.add_model(ARN, f1_score=f1_score, start_seconds=0.1)
    answer = create(world, MinF1Score="0.9")
    assert answer.status == "FAILED" and answer.reason.startswith(reason), answer.reason
    assert calls(world, "StartProjectVersion") == [] and calls(world, "TagResource") == []
    assert world.scheduled_inputs() == [] and world.rekognition.status(ARN) == "TRAINING_COMPLETED"
    # CloudFormation's rollback Delete (of the id crhelper made up) finds nothing of this request to undo.
    rollback = world.run(
        event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=answer.body["PhysicalResourceId"])
    )
    assert rollback.status == "SUCCESS" and calls(world, "StopProjectVersion") == []


def test_a_blue_green_update_refused_by_the_gate_keeps_the_old_version_serving(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.1, f1_score=0.95)
    world.rekognition.add_model(NEW_ARN, start_seconds=0.1, f1_score=0.7)
    update = world.run(
        event(
            "Update",
            world.responses,
            {"ProjectVersionArn": NEW_ARN, "MinF1Score": "0.9"},
            physical_id=ARN,
            old_properties={"ProjectVersionArn": ARN, "MinF1Score": "0.9"},
        )
    )
    assert update.status == "FAILED" and "F1 0.70 is below the required 0.90" in update.reason
    assert update.body["PhysicalResourceId"] == ARN, "the resource keeps its id: the old version"
    rollback = world.run(
        event(
            "Update",
            world.responses,
            {"ProjectVersionArn": ARN, "MinF1Score": "0.9"},
            physical_id=ARN,
            old_properties={"ProjectVersionArn": NEW_ARN, "MinF1Score": "0.9"},
        )
    )
    assert rollback.status == "SUCCESS" and rollback.body["PhysicalResourceId"] == ARN
    assert (world.rekognition.status(ARN), world.rekognition.status(NEW_ARN)) == ("RUNNING", "TRAINING_COMPLETED")
    assert [c["ProjectVersionArn"] for c in calls(world, "StartProjectVersion")] == []


def test_a_rollback_after_a_refused_update_leaves_the_refused_version_as_it_found_it(world: World) -> None:
    """Someone runs the new version by hand (no owner tag): the update to it is refused, and its
    rollback has nothing of that version to undo, so it leaves it RUNNING."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, f1_score=0.95)
    world.rekognition.add_model(NEW_ARN, status="RUNNING", min_units=1, f1_score=0.7)
    properties = {"ProjectVersionArn": NEW_ARN, "MinF1Score": "0.9"}
    old = {"ProjectVersionArn": ARN, "MinF1Score": "0.9"}
    update = world.run(event("Update", world.responses, properties, physical_id=ARN, old_properties=old))
    assert update.status == "FAILED"
    rollback = world.run(event("Update", world.responses, old, physical_id=ARN, old_properties=properties))
    assert rollback.status == "SUCCESS"
    assert (world.rekognition.status(ARN), world.rekognition.status(NEW_ARN)) == ("RUNNING", "RUNNING")
    assert calls(world, "StopProjectVersion") == []


# Update


def test_an_update_of_units_restarts_the_model_with_them(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.2, start_seconds=0.2)
    answer = world.run(
        event(
            "Update",
            world.responses,
            {"ProjectVersionArn": ARN, "MinInferenceUnits": 2},
            physical_id=ARN,
            old_properties={"ProjectVersionArn": ARN},
        )
    )
    assert answer.status == "SUCCESS", answer.reason
    assert answer.body["PhysicalResourceId"] == ARN
    assert world.rekognition.units(ARN) == (2, 2)
    assert [c.operation for c in world.rekognition.calls if c.operation.endswith("ProjectVersion")] == [
        "StopProjectVersion",
        "StartProjectVersion",
    ]


def test_an_update_to_a_new_version_is_blue_green(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.1)
    world.rekognition.add_model(NEW_ARN, start_seconds=0.3)
    answer = world.run(
        event(
            "Update",
            world.responses,
            {"ProjectVersionArn": NEW_ARN},
            physical_id=ARN,
            old_properties={"ProjectVersionArn": ARN},
        )
    )
    assert answer.status == "SUCCESS", answer.reason
    assert answer.body["PhysicalResourceId"] == NEW_ARN
    assert world.rekognition.status(ARN) == "RUNNING", "the old version serves until CloudFormation deletes it"
    delete = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert delete.status == "SUCCESS"
    assert (world.rekognition.status(ARN), world.rekognition.status(NEW_ARN)) == ("STOPPED", "RUNNING")


def test_an_update_that_changes_nothing_running_is_answered_at_once(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=2, max_units=3)
    properties = {"ProjectVersionArn": ARN, "MinInferenceUnits": 2, "MaxInferenceUnits": 3, "ServiceTimeout": 1800}
    answer = world.run(
        event(
            "Update",
            world.responses,
            properties,
            physical_id=ARN,
            old_properties={**properties, "ServiceTimeout": 3600},
        )
    )
    assert answer.status == "SUCCESS" and world.invocations == 1


def test_a_failed_update_to_new_units_leaves_the_model_stopped(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.1, start_seconds=0.2)
    world.rekognition.fail_next_starts(ARN, "insufficient capacity")
    answer = world.run(
        event(
            "Update",
            world.responses,
            {"ProjectVersionArn": ARN, "MinInferenceUnits": 4},
            physical_id=ARN,
            old_properties={"ProjectVersionArn": ARN},
        )
    )
    assert answer.status == "FAILED"
    assert answer.body["PhysicalResourceId"] == ARN
    assert world.rekognition.running_models() == []


# Delete


def test_delete_stops_a_running_model(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.6)
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS", answer.reason
    assert world.rekognition.status(ARN) == "STOPPED"
    assert world.invocations > 1


@pytest.mark.parametrize("status", ["STOPPED", "TRAINING_COMPLETED", "FAILED", "EXPIRED"])
def test_delete_of_a_model_that_does_not_run_is_answered_at_once(world: World, status: str) -> None:
    world.rekognition.add_model(ARN, status=status)
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS" and world.invocations == 1
    assert calls(world, "StopProjectVersion") == []


def test_delete_of_a_missing_model_is_answered_at_once(world: World) -> None:
    world.rekognition.add_project("widgets")
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS" and world.invocations == 1


def test_delete_of_something_never_created_calls_nothing(world: World) -> None:
    answer = world.run(
        event(
            "Delete",
            world.responses,
            {"ProjectVersionArn": "garbage"},
            physical_id="RunningModelTest_Detector_ABCDEFGH",
        )
    )
    assert answer.status == "SUCCESS" and answer.body["PhysicalResourceId"] == "RunningModelTest_Detector_ABCDEFGH"
    assert world.rekognition.calls == []


def test_delete_waits_for_a_starting_model_then_stops_it(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=0.1)
    world.rekognition.set_status(ARN, "STARTING")
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS"
    assert world.rekognition.status(ARN) == "STOPPED"


# crhelper, adjusted


def test_a_long_logical_id_gives_valid_rule_names(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.5)
    logical_id = "Detector" + "X" * 192
    request = event("Create", world.responses, {"ProjectVersionArn": ARN}, logical_id=logical_id)
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    rule_name = poll["CrHelperRule"].split("/")[-1]
    assert len(rule_name) <= 64 and rule_name.startswith(world.rule_prefix + "Detector")
    assert "CrHelperPermission" not in poll
    assert world.poll_until_answered(request).status == "SUCCESS"


@pytest.mark.parametrize("prefix", ["RunningModel-0123abcd-", "RunningModel-"])
def test_a_poll_rule_name_fills_eventbridges_64_characters_and_names_its_request(prefix: str) -> None:
    name = poll_rule_name(prefix, "Detector" + "X" * 100, "req-1")
    assert len(name) == 64 and name.startswith(prefix + "DetectorXXX")
    assert name.endswith("-" + hashlib.sha256(b"req-1").hexdigest()[:8])
    assert poll_rule_name(prefix, "Short", "req-1") == prefix + "Short-" + hashlib.sha256(b"req-1").hexdigest()[:8]


def test_an_invocation_out_of_time_once_polling_is_set_up_leaves_the_answer_to_the_next_poll(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1)
    # crhelper's timer fires 0.5 s before the timeout: during the start, long after polling was set up.
    world.rekognition.inject_latency("StartProjectVersion", 8.0)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request, timeout_seconds=6.0)
    assert world.responses.answers_to(request["RequestId"]) == [], "the poll rule carries on: no FAILED answer"
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_the_handlers_own_clients_retry_in_botocores_standard_mode(world: World) -> None:
    helper = world.handler.helper
    for client_ in (helper._events_client, helper._dynamodb_client):
        assert client_.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}


def test_the_logs_never_hold_the_response_url(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.4)
    with caplog.at_level(logging.DEBUG):
        assert create(world).status == "SUCCESS"
    logged = "\n".join(record.getMessage() for record in caplog.records if record.levelno >= logging.INFO)
    assert "Model widgets/v1 is RUNNING" in logged
    assert not [s for s in world.responses.signatures if s in logged]
    assert "X-Amz-Signature" not in logged


def test_two_overlapping_polls_answer_only_once(world: World) -> None:
    """EventBridge may fire while the previous poll still runs: the later finisher stays silent."""
    world.rekognition.add_model(ARN, start_seconds=3600)  # still starting, however slow the machine
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    world.rekognition.set_status(ARN, "RUNNING")
    world.invoke(poll)
    world.invoke(poll)
    assert [answer.status for answer in world.responses.answers_to(request["RequestId"])] == ["SUCCESS"]


def test_a_refused_stop_fails_the_delete_with_the_reason(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.rekognition.inject_error("StopProjectVersion", "AccessDeniedException", message="not allowed")
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "FAILED"
    assert answer.reason == "StopProjectVersion failed: AccessDeniedException: not allowed"
    assert answer.body["PhysicalResourceId"] == ARN


def test_an_answer_refused_twice_by_the_endpoint_is_delivered_on_a_retry(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.responses.failures_to_serve = 2
    answer = create(world)
    assert answer.status == "SUCCESS"
    assert world.responses.failures_to_serve == 0


def test_a_request_delivered_twice_while_it_is_polled_is_polled_and_answered_once(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.8)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    world.invoke(request)
    assert len(world.scheduled_inputs()) == 1
    assert world.poll_until_answered(request).status == "SUCCESS"
    assert len(calls(world, "StartProjectVersion")) == 1


def test_a_request_delivered_again_once_its_model_runs_is_answered_once_by_its_poll(world: World) -> None:
    """Lambda may deliver an event again (an asynchronous retry) after the model is RUNNING."""
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    world.rekognition.set_status(ARN, "RUNNING")
    world.invoke(request)
    assert world.responses.answers_to(request["RequestId"]) == [], "the request's poll answers it"
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_two_polls_past_the_deadline_answer_once_and_leave_nothing_polling(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600, stop_seconds=0.1)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    # The deadline passes while the model still starts: what the poll carries says so, on any machine.
    poll["CrHelperData"][DEADLINE] = 0.0
    world.invoke(poll)
    world.invoke(poll)
    assert [answer.status for answer in world.responses.answers_to(request["RequestId"])] == ["FAILED"]
    assert world.scheduled_inputs() == []
    world.rekognition.set_status(ARN, "RUNNING")
    rollback = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert rollback.status == "SUCCESS" and world.rekognition.status(ARN) == "STOPPED"


def test_polling_is_set_up_right_after_the_first_look(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """No blind minute: the rule exists while the first invocation goes on looking."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, stop_seconds=0.15)
    with caplog.at_level(logging.INFO):
        answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS"
    messages = [record.getMessage() for record in caplog.records]
    polling = next(i for i, m in enumerate(messages) if m.startswith("Polling every 1 minute"))
    stopped = next(i for i, m in enumerate(messages) if "is STOPPED" in m)
    assert polling < stopped


# Ownership, whole-stack limits and faults


def test_a_create_registers_its_resource_on_the_model_before_starting_it(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    assert world.run(request).status == "SUCCESS"
    operations = [call.operation for call in world.rekognition.calls]
    assert operations.index("TagResource") < operations.index("StartProjectVersion")
    (key,) = (key for key in world.rekognition.tags(ARN) if key.startswith("running-model:owner:"))
    assert set(world.rekognition.tags(ARN)) == {key, "running-model:starts"}, "the start was timed"
    locator = "stack:eu-west-1/5b1c1c80-0000-11f0-9e7a-0a1b2c3d4e5f"
    assert world.rekognition.tags(ARN)[key] == f"{request['RequestId']} {locator} RunningModelTest/Detector"


def test_sixty_requests_in_progress_add_nothing_to_the_functions_resource_policy(world: World) -> None:
    """Lambda's resource policy holds 20 KB, about 45 per-request statements: there are none."""
    arns = [version_arn("widgets", f"v{index}") for index in range(60)]
    requests = [
        event("Create", world.responses, {"ProjectVersionArn": arn}, logical_id=f"Model{index}")
        for index, arn in enumerate(arns)
    ]
    for arn, request in zip(arns, requests, strict=True):
        world.rekognition.add_model(arn, start_seconds=3600)
        world.invoke(request)
    assert len(world.scheduled_inputs()) == 60
    assert permission_statements(world.aws_endpoint, world.function_name) == []
    for arn in arns:
        world.rekognition.set_status(arn, "RUNNING")
    for request in requests:
        assert world.poll_until_answered(request).status == "SUCCESS"
    for index, arn in enumerate(arns):  # as a destroy would: nothing left running
        delete = event(
            "Delete", world.responses, {"ProjectVersionArn": arn}, physical_id=arn, logical_id=f"Model{index}"
        )
        assert world.run(delete).status == "SUCCESS"


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("PutRule", "ThrottlingException"),
        ("PutRule", "AccessDeniedException"),
        ("PutRule", "LimitExceededException"),  # the account's 300 rules per event bus are used up
        ("PutTargets", "ThrottlingException"),
        ("PutTargets", "AccessDeniedException"),
    ],
)
def test_polling_that_cannot_be_set_up_fails_before_anything_is_started(
    world: World, operation: str, code: str
) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.3)
    failing = fail_calls(world.handler.helper._events_client, operation, code, count=10)
    answer = create(world)
    assert answer.status == "FAILED"
    assert answer.reason.startswith(f"Could not set up polling with EventBridge: {operation}: {code}")
    assert failing.count >= 1 and calls(world, "StartProjectVersion") == []
    assert world.rekognition.status(ARN) == "TRAINING_COMPLETED"
    assert answer.body["PhysicalResourceId"] == ARN
    failing.remaining = 0  # EventBridge answers again by the time CloudFormation rolls back
    rollback = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert rollback.status == "SUCCESS" and world.rekognition.tags(ARN) == {}


@pytest.mark.parametrize("operation", ["RemoveTargets", "DeleteRule"])
@pytest.mark.parametrize("count", [2, 10])
def test_an_error_removing_the_poll_rule_never_changes_the_answer(world: World, operation: str, count: int) -> None:
    """The answer comes first. A short burst is then absorbed by botocore's retries; a lasting one
    leaves the rule, whose next poll finds the request answered and removes it without answering
    again: one answer, and no rule left behind."""
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    world.rekognition.set_status(ARN, "RUNNING")
    fail_calls(world.handler.helper._events_client, operation, "ThrottlingException", count=count)
    world.invoke(poll)
    assert [a.status for a in world.responses.answers_to(request["RequestId"])] == ["SUCCESS"]
    if count > 6:  # beyond botocore's 6 attempts: the rule stays, and fires again
        assert len(world.scheduled_inputs()) == 1
        world.invoke(poll)
    assert world.scheduled_inputs() == []
    assert [a.status for a in world.responses.answers_to(request["RequestId"])] == ["SUCCESS"]


def test_an_answer_whose_connection_breaks_is_retried_without_logging_its_signature(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.responses.connections_to_drop = 2
    with caplog.at_level(logging.DEBUG):
        assert create(world).status == "SUCCESS"
    retried = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3") and "Retrying" in r.getMessage()]
    assert retried, "urllib3 retried the PUT and said so"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "X-Amz-Signature" not in logged and not [s for s in world.responses.signatures if s in logged]


def test_delete_leaves_a_model_another_stack_owns_running(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.rekognition.set_tags(ARN, {"running-model:owner:" + "0" * 32: "req Other/Detector"})
    assert create(world).status == "SUCCESS"
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert answer.status == "SUCCESS" and world.rekognition.status(ARN) == "RUNNING"
    assert list(world.rekognition.tags(ARN)) == ["running-model:owner:" + "0" * 32]
    assert calls(world, "StopProjectVersion") == []


def test_a_cancelled_create_is_answered_and_ended_by_the_delete(world: World) -> None:
    """CloudFormation stops waiting for a Create and sends a Delete with an id it made up."""
    world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=0.1)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    assert len(world.scheduled_inputs()) == 1
    made_up = "RunningModelTest-Detector-1A2B3C4D5E6F"
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=made_up))
    assert answer.status == "SUCCESS" and answer.body["PhysicalResourceId"] == made_up
    (ended,) = world.responses.answers_to(request["RequestId"])
    assert ended.status == "FAILED" and ended.reason == "Ended by a later Delete of this resource"
    assert ended.body["PhysicalResourceId"] == ARN, "the ended Create had registered: its answer names the version"
    assert world.scheduled_inputs() == [] and world.rekognition.status(ARN) == "STOPPED"


def test_the_delete_of_a_cancelled_create_answers_once_the_model_has_stopped(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=1.0)  # the stop outlasts an invocation
    world.invoke(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    made_up = "RunningModelTest-Detector-1A2B3C4D5E6F"
    answer = world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=made_up))
    assert answer.status == "SUCCESS" and world.rekognition.status(ARN) == "STOPPED"


def test_a_poll_that_finds_the_resource_leased_to_another_invocation_leaves_it_to_the_next_poll(world: World) -> None:
    """Another invocation acts for the resource (it holds its lease): this one neither looks nor
    answers nor removes the rule; once the lease is given back, the next poll answers."""
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    world.rekognition.set_status(ARN, "RUNNING")
    ledger, owner = world.handler.helper.ledger, Owner.of(request)
    assert ledger.take_lease(owner, "another-invocation", time.time() + 600)
    looks = len(world.rekognition.calls)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"]) == [] and len(world.scheduled_inputs()) == 1
    assert len(world.rekognition.calls) == looks, "no look at the model while another invocation acts"
    ledger.give_back_lease(owner, "another-invocation")
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_a_handler_whose_timing_does_not_fit_answers_every_request_failed_saying_why(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAMBDA_TIMEOUT_SECONDS", "60")
    monkeypatch.setenv("RUNNING_MODEL_RESERVE_SECONDS", "60")
    world.handler = load_handler()
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    answer = create(world)
    assert answer.status == "FAILED"
    assert answer.reason.startswith("The handler's timing does not fit: the window (0.3 s), the reserve (60 s)")
    assert world.rekognition.calls == []


def test_a_lease_left_by_a_killed_invocation_ends_with_that_invocations_time(world: World) -> None:
    """Lambda can kill an invocation while it holds its resource's lease: the lease lasts only until
    that invocation's timeout, after which the next request takes it."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    assert world.handler.helper.ledger.take_lease(Owner.of(request), "killed", time.time() - 1)
    world.invoke(request)
    assert world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"


def test_an_answer_the_endpoint_keeps_refusing_is_delivered_unchanged_by_the_next_poll(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer is recorded before it is sent: a poll that comes after a failed delivery sends the
    same answer, even when the model has changed since."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.responses.failures_to_serve = 6  # every try of the first delivery
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    with monkeypatch.context() as patched:
        patched.setattr(time, "sleep", lambda seconds: None)  # urllib3's back-off between the tries
        world.invoke(request)
    assert world.responses.answers_to(request["RequestId"]) == []
    (poll,) = world.scheduled_inputs()  # the answer waits for its poll
    world.rekognition.set_status(ARN, "STOPPED")
    world.invoke(poll)
    (answer,) = world.responses.answers_to(request["RequestId"])
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "RUNNING"
    assert world.scheduled_inputs() == []


def test_the_ledger_records_what_the_stack_declares_as_cloudformation_sent_it_without_the_service_token(
    world: World,
) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=2)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN, "MinInferenceUnits": 2})
    assert world.run(request).status == "SUCCESS"
    record = world.handler.helper.ledger.resource(Owner.of(request))
    assert record is not None and (record.request_id, record.request_type) == (request["RequestId"], "Create")
    assert record.declaration == {"ProjectVersionArn": ARN, "MinInferenceUnits": "2"}
