"""The poll rule and the ledger (resource.PollingResource) when one EventBridge or DynamoDB call
fails or loses its reply, as it does when CloudFormation changes the role's policy mid-update or
someone else removes what the handler was about to: still one answer per request, the right one,
and a log line saying what to remove by hand whenever something is left behind.

A refusal (AccessDeniedException) is used wherever any final error would do: botocore does not
retry it, so these tests need no real back-off. The world fixture checks after each test that no
rule or permission is left and that no request was answered twice.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from crhelper.log_helper import JsonFormatter

from support.fakes.aws import client, fail_calls, lose_replies
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
    service_client = helper._events_client if service == "events" else helper._dynamodb_client
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


# The ledger


def failing_when(world: World, operation: str, expression: str) -> list[str]:
    """Refuse every ``operation`` of the ledger whose UpdateExpression starts with ``expression``."""
    refused: list[str] = []

    def refuse(params: dict[str, Any], **_: Any) -> None:
        if str(params.get("UpdateExpression", "")).startswith(expression):
            refused.append(expression)
            raise client("dynamodb", world.aws_endpoint).exceptions.ClientError(
                {"Error": {"Code": REFUSED, "Message": "injected"}}, operation
            )

    service = world.handler.helper._dynamodb_client
    service.meta.events.register(f"before-parameter-build.dynamodb.{operation}", refuse)
    return refused


def test_a_first_invocation_that_cannot_reach_the_ledger_fails_saying_so_and_starts_nothing(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    fail_calls(world.handler.helper._dynamodb_client, "PutItem", REFUSED, count=1)
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert answer.status == "FAILED"
    assert answer.reason.startswith(f"Could not reach the handler's ledger (DynamoDB): PutItem: {REFUSED}")
    assert world.rekognition.calls == [] and world.scheduled_inputs() == []


def test_a_poll_that_cannot_take_the_lease_leaves_the_request_to_the_next_poll(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._dynamodb_client, "UpdateItem", REFUSED, count=1)
    world.invoke(poll)
    assert world.responses.answers_to(request["RequestId"]) == [] and world.scheduled_inputs() == [poll]
    assert any(message.startswith("Could not reach the handler's ledger") for message in caplog.messages)
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_a_lease_taken_but_whose_reply_was_lost_is_held_by_the_invocation_that_took_it(world: World) -> None:
    """botocore retries the write whose reply was lost; the ledger finds the lease held by the same
    invocation and grants it again."""
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    lost = lose_replies(world.handler.helper._dynamodb_client, "UpdateItem")
    answer = world.run(event("Create", world.responses, {"ProjectVersionArn": ARN}))
    assert lost.lost == 1 and answer.status == "SUCCESS"


def test_an_answer_recorded_but_whose_reply_was_lost_is_sent_once(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    updates = counted(world, "dynamodb", "UpdateItem")
    lose_replies(world.handler.helper._dynamodb_client, "UpdateItem", count=2)  # the lease, then the answer
    assert world.run(event("Create", world.responses, {"ProjectVersionArn": ARN})).status == "SUCCESS"
    assert len(updates) >= 3


def test_an_answer_that_cannot_be_recorded_is_sent_all_the_same(world: World, caplog: pytest.LogCaptureFixture) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    refused = failing_when(world, "UpdateItem", "SET AnswerBody")
    assert world.run(event("Create", world.responses, {"ProjectVersionArn": ARN})).status == "SUCCESS"
    assert refused and "sending it anyway" in " ".join(errors(caplog))


def test_a_lease_that_cannot_be_given_back_is_logged_and_ends_with_its_invocation(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1)
    refused = failing_when(world, "UpdateItem", "REMOVE LeaseHolder")
    assert world.run(event("Create", world.responses, {"ProjectVersionArn": ARN})).status == "SUCCESS"
    assert refused and any(m.startswith("Could not give back the resource's lease") for m in caplog.messages)


# Removing the poll rule


def test_a_poll_rule_that_cannot_be_deleted_gets_its_target_back_and_its_next_poll_removes_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    request, poll = polled_create(world)
    fail_calls(world.handler.helper._events_client, "DeleteRule", REFUSED, count=1)
    world.invoke(poll)
    assert [a.status for a in world.responses.answers_to(request["RequestId"])] == ["SUCCESS"]
    assert world.scheduled_inputs() == [poll], "the rule fires again, with its own Input"
    rule = poll["CrHelperRule"].split("/")[-1]
    assert errors(caplog) == [
        f"Could not remove the poll rule {rule} (DeleteRule: {REFUSED}: {REFUSED} (injected)); its next poll does"
    ]
    world.invoke(poll)
    assert world.scheduled_inputs() == [] and len(world.responses.answers_to(request["RequestId"])) == 1


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


def test_a_poll_that_finds_its_request_answered_says_so_and_answers_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """EventBridge may deliver a poll once more after the poll that answered removed the rule."""
    request, poll = polled_create(world)
    world.invoke(poll)
    assert "This request was answered already" not in caplog.messages
    looks = len(world.rekognition.calls)
    world.invoke(poll)
    assert len(world.responses.answers_to(request["RequestId"])) == 1 and len(world.rekognition.calls) == looks
    assert "This request was answered already" in caplog.messages


def test_a_request_a_later_one_ended_but_whose_rule_stayed_is_removed_by_its_next_poll_without_an_answer(
    world: World,
) -> None:
    """The Delete of a cancelled Create answers it and cannot remove its rule: the Create's next poll
    finds it answered, and only removes its rule."""
    world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=0.1)
    create = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(create)
    (poll,) = world.scheduled_inputs()
    fail_calls(world.handler.helper._events_client, "RemoveTargets", REFUSED, count=1)
    made_up = "RunningModelTest-Detector-1A2B3C4D5E6F"
    delete = event("Delete", world.responses, {"ProjectVersionArn": ARN}, physical_id=made_up)
    assert world.run(delete).status == "SUCCESS"
    (ended,) = world.responses.answers_to(create["RequestId"])
    assert ended.reason == "Ended by a later Delete of this resource"
    assert world.scheduled_inputs() == [poll], "the Create's rule is still there"
    world.invoke(poll)
    assert world.scheduled_inputs() == [] and len(world.responses.answers_to(create["RequestId"])) == 1


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


def test_a_second_delivery_that_cannot_tell_whether_the_request_is_polled_acts_and_still_answers_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    fail_calls(world.handler.helper._events_client, "ListTargetsByRule", REFUSED, count=1)
    world.invoke(request)
    assert (
        f"Could not tell whether an earlier delivery polls this request (ListTargetsByRule: {REFUSED}: "
        f"{REFUSED} (injected))" in caplog.messages
    )
    world.rekognition.set_status(ARN, "RUNNING")
    assert world.poll_until_answered(request).status == "SUCCESS"


def test_a_second_delivery_of_a_polled_request_looks_once_at_the_rule_and_not_at_the_model(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=3600)
    request = event("Create", world.responses, {"ProjectVersionArn": ARN})
    world.invoke(request)
    looks_before = len(world.rekognition.calls)
    rule_looks = counted(world, "events", "ListTargetsByRule")
    world.invoke(request)
    assert world.rekognition.calls[looks_before:] == []
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
