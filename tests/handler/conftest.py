"""What the handler's tests share: moto for EventBridge and Lambda, and a World per test."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.fakes.aws import create_function, create_ledger, handler_environment, moto_server
from support.fakes.cloudformation import ResponseEndpoint
from support.fakes.rekognition import FakeRekognition
from support.world import FAST_TIMING, World, load_handler


@pytest.fixture(scope="module")
def aws_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def rekognition() -> FakeRekognition:
    """The world's fake Rekognition (a test module may give it another clock)."""
    return FakeRekognition()


@pytest.fixture
def world(
    aws_endpoint: str, rekognition: FakeRekognition, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    function_name = f"RunningModelTest-Handler-{uuid.uuid4().hex[:8]}"
    create_function(aws_endpoint, function_name)
    ledger = create_ledger(aws_endpoint, f"{function_name}-Ledger")
    rule_prefix = f"RunningModel-{uuid.uuid4().hex[:8]}-"
    with rekognition.serve() as rekognition_endpoint, ResponseEndpoint(tmp_path).serve() as responses:
        environment = {
            **handler_environment(rekognition_endpoint, aws_endpoint),
            "SSL_CERT_FILE": str(responses.ca_file),
            "POLL_RULE_PREFIX": rule_prefix,
            "LEDGER_TABLE": ledger,
            **FAST_TIMING,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        world = World(rekognition, responses, aws_endpoint, function_name, rule_prefix, load_handler())
        yield world
        world.finish_cleanups()
        rules, permissions = world.leftovers()
        assert rules == [] and permissions == [], "poll rule or permission left behind"
        # One answer per request. The same answer may arrive twice only where its first delivery's
        # reply was lost (the handler cannot tell it arrived): never two different ones.
        answers: dict[str, set[str]] = {}
        for answer in responses.answers:
            answers.setdefault(answer.request_id, set()).add(json.dumps(answer.body, sort_keys=True))
        assert all(len(bodies) == 1 for bodies in answers.values()), "a request was answered twice, differently"
        delivered = [answer.request_id for answer in responses.answers]
        assert len(delivered) == len(set(delivered)) or world.lost_deliveries, "an answer was sent twice"
        assert all(len(answer.reason) <= 256 for answer in responses.answers)
