"""crhelper's poll rules as the handler makes and removes them (poll_rules.PollRules), against
moto's EventBridge, with AWS's errors injected where a call fails."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from running_model.poll_rules import PollRules, poll_rule_name

from support.fakes.aws import client, fail_calls
from support.fakes.cloudformation import STACK_ID


@pytest.fixture
def events(aws_endpoint: str) -> Any:
    return client("events", aws_endpoint)


@pytest.fixture
def rules(events: Any) -> PollRules:
    return PollRules(events, prefix=f"RunningModel-{uuid.uuid4().hex[:8]}-", schedule_expression="rate(1 minute)")


def request(logical_id: str = "Detector") -> dict[str, Any]:
    return {"RequestId": str(uuid.uuid4()), "LogicalResourceId": logical_id, "StackId": STACK_ID}


def test_a_prefix_that_leaves_no_room_keeps_none_of_the_logical_id() -> None:
    prefix = "P" * 60
    assert poll_rule_name(prefix, "Detector", "req-1") == f"{prefix}-{poll_rule_name('', '', 'req-1')[1:]}"


def test_a_rule_describes_its_request_within_eventbridges_512_characters(rules: PollRules, events: Any) -> None:
    polled = request("D" * 600)
    rules.put(polled, "Handler")
    description = events.describe_rule(Name=rules.name(polled["LogicalResourceId"], polled["RequestId"]))["Description"]
    assert len(description) == 512 and description.startswith("Polls DDD")


def test_a_rule_whose_target_cannot_be_put_is_deleted_and_the_error_raised(rules: PollRules, events: Any) -> None:
    polled = request()
    fail_calls(events, "PutTargets", "ValidationException", count=1)
    with pytest.raises(ClientError):
        rules.put(polled, "Handler")
    assert rules.targets(rules.name("Detector", polled["RequestId"])) is None


def test_a_rule_is_removed_once_and_then_is_not_there(rules: PollRules) -> None:
    polled = request()
    rules.put(polled, "Handler")
    name = rules.name("Detector", polled["RequestId"])
    assert rules.remove(name)
    assert rules.targets(name) is None
    assert not rules.remove(name)


def test_a_rule_deleted_by_another_invocation_meanwhile_counts_as_removed(rules: PollRules, events: Any) -> None:
    polled = request()
    rules.put(polled, "Handler")
    name = rules.name("Detector", polled["RequestId"])
    fail_calls(events, "DeleteRule", "ResourceNotFoundException", count=1)
    assert rules.remove(name)


def test_a_rule_that_cannot_be_deleted_gets_its_target_back_and_the_error_is_raised(
    rules: PollRules, events: Any, caplog: pytest.LogCaptureFixture
) -> None:
    polled = request()
    rules.put(polled, "Handler")
    name = rules.name("Detector", polled["RequestId"])
    fail_calls(events, "DeleteRule", "ValidationException", count=1)
    with pytest.raises(ClientError):
        rules.remove(name)
    (target,) = rules.targets(name) or []
    assert target["Id"] == "1" and target["Arn"].endswith(":function:Handler")
    with caplog.at_level(logging.ERROR):
        rules.remove_quietly(name)
    assert rules.targets(name) is None and caplog.messages == []


def test_a_rule_that_can_neither_be_deleted_nor_get_its_target_back_is_left_empty_and_logged(
    rules: PollRules, events: Any, caplog: pytest.LogCaptureFixture
) -> None:
    polled = request()
    rules.put(polled, "Handler")
    name = rules.name("Detector", polled["RequestId"])
    fail_calls(events, "DeleteRule", "ValidationException", count=1)
    fail_calls(events, "PutTargets", "ValidationException", count=1)
    with caplog.at_level(logging.ERROR):
        assert rules.remove(name), "it cannot fire again"
    assert rules.targets(name) == []
    assert any(message.startswith(f"Could not delete the empty poll rule {name}") for message in caplog.messages)


def test_a_removal_that_fails_is_logged_for_the_rules_next_poll(
    rules: PollRules, events: Any, caplog: pytest.LogCaptureFixture
) -> None:
    polled = request()
    rules.put(polled, "Handler")
    name = rules.name("Detector", polled["RequestId"])
    fail_calls(events, "RemoveTargets", "ValidationException", count=1)
    with caplog.at_level(logging.ERROR):
        rules.remove_quietly(name)
    assert rules.targets(name) != []
    assert any("its next poll does" in message for message in caplog.messages)
