"""The body of an answer to CloudFormation (answers.answer_body), built from a request's event."""

from __future__ import annotations

from running_model.answers import answer_body

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
