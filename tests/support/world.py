"""The handler in-process, with AWS stood in: fake Rekognition, moto EventBridge and Lambda,
an HTTPS endpoint for CloudFormation's answers. Real crhelper, real boto3 everywhere.

``World.run`` plays CloudFormation and EventBridge: it sends a request, then, until the request
is answered, invokes the handler with the Input of each poll rule crhelper set up.
"""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from support.fakes.aws import permission_statements, poll_rules
from support.fakes.cloudformation import Answer, ResponseEndpoint
from support.fakes.rekognition import FakeRekognition
from support.paths import HANDLER_INDEX as INDEX

# Short production-shaped timing: seconds become tenths.
FAST_TIMING = {
    "RUNNING_MODEL_STEP_SECONDS": "0.05",
    "RUNNING_MODEL_WINDOW_SECONDS": "0.3",
    "RUNNING_MODEL_QUIET_SECONDS": "0.1",
    "RUNNING_MODEL_RESERVE_SECONDS": "0",
    "RUNNING_MODEL_DEADLINE_MARGIN_SECONDS": "0",
    # Sparse looks at most four steps apart: the cadence's own path, without its minutes of waiting.
    "RUNNING_MODEL_SPARSE_LIMIT_SECONDS": "0.2",
}


@dataclass
class LambdaContext:
    """What Lambda passes as context: a name and a clock counting down from the timeout."""

    function_name: str
    timeout_seconds: float = 180.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000)


def load_handler() -> ModuleType:
    """A fresh import of lambda/index.py, reading the environment as a cold start would."""
    spec = importlib.util.spec_from_file_location(f"index_{uuid.uuid4().hex}", INDEX)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class World:
    rekognition: FakeRekognition
    responses: ResponseEndpoint
    aws_endpoint: str
    function_name: str
    rule_prefix: str
    handler: ModuleType
    invocations: int = 0
    # Set by a test that loses the reply to an answer's delivery: that answer is then sent again.
    lost_deliveries: bool = False

    def invoke(self, event: dict[str, Any], *, timeout_seconds: float = 180.0) -> None:
        self.invocations += 1
        self.handler.handler(json.loads(json.dumps(event)), LambdaContext(self.function_name, timeout_seconds))

    def scheduled_inputs(self) -> list[dict[str, Any]]:
        """The events EventBridge would deliver now: the Input of every poll rule's target."""
        return [
            json.loads(target["Input"])
            for rule in poll_rules(self.aws_endpoint, self.rule_prefix)
            for target in rule["Targets"]
        ]

    def run(self, event: dict[str, Any], *, max_polls: int = 100) -> Answer:
        """Send ``event``, then poll as EventBridge would until it is answered; return the answer."""
        self.invoke(event)
        return self.poll_until_answered(event, max_polls=max_polls)

    def poll_until_answered(self, event: dict[str, Any], *, max_polls: int = 100) -> Answer:
        """Invoke the handler with each poll rule's Input until ``event`` is answered."""
        polls = 0
        while not self.responses.answers_to(event["RequestId"]):
            scheduled = [e for e in self.scheduled_inputs() if e["RequestId"] == event["RequestId"]]
            assert scheduled, "the request is neither answered nor being polled: CloudFormation would hang"
            polls += 1
            assert polls <= max_polls, "still polling"
            for poll in scheduled:
                self.invoke(poll)
        (answer,) = self.responses.answers_to(event["RequestId"])
        return answer

    def finish_cleanups(self, max_polls: int = 200) -> None:
        """Let polls that go on after an answer (to stop a model left STARTING) run out."""
        for _ in range(max_polls):
            scheduled = self.scheduled_inputs()
            if not scheduled:
                return
            for poll in scheduled:
                self.invoke(poll)
        raise AssertionError("cleanup polls never finished")

    def leftovers(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Poll rules and Lambda permissions still in place."""
        return poll_rules(self.aws_endpoint, self.rule_prefix), permission_statements(
            self.aws_endpoint, self.function_name
        )
