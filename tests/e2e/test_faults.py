"""End to end under faults: every error of every Rekognition call, throttling, a Lambda killed by
its timeout, overlapping polls, duplicate deliveries, a failing response endpoint.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable

import botocore.session
import pytest

from harness import World
from support.testdata import version_arn

ARN = version_arn("widgets", "v1")
OPERATIONS = ("DescribeProjects", "DescribeProjectVersions", "StartProjectVersion", "StopProjectVersion")
_MODEL = botocore.session.get_session().get_service_model("rekognition")
ERROR_CASES = [
    (operation, error.name) for operation in OPERATIONS for error in _MODEL.operation_model(operation).error_shapes
]
# Retried by botocore's standard mode until they pass (one injected error here).
RETRIED = {
    "InternalServerError",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
}
# A Start or Stop refusal that the next look explains: the handler looks again.
LOOKED_AGAIN = {"ResourceInUseException", "ResourceNotFoundException"}


def expected(operation: str, code: str) -> str:
    if code in RETRIED or (operation.endswith("ProjectVersion") and code in LOOKED_AGAIN):
        return "SUCCESS"
    return "FAILED"


def test_every_error_of_every_call_is_covered() -> None:
    assert len(ERROR_CASES) == 28


@pytest.mark.parametrize("operation, code", ERROR_CASES)
def test_each_error_of_each_rekognition_call(e2e_world: World, operation: str, code: str) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=0.5, stop_seconds=0.5)
    if operation == "StopProjectVersion":
        assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
        e2e_world.rekognition.inject_error(operation, code, message="injected")
        answer = e2e_world.stack.destroy()
    else:
        e2e_world.rekognition.inject_error(operation, code, message="injected")
        answer = e2e_world.stack.deploy(ProjectVersionArn=ARN)
    assert answer.status == expected(operation, code), answer.reason
    if answer.status == "FAILED":
        if (operation, code) == ("DescribeProjectVersions", "ResourceNotFoundException"):
            assert "not found" in answer.reason
        else:
            assert answer.reason.startswith(f"{operation} failed: {code}: injected")
    if e2e_world.stack.physical_id:
        assert e2e_world.stack.destroy().status == "SUCCESS"
    assert e2e_world.rekognition.running_models() == []


def test_throttling_bursts_on_every_operation(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1.5, stop_seconds=1.5)
    for operation in OPERATIONS:
        e2e_world.rekognition.throttle_burst(operation, 2)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    for operation in OPERATIONS:
        e2e_world.rekognition.throttle_burst(operation, 2)
    assert e2e_world.stack.destroy().status == "SUCCESS"
    throttled = {c.operation for c in e2e_world.rekognition.calls if c.error == "ThrottlingException"}
    assert throttled == set(OPERATIONS)


def test_a_lambda_killed_by_its_timeout_mid_poll_is_carried_on_by_the_next_poll(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=4)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        deploy = pool.submit(e2e_world.stack.deploy, ProjectVersionArn=ARN)
        _wait_for_a_poll_rule(e2e_world)
        # Every look now hangs (each try until botocore's read timeout) past the Lambda's timeout.
        e2e_world.rekognition.inject_latency("DescribeProjectVersions", 30, count=1000)
        _wait_until(e2e_world, lambda: any(i.killed for i in e2e_world.lambda_service.invocations), timeout=40)
        e2e_world.rekognition.clear_latency()
        answer = deploy.result()
    assert answer.status == "SUCCESS", answer.reason
    # An invocation killed while answering leaves its answer lock; the next request removes it.
    assert e2e_world.stack.destroy().status == "SUCCESS"


def test_overlapping_scheduled_invocations_answer_once(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=3)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        deploy = pool.submit(e2e_world.stack.deploy, ProjectVersionArn=ARN)
        _wait_for_a_poll_rule(e2e_world)
        # Each look now takes longer than the schedule's period: the next firing overlaps.
        e2e_world.rekognition.inject_latency("DescribeProjectVersions", 1.2, count=20)
        answer = deploy.result()
    assert answer.status == "SUCCESS", answer.reason
    e2e_world.lambda_service.wait_idle()
    assert _max_concurrency(e2e_world) >= 2, "two invocations should have overlapped"


def test_a_200_character_logical_id(e2e_world: World) -> None:
    e2e_world.stack.logical_id = "Detector" + "Q" * 192
    e2e_world.rekognition.add_model(ARN, start_seconds=1.5, stop_seconds=1.5)
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    assert e2e_world.stack.destroy().status == "SUCCESS"


def test_the_same_request_delivered_twice(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=2)
    properties = {"ProjectVersionArn": ARN, "ServiceTimeout": 60}
    answer = e2e_world.stack.send("Create", properties, deliver_twice=True)
    assert answer.status == "SUCCESS"
    e2e_world.stack.physical_id, e2e_world.stack.properties = ARN, properties
    e2e_world.settle()
    assert len(e2e_world.responses.answers_to(e2e_world.stack.requests[-1]["RequestId"])) == 1
    assert e2e_world.stack.destroy().status == "SUCCESS"


def test_the_response_endpoint_failing_its_first_two_puts(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN, start_seconds=1)
    e2e_world.responses.failures_to_serve = 2
    assert e2e_world.stack.deploy(ProjectVersionArn=ARN).status == "SUCCESS"
    assert e2e_world.responses.failures_to_serve == 0


def _wait_for_a_poll_rule(world: World) -> None:
    _wait_until(world, lambda: bool(world.leftovers()[0]), timeout=10)


def _wait_until(world: World, condition: Callable[[], bool], *, timeout: float) -> None:
    """Wait for ``condition``, at most ``timeout`` seconds plus the time processes took to start."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() < began + timeout + world.lambda_service.startup_seconds_since(began), "timed out"
        time.sleep(0.05)


def _max_concurrency(world: World) -> int:
    spans = [(i.started, i.ended) for i in world.lambda_service.invocations]
    return max(sum(1 for start, end in spans if start <= moment < end) for moment, _ in spans)


def test_a_first_request_killed_by_the_lambda_timeout_fails_cleanly(e2e_world: World) -> None:
    e2e_world.rekognition.add_model(ARN)
    e2e_world.rekognition.inject_latency("DescribeProjects", 30, count=1000)
    properties = {"ProjectVersionArn": ARN, "ServiceTimeout": str(round(60 * e2e_world.stack.seconds_per_minute))}
    answer = e2e_world.stack.send("Create", properties)
    assert answer.status == "FAILED"
    assert answer.reason == "The handler ran out of time before it could answer; see its log group for why."
    # It had registered as the model's owner: its rollback Delete must find the registration.
    assert answer.body["PhysicalResourceId"] == ARN
    e2e_world.rekognition.clear_latency()  # Rekognition answers again by the time CloudFormation rolls back
    rollback = e2e_world.stack.send("Delete", properties, physical_id=ARN)
    assert rollback.status == "SUCCESS"
    assert e2e_world.rekognition.tags(ARN) == {}
