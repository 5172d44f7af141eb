"""The poll rule and the answer lock (resource.PollingResource) when one EventBridge or Lambda call
fails, as it does when CloudFormation changes the role's policy mid-update or someone else removes
what the handler was about to: still one answer per request, the right one, and a log line saying
what to remove by hand whenever something is left behind.

A refusal (AccessDeniedException) is used wherever any final error would do: botocore does not
retry it, so these tests need no real back-off. The world fixture checks after each test that no
rule or permission is left and that no request was answered twice.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from crhelper.log_helper import JsonFormatter

from support.fakes.aws import client, fail_calls, permission_statements
from support.fakes.cloudformation import event
from support.testdata import version_arn
from support.world import World

ARN = version_arn("widgets", "v1")
REFUSED = "AccessDeniedException"


def polled_create(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Create whose model is starting, now polled; then the model runs: (request, its poll)."""
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    (poll,) = world.scheduled_inputs()
    world.rekognition.set_status(ARN, "RUNNING")
    return request, poll


def counted(world: World, service: str, operation: str) -> list[str]:
    """A list that grows by one for every ``operation`` call the handler's ``service`` client makes."""
    made: list[str] = []
    helper = world.handler.helper
    service_client = helper._events_client if service == "events" else helper._lambda_client
    service_client.meta.events.register(f"before-call.{service}.{operation}", lambda **_: made.append(operation))
    return made


def delete_rules_by_hand(world: World) -> list[str]:
    """Delete the poll rules left in place, as a log line asks a person to; return their names."""
    events = client("events", world.aws_endpoint)
    names = [rule["Name"] for rule in events.list_rules(NamePrefix=world.rule_prefix)["Rules"]]
    for name in names:
        events.delete_rule(Name=name)
    return names


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


# The answer lock


def test_an_answer_lock_that_cannot_be_taken_leaves_the_answer_to_the_next_poll(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._lambda_client, "AddPermission", REFUSED, count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"]) == [] and len(world.scheduled_inputs()) == 1
    assert errors(caplog) == [
        f"Could not take the answer lock (AddPermission: {REFUSED}: {REFUSED} (injected)); the next poll answers"
    ]
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_an_answer_lock_that_cannot_be_removed_is_logged_and_removed_by_the_next_request(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._lambda_client, "RemovePermission", REFUSED, count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"
    lock = poll["CrHelperRule"].split("/")[-1] + "-answer"
    assert [statement["Sid"] for statement in permission_statements(world.aws_endpoint, world.function_name)] == [lock]
    assert errors(caplog) == [
        f"Could not remove the answer lock {lock} (RemovePermission: {REFUSED}: {REFUSED} (injected)): "
        "remove it by hand"
    ]
    update = event("Update", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN)
    assert world.run(update).status == "SUCCESS"
    assert permission_statements(world.aws_endpoint, world.function_name) == []


def test_an_answer_lock_removed_by_someone_else_meanwhile_is_no_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._lambda_client, "RemovePermission", "ResourceNotFoundException", count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"
    assert errors(caplog) == []
    lock = poll["CrHelperRule"].split("/")[-1] + "-answer"
    client("lambda", world.aws_endpoint).remove_permission(FunctionName=world.function_name, StatementId=lock)


def test_a_failure_looking_for_answer_locks_left_behind_is_logged_and_the_request_goes_on(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    fail_calls(world.handler.helper._lambda_client, "GetPolicy", REFUSED, count=1)
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert answer.status == "SUCCESS"
    assert f"Could not look for answer locks left behind (GetPolicy: {REFUSED}: {REFUSED} (injected))" in (
        caplog.messages
    )


def test_only_a_requests_first_invocation_looks_for_answer_locks_left_behind(world: World) -> None:
    """Reading the function's policy costs a call: a request's polls do not repeat it."""
    request, poll = polled_create(world)
    policy_reads = counted(world, "lambda", "GetPolicy")
    world.invoke(poll)
    assert policy_reads == []
    world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=ARN))
    assert policy_reads == ["GetPolicy"]


# Removing the poll rule


def test_a_poll_rule_that_cannot_be_deleted_gets_its_target_back_and_the_next_poll_answers(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._events_client, "DeleteRule", REFUSED, count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"]) == []
    assert world.scheduled_inputs() == [poll], "the rule fires again, with its own Input"
    assert errors(caplog) == [
        f"Could not remove the poll rule (DeleteRule: {REFUSED}: {REFUSED} (injected)); the next poll answers"
    ]
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_a_poll_rule_that_can_be_neither_deleted_nor_restored_is_answered_and_logged_for_removal_by_hand(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._events_client, "DeleteRule", REFUSED, count=1)
    fail_calls(world.handler.helper._events_client, "PutTargets", REFUSED, count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"
    rule = poll["CrHelperRule"].split("/")[-1]
    assert errors(caplog) == [
        f"Could not delete the empty poll rule {rule} (PutTargets: {REFUSED}: {REFUSED} (injected)): delete it by hand"
    ]
    assert world.scheduled_inputs() == [], "a rule without a target never fires"
    assert delete_rules_by_hand(world) == [rule]


def test_a_poll_rule_deleted_by_someone_else_meanwhile_is_no_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._events_client, "DeleteRule", "ResourceNotFoundException", count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"
    assert errors(caplog) == []
    delete_rules_by_hand(world)  # the injected error only said it was gone


def test_a_poll_that_finds_its_rule_gone_says_the_request_was_answered_and_answers_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """EventBridge may deliver a poll once more after the poll that answered removed the rule."""
    request, poll = polled_create(world)
    world.invoke(poll)
    assert "Another invocation has answered this request already" not in caplog.messages
    world.invoke(poll)
    assert len(world.responses.answers_to(request["RequestId"])) == 1
    assert "Another invocation has answered this request already" in caplog.messages


def test_a_poll_of_a_request_a_later_one_took_over_removes_its_rule_and_answers_nothing(world: World) -> None:
    """The Delete of a cancelled Create could not end it (no answer lock): the Create's next poll
    finds the Delete has taken over, and ends without an answer CloudFormation no longer awaits."""
    world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=0.1)
    create = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(create)
    (poll,) = world.scheduled_inputs()
    fail_calls(world.handler.helper._lambda_client, "AddPermission", REFUSED, count=1)
    made_up = "RunningModelTest-Detector-1A2B3C4D5E6F"
    assert world.run(event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=made_up)).status == (
        "SUCCESS"
    )
    assert world.scheduled_inputs() == [poll], "the Create is still polled"
    world.invoke(poll)
    assert world.scheduled_inputs() == [] and world.responses.answers_to(create["RequestId"]) == []


# Setting the poll rule up


def test_a_rule_whose_target_cannot_be_set_and_that_cannot_be_deleted_is_logged_for_removal_by_hand(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    fail_calls(world.handler.helper._events_client, "PutTargets", REFUSED, count=1)
    fail_calls(world.handler.helper._events_client, "DeleteRule", REFUSED, count=1)
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert answer.status == "FAILED"
    assert answer.reason.startswith(f"Could not set up polling with EventBridge: PutTargets: {REFUSED}")
    (rule,) = delete_rules_by_hand(world)
    assert errors(caplog) == [
        f"Could not delete the empty poll rule {rule} (DeleteRule: {REFUSED}: {REFUSED} (injected)): delete it by hand"
    ]


def test_a_rule_gone_before_a_failed_set_up_deletes_it_is_no_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    fail_calls(world.handler.helper._events_client, "PutTargets", REFUSED, count=1)
    fail_calls(world.handler.helper._events_client, "DeleteRule", "ResourceNotFoundException", count=1)
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert answer.status == "FAILED"
    assert errors(caplog) == []
    delete_rules_by_hand(world)  # the injected error only said it was gone


def test_a_request_answered_at_once_when_eventbridge_cannot_say_whether_it_is_polled_already(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The look for an earlier delivery's poll rule fails: this delivery answers, as it would without it."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    fail_calls(world.handler.helper._events_client, "ListTargetsByRule", REFUSED, count=1)
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert answer.status == "SUCCESS"
    assert (
        f"Could not tell whether an earlier delivery polls this request (ListTargetsByRule: {REFUSED}: "
        f"{REFUSED} (injected))" in caplog.messages
    )


def test_a_second_delivery_of_a_polled_request_looks_once_at_model_and_rule_then_leaves_it(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    looks_before = len(world.rekognition.calls)
    rule_looks = counted(world, "events", "ListTargetsByRule")
    world.invoke(request)
    second = [call.operation for call in world.rekognition.calls[looks_before:]]
    assert second.count("DescribeProjectVersions") == 1
    assert rule_looks == ["ListTargetsByRule"], "one look at the rule tells it is polled already"
    world.rekognition.set_status(ARN, "RUNNING")
    assert world.poll_until_answered(request).status == "SUCCESS"


# What is logged


def test_each_answer_is_logged_with_its_status_and_any_reason(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    world.run(event("Update", world.responses, {"ProjectVersionArn": "not-an-arn"}, physical_id=ARN))
    answered = [message for message in caplog.messages if message.startswith("Answering")]
    assert answered[0] == "Answering Detector: SUCCESS"
    assert answered[1].startswith("Answering Detector: FAILED (") and answered[1].endswith(")")


def test_the_handler_leaves_the_format_of_its_log_lines_to_the_lambda_runtime(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert not [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
