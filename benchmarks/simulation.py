"""One simulated stack: CloudFormation sending requests, the handler in simulated Lambda, polls
from simulated EventBridge, Rekognition stood in by the fake, all on one virtual clock."""

from __future__ import annotations

import contextlib
import os
import random
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.endpoint

from running_model.lead_time import STARTS_TAG, format_history

import handlers
from lambda_sim import AnswerBook, Invocation, SimulatedEventBridge, SimulatedLambda
from support.fakes.aws import create_function, create_ledger, handler_environment, permission_statements
from support.fakes.rekognition import Call, FakeRekognition
from virtual_time import VirtualClock

# The Rekognition operations the handler calls, each limited to the same rate when a simulation limits them.
LIMITED_OPERATIONS = (
    "DescribeProjects",
    "DescribeProjectVersions",
    "StartProjectVersion",
    "StopProjectVersion",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
)
# The variants: the handler as it is; the same with today's cadence (a look every step from the
# start on, whatever the model's history); crhelper's defaults around the same decisions.
VARIANTS = ("ours", "today", "baseline")
# A sparse limit no longer than the step: a look every step throughout, the cadence before the sparse looks.
TODAY_ENVIRONMENT = {"RUNNING_MODEL_SPARSE_LIMIT_SECONDS": "10"}
STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Bench/4b7e5a40-0000-11f1-8000-0a1b2c3d4e5f"
MEMORY_MB = 256


@dataclass
class Deployment:
    """One model: deployed (Create) and, once running, destroyed (Delete)."""

    arn: str
    start_seconds: float
    stop_seconds: float
    # Earlier starts of the same version (whole seconds, oldest first), on its STARTS_TAG before the
    # Create; empty for a first start.
    history: tuple[int, ...] = ()
    create_id: str = ""
    delete_id: str = ""
    create_sent: float = 0.0
    create_answered: float = 0.0
    create_status: str = ""
    delete_sent: float = 0.0
    delete_answered: float = 0.0
    delete_status: str = ""
    reason: str = ""  # the Reason of a FAILED answer
    running_at: float = 0.0
    stopped_at: float = 0.0
    describe_calls_while_creating: int = 0
    invocations: int = 0
    gb_seconds: float = 0.0

    @property
    def running_to_success(self) -> float:
        return self.create_answered - self.running_at

    @property
    def stopped_to_success(self) -> float:
        return self.delete_answered - self.stopped_at


@dataclass
class Simulation:
    variant: str  # one of VARIANTS
    aws_endpoint: str
    seed: int
    rate_limit_per_operation: float = 0.0
    clock: VirtualClock = field(default_factory=VirtualClock)
    deployments: list[Deployment] = field(default_factory=list)
    # Filled in by run(): the most poll rules at once, and the most statements the function's
    # resource policy held (Lambda allows 20 KB, about 45 of crhelper's per-request statements),
    # the most invocations running at once, and every call Rekognition received.
    peak_rules: int = 0
    peak_policy_statements: int = 0
    peak_concurrency: int = 0
    calls: list[Call] = field(default_factory=list)

    def run(self, deployments: list[Deployment], *, spread_seconds: float) -> list[Deployment]:
        """Deploy every model (each at a random moment within ``spread_seconds``), then destroy it."""
        rng = random.Random(self.seed)
        rekognition = FakeRekognition(clock=self.clock.now)
        if self.rate_limit_per_operation:
            for operation in LIMITED_OPERATIONS:
                rekognition.set_rate_limit(operation, self.rate_limit_per_operation)
        for deployment in deployments:
            rekognition.add_model(
                deployment.arn, start_seconds=deployment.start_seconds, stop_seconds=deployment.stop_seconds
            )
            if deployment.history:
                rekognition.set_tags(deployment.arn, {STARTS_TAG: format_history(deployment.history)})
        answers = AnswerBook(self.clock)
        function_name = f"bench-{self.variant}-{uuid.uuid4().hex[:8]}"
        create_function(self.aws_endpoint, function_name)
        with rekognition.serve() as endpoint, self._configured(endpoint, answers):
            eventbridge = SimulatedEventBridge(self.clock, None, rng)  # type: ignore[arg-type]
            lambda_ = SimulatedLambda(self.clock, lambda: self._container(eventbridge, answers), function_name, rng)
            eventbridge.lambda_ = lambda_
            with self.clock.held():
                for index, deployment in enumerate(deployments):
                    self.clock.spawn(
                        self._deploy, lambda_, answers, deployment, f"M{index}", rng.uniform(0, spread_seconds)
                    )
                self.clock.spawn(self._watch_policy, function_name, eventbridge, deployments)
            self.clock.wait_idle()
            self.peak_rules = eventbridge.peak_rules
            self.peak_concurrency = lambda_.peak_concurrency
        self.calls = rekognition.calls
        self._account(deployments, rekognition, lambda_)
        return deployments

    @contextlib.contextmanager
    def _configured(self, rekognition_endpoint: str, answers: AnswerBook) -> Iterator[None]:
        """Environment and patches for the handler in this simulation, undone afterwards."""
        environment = {
            **handler_environment(rekognition_endpoint, self.aws_endpoint),
            "POLL_RULE_PREFIX": "RunningModel-bench0000-",
            "LEDGER_TABLE": create_ledger(self.aws_endpoint, f"bench-{uuid.uuid4().hex[:12]}"),
            **(TODAY_ENVIRONMENT if self.variant == "today" else {}),
        }
        saved_environment = {name: os.environ.get(name) for name in environment}
        saved_time = botocore.endpoint.time
        os.environ.update(environment)
        # botocore's retry backoff on the simulation's clock (the answers go to the AnswerBook: handlers.py).
        botocore.endpoint.time = types.SimpleNamespace(sleep=self.clock.sleep)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            botocore.endpoint.time = saved_time  # type: ignore[attr-defined]
            for name, value in saved_environment.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _container(self, eventbridge: SimulatedEventBridge, answers: AnswerBook) -> Any:
        if self.variant in ("ours", "today"):
            return handlers.load_ours(self.clock, eventbridge, answers)
        return handlers.load_baseline(self.clock, eventbridge, answers)

    def _deploy(
        self, lambda_: SimulatedLambda, answers: AnswerBook, deployment: Deployment, logical_id: str, delay: float
    ) -> None:
        self.clock.sleep(delay)
        create = _request("Create", deployment.arn, logical_id)
        deployment.create_id, deployment.create_sent = create["RequestId"], self.clock.now()
        lambda_.invoke(create)
        deployment.create_answered, body = self._answer(answers, create["RequestId"])
        deployment.create_status = body["Status"]
        deployment.reason = body.get("Reason", "") if body["Status"] != "SUCCESS" else ""
        if body["Status"] != "SUCCESS":
            return
        delete = _request("Delete", deployment.arn, logical_id, physical_id=body["PhysicalResourceId"])
        deployment.delete_id, deployment.delete_sent = delete["RequestId"], self.clock.now()
        lambda_.invoke(delete)
        deployment.delete_answered, body = self._answer(answers, delete["RequestId"])
        deployment.delete_status = body["Status"]
        deployment.reason = body.get("Reason", "") if body["Status"] != "SUCCESS" else ""

    def _watch_policy(
        self, function_name: str, eventbridge: SimulatedEventBridge, deployments: list[Deployment]
    ) -> None:
        """Sample the function's resource policy once a simulated minute while deployments run."""
        while not all(d.delete_answered or d.create_status not in ("", "SUCCESS") for d in deployments):
            statements = len(permission_statements(self.aws_endpoint, function_name))
            self.peak_policy_statements = max(self.peak_policy_statements, statements)
            self.clock.sleep(60.0)

    def _answer(self, answers: AnswerBook, request_id: str) -> tuple[float, dict[str, Any]]:
        while (found := answers.first(request_id)) is None:
            self.clock.sleep(1.0)  # CloudFormation waits; the answer's own time is what is measured
        return found

    def _account(self, deployments: list[Deployment], rekognition: FakeRekognition, lambda_: SimulatedLambda) -> None:
        by_arn: dict[str, list[Call]] = {}
        describes: dict[str, list[float]] = {}  # by version name, the times of every attempt
        for call in self.calls:
            if call.operation == "DescribeProjectVersions" and len(call.params.get("VersionNames") or ()) == 1:
                describes.setdefault(call.params["VersionNames"][0], []).append(call.at)
            elif not call.error and "ProjectVersionArn" in call.params:
                by_arn.setdefault(call.params["ProjectVersionArn"], []).append(call)
        invocations: dict[str, list[Invocation]] = {}
        for invocation in lambda_.invocations:
            invocations.setdefault(invocation.request_id, []).append(invocation)
        for deployment in deployments:
            calls = by_arn.get(deployment.arn, [])
            starts = [c.at for c in calls if c.operation == "StartProjectVersion"]
            stops = [c.at for c in calls if c.operation == "StopProjectVersion"]
            deployment.running_at = starts[-1] + deployment.start_seconds if starts else 0.0
            deployment.stopped_at = stops[-1] + deployment.stop_seconds if stops else 0.0
            version = deployment.arn.split("/")[3]
            deployment.describe_calls_while_creating = sum(
                1 for at in describes.get(version, []) if deployment.create_sent <= at <= deployment.create_answered
            )
            mine = invocations.get(deployment.create_id, []) + invocations.get(deployment.delete_id, [])
            deployment.invocations = len(mine)
            deployment.gb_seconds = sum(i.ended - i.started for i in mine) * MEMORY_MB / 1024


def _request(request_type: str, arn: str, logical_id: str, physical_id: str | None = None) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:111122223333:function:bench",
        "ResponseURL": f"https://cloudformation-responses.invalid/{request_id}",
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": "Custom::RekognitionRunningModel",
        "ResourceProperties": {"ServiceToken": "x", "ProjectVersionArn": arn, "MinInferenceUnits": "1"},
    }
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    return event
