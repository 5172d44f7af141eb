"""The end-to-end world: the synthesized handler run as Lambda runs it, EventBridge replaying its
poll rules, CloudFormation sending requests, and AWS stood in on 127.0.0.1 (fake Rekognition,
moto for EventBridge and Lambda, an HTTPS endpoint for the answers).

``make_world`` checks the invariants after every scenario.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from running_model.reasons import REASON_LIMIT
from running_model.settings import Timing

from cloudformation_stack import CloudFormationStack
from eventbridge import EventBridgeScheduler
from lambda_runtime import STACK, LambdaService, SynthesizedFunction
from support.fakes.aws import create_function, create_ledger, handler_environment, permission_statements, poll_rules
from support.fakes.cloudformation import ResponseEndpoint
from support.fakes.rekognition import FakeRekognition

# The production timing of lambda/running_model/settings.py, in minutes of the schedule.
PRODUCTION_TIMING_MINUTES = {
    f"RUNNING_MODEL_{name.upper()}": getattr(Timing(), name) / 60
    for name in ("step_seconds", "window_seconds", "quiet_seconds", "deadline_margin_seconds")
}
# The sparse looks' start times are in seconds, not minutes of the schedule (cadence.py): their gaps
# are kept to four steps, so that the flows exercise the cadence without waiting its minutes.
PRODUCTION_TIMING_MINUTES["RUNNING_MODEL_SPARSE_LIMIT_SECONDS"] = (
    4 * PRODUCTION_TIMING_MINUTES["RUNNING_MODEL_STEP_SECONDS"]
)
# Not compressed: botocore's retry backoff runs on the real clock, and the reserve (the time a
# throttled call may take) and the Lambda timeout must leave room for it, as they do in AWS.
RESERVE_SECONDS = 8.0
LAMBDA_TIMEOUT_SECONDS = 20.0
# The compressed clock: one minute of the schedule lasts this many seconds.
FAST = 1.0
# For flows whose outcome turns on the handler's own deadlines (a 5-minute timeout less its
# 90 s margin), which it keeps on its real clock: a slower schedule leaves a busy machine room.
SLOW = 3.0


@dataclass(frozen=True)
class Deployment:
    function: SynthesizedFunction
    site: Path
    aws_endpoint: str
    clock_site: Path  # time-machine, for flows on a virtual clock (lambda_runtime.CLOCK_DISTRIBUTIONS)


@dataclass
class World:
    rekognition: FakeRekognition
    responses: ResponseEndpoint
    lambda_service: LambdaService
    eventbridge: EventBridgeScheduler
    stack: CloudFormationStack
    deployment: Deployment
    rule_prefix: str
    function_name: str

    def leftovers(self) -> tuple[list[dict], list[dict]]:
        return (
            poll_rules(self.deployment.aws_endpoint, self.rule_prefix),
            permission_statements(self.deployment.aws_endpoint, self.function_name),
        )

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until no poll rule is left and no invocation runs (cleanups included)."""
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if not poll_rules(self.deployment.aws_endpoint, self.rule_prefix) and not self.lambda_service.running():
                return
            time.sleep(0.1)


def make_world(
    deployment: Deployment, tmp_path: Path, seconds_per_minute: float, *, production_timing: bool = False
) -> Iterator[World]:
    rekognition = FakeRekognition()
    with rekognition.serve() as rekognition_endpoint, ResponseEndpoint(tmp_path).serve() as responses:
        function_name = f"{STACK}-{deployment.function.logical_id[:30]}-{uuid.uuid4().hex[:12].upper()}"
        create_function(deployment.aws_endpoint, function_name)
        # The template's prefix, made unique per scenario (still within the role's rule/<prefix>* scope).
        rule_prefix = f"{deployment.function.environment['POLL_RULE_PREFIX']}{uuid.uuid4().hex[:4]}-"
        environment = {
            **handler_environment(rekognition_endpoint, deployment.aws_endpoint),
            "SSL_CERT_FILE": str(responses.ca_file),
            "POLL_RULE_PREFIX": rule_prefix,
            "LEDGER_TABLE": create_ledger(deployment.aws_endpoint, f"{function_name}-Ledger"),
        }
        if not production_timing:
            environment.update({k: str(v * seconds_per_minute) for k, v in PRODUCTION_TIMING_MINUTES.items()})
            environment["RUNNING_MODEL_RESERVE_SECONDS"] = str(RESERVE_SECONDS)
        lambda_service = LambdaService(
            function=deployment.function,
            name=function_name,
            site=deployment.site,
            environment=environment,
            timeout_seconds=deployment.function.timeout_seconds if production_timing else LAMBDA_TIMEOUT_SECONDS,
        )
        eventbridge = EventBridgeScheduler(deployment.aws_endpoint, rule_prefix, lambda_service, seconds_per_minute)
        stack = CloudFormationStack(lambda_service, responses, seconds_per_minute)
        world = World(
            rekognition, responses, lambda_service, eventbridge, stack, deployment, rule_prefix, function_name
        )
        eventbridge.start()
        try:
            yield world
            world.settle()
            check_invariants(world)
        finally:
            eventbridge.stop()
            lambda_service.wait_idle()
            print(lambda_service.transcript())  # pytest shows it when the scenario fails


def check_invariants(world: World) -> None:
    """What must hold after every scenario, whatever happened in it."""
    rules, permissions = world.leftovers()
    assert rules == [], f"poll rules left behind: {[rule['Name'] for rule in rules]}"
    assert permissions == [], f"Lambda permissions left behind: {[p.get('Sid') for p in permissions]}"
    for request in world.stack.requests:
        answers = world.responses.answers_to(request["RequestId"])
        assert answers, f"{request['RequestType']} was never answered"
        if request["RequestId"] in world.stack.delivered_twice:
            assert len({(a.status, a.body["PhysicalResourceId"]) for a in answers}) == 1, "conflicting answers"
        else:
            # One answer, though it may arrive more than once: a PUT whose reply is slower than its read
            # timeout (a loaded machine) is sent again by urllib3's retry, as it would be to S3, which
            # keeps the last of identical bodies. That nothing else sends a second answer is checked
            # with the answers gated, in tests/handler/test_interleavings.py.
            bodies = {json.dumps(answer.body, sort_keys=True) for answer in answers}
            assert len(bodies) == 1, f"{request['RequestType']} was answered {len(bodies)} ways: {sorted(bodies)}"
        for answer in answers:
            assert len(answer.reason) <= REASON_LIMIT
            assert answer.status == "SUCCESS" or answer.reason, "a failure without a reason"
    unwanted = set(world.rekognition.running_models()) - world.stack.wanted_running()
    assert not unwanted, f"models running (and billed) that the stack does not want: {unwanted}"
    logs = world.lambda_service.logs()
    assert "X-Amz-Signature" not in logs and not [s for s in world.responses.signatures if s in logs]
