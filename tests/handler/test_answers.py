"""Answers to CloudFormation: the body built from a request's event (answers.answer_body), and
their delivery through the ledger, once per request (answers.Answers, against moto's DynamoDB)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from running_model.answers import Answers, answer_body
from running_model.ledger import Ledger

from support.fakes.aws import client, create_ledger, fail_calls
from support.fakes.cloudformation import STACK_ID

REQUEST = {"StackId": STACK_ID, "RequestId": "req-1", "LogicalResourceId": "Detector", "RequestType": "Create"}


def test_an_answer_names_the_request_it_answers_and_shows_its_attributes() -> None:
    body = answer_body(REQUEST, status="SUCCESS", physical_id="arn:v1", reason="", data={"Status": "RUNNING"})
    assert body == {
        "Status": "SUCCESS",
        "PhysicalResourceId": "arn:v1",
        "StackId": STACK_ID,
        "RequestId": "req-1",
        "LogicalResourceId": "Detector",
        "Reason": "",
        "Data": {"Status": "RUNNING"},
        "NoEcho": False,  # the attributes are no secret: the console shows them
    }


def test_an_answers_reason_is_one_line_within_cloudformations_limit() -> None:
    body = answer_body(REQUEST, status="FAILED", physical_id="arn:v1", reason="went wrong:\n" + "x" * 300)
    assert body["Reason"].startswith("went wrong: xxx") and len(body["Reason"]) == 256
    assert body["Data"] == {}


URL = "https://cloudformation-custom-resource-response.example/req-1"


@dataclass
class Endpoint:
    """CloudFormation's response URL: what it was sent, and whether it takes the next one."""

    accepts: list[bool] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def put(self, url: str, body: dict[str, Any]) -> bool:
        assert url == URL
        self.sent.append(body)
        return self.accepts.pop(0) if self.accepts else True


@pytest.fixture
def dynamodb(aws_endpoint: str) -> Any:
    return client("dynamodb", aws_endpoint)


@pytest.fixture
def ledger(aws_endpoint: str, dynamodb: Any) -> Ledger:
    made = Ledger(dynamodb, create_ledger(aws_endpoint, f"Ledger-{uuid.uuid4().hex[:8]}"))
    made.open_request("req-1", {"ResponseURL": URL})
    return made


def body(status: str, reason: str = "") -> dict[str, Any]:
    return answer_body(REQUEST, status=status, physical_id="made-it", reason=reason)


def test_an_answer_is_recorded_then_delivered_once(ledger: Ledger) -> None:
    endpoint = Endpoint()
    answers = Answers(ledger, put=endpoint.put)
    assert answers.deliver(URL, body("SUCCESS"))
    assert answers.deliver(URL, body("FAILED", "a later look")), "answered already"
    assert endpoint.sent == [body("SUCCESS")]
    record = ledger.request("req-1")
    assert record is not None and record.sent and record.answer == body("SUCCESS")


def test_a_later_answer_sends_the_one_recorded_first_and_says_so(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = Endpoint(accepts=[False])
    answers = Answers(ledger, put=endpoint.put)
    assert not answers.deliver(URL, body("SUCCESS")), "the endpoint refused it"
    with caplog.at_level(logging.INFO):
        assert answers.deliver(URL, body("FAILED", "a later look"))
    assert endpoint.sent == [body("SUCCESS"), body("SUCCESS")]
    assert "Detector was answered already (SUCCESS): sending that answer" in caplog.messages
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert answers.deliver(URL, body("SUCCESS"))
    assert not any("answered already" in message for message in caplog.messages)


def test_a_redelivery_sends_a_recorded_answer_not_yet_delivered_and_nothing_else(ledger: Ledger) -> None:
    endpoint = Endpoint(accepts=[False])
    answers = Answers(ledger, put=endpoint.put)
    unanswered = ledger.request("req-1")
    assert unanswered is not None and not answers.redeliver("req-1", unanswered)
    assert endpoint.sent == []
    answers.deliver(URL, body("SUCCESS"))
    recorded = ledger.request("req-1")
    assert recorded is not None and not recorded.sent
    assert answers.redeliver("req-1", recorded)
    delivered = ledger.request("req-1")
    assert delivered is not None and delivered.sent and answers.redeliver("req-1", delivered)
    assert endpoint.sent == [body("SUCCESS"), body("SUCCESS")]


def test_an_answer_the_ledger_cannot_record_is_sent_all_the_same(
    ledger: Ledger, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = Endpoint()
    fail_calls(dynamodb, "UpdateItem", "ValidationException", count=1)
    with caplog.at_level(logging.ERROR):
        assert Answers(ledger, put=endpoint.put).deliver(URL, body("SUCCESS"))
    assert endpoint.sent == [body("SUCCESS")]
    assert any(message.startswith("Could not record the answer in the ledger") for message in caplog.messages)


def test_an_answer_is_sent_when_the_ledger_cannot_tell_whether_it_was(
    ledger: Ledger, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = Endpoint()
    fail_calls(dynamodb, "GetItem", "ValidationException", count=1)
    with caplog.at_level(logging.WARNING):
        assert Answers(ledger, put=endpoint.put).deliver(URL, body("SUCCESS"))
    assert endpoint.sent == [body("SUCCESS")]
    assert any(message.startswith("Could not tell whether the answer was delivered") for message in caplog.messages)


def test_an_answer_delivered_but_not_marked_so_counts_as_delivered(
    ledger: Ledger, dynamodb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = Endpoint()

    def put_then_fail_to_mark(url: str, answer: dict[str, Any]) -> bool:
        fail_calls(dynamodb, "UpdateItem", "ValidationException", count=1)  # marking it sent
        return endpoint.put(url, answer)

    with caplog.at_level(logging.WARNING):
        assert Answers(ledger, put=put_then_fail_to_mark).deliver(URL, body("SUCCESS"))
    assert endpoint.sent == [body("SUCCESS")]
    assert any(message.startswith("Could not record the answer as delivered") for message in caplog.messages)
    record = ledger.request("req-1")
    assert record is not None and not record.sent, "a later poll sends it again"
