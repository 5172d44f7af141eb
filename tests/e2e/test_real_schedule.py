"""Once on the real clock: production timing, EventBridge's one-minute schedule, the 3-minute
Lambda timeout (about two minutes of wall time). Nothing here asserts on a wall-clock figure:
what is checked is which invocation did what, which holds on a busy machine too."""

from __future__ import annotations

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
    created = real_world.stack.deploy(ProjectVersionArn=ARN)
    assert created.status == "SUCCESS", created.reason
    real_world.lambda_service.wait_idle()  # the answering poll may still be ending
    first, *polls = real_world.lambda_service.invocations
    assert "Answering" not in first.output and not first.killed, (
        "the first invocation looks, then leaves it to the rule"
    )
    answering = [poll for poll in polls if "Answering Detector: SUCCESS" in poll.output]
    assert len(answering) == 1 and not answering[0].killed, "a scheduled poll answered, once"
    destroyed = real_world.stack.destroy()
    assert destroyed.status == "SUCCESS", destroyed.reason
