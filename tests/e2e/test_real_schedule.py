"""Once on the real clock: production timing, EventBridge's one-minute schedule, the 3-minute
Lambda timeout (about two minutes of wall time)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import Deployment, World, make_world
from support.testdata import version_arn

ARN = version_arn("widgets", "v1")


@pytest.fixture
def real_world(deployment: Deployment, tmp_path: Path) -> Iterator[World]:
    yield from make_world(deployment, tmp_path, seconds_per_minute=60, production_timing=True)


@pytest.mark.runs_long
def test_create_and_destroy_on_the_real_schedule(real_world: World) -> None:
    # Outlasts the first invocation's 50 s of looking: the answer must come from a scheduled poll.
    real_world.rekognition.add_model(ARN, start_seconds=55, stop_seconds=5)
    started = time.monotonic()
    created = real_world.stack.deploy(ProjectVersionArn=ARN)
    took = time.monotonic() - started
    assert created.status == "SUCCESS", created.reason
    first, *polls = real_world.lambda_service.invocations
    assert 48 <= first.ended - first.started <= 58, "the first invocation looks for about 50 s"
    assert polls and 58 <= polls[0].started - first.started <= 64, "the rule, set up at once, fires a minute later"
    assert took < 55 + 15, "answered within a look or two of the model running"
    destroyed = real_world.stack.destroy()
    assert destroyed.status == "SUCCESS", destroyed.reason
    assert real_world.eventbridge.firings == 1
