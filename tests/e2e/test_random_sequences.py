"""Random Create/Update/Delete sequences with random faults (hypothesis), end to end.

Whatever happens, the invariants of harness.check_invariants hold, and a stack that holds the
resource runs the version it names with the units it asks for. The "ci" profile (the default)
runs a fixed set of examples; HYPOTHESIS_PROFILE=explore draws new ones.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import FAST, Deployment, World, make_world
from support.testdata import version_arn

VERSIONS = (version_arn("widgets", "v1"), version_arn("widgets", "v2"))
OPERATIONS = ("DescribeProjects", "DescribeProjectVersions", "StartProjectVersion", "StopProjectVersion")
ERRORS = ("ThrottlingException", "InternalServerError", "ResourceInUseException", "AccessDeniedException")

settings.register_profile(
    "ci",
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("explore", parent=settings.get_profile("ci"), max_examples=40, derandomize=False)

Step = tuple[Any, ...]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("deploy"), st.sampled_from(VERSIONS), st.integers(1, 2)),
        st.just(("destroy",)),
        st.tuples(st.just("fault"), st.sampled_from(OPERATIONS), st.sampled_from(ERRORS)),
        st.tuples(st.just("fail_next_start"), st.sampled_from(VERSIONS)),
    ),
    max_size=4,
).map(lambda rest: [("deploy", VERSIONS[0], 1), *rest])  # most interesting sequences start from a stack


@contextlib.contextmanager
def fresh_world(deployment: Deployment, directory: Path) -> Iterator[World]:
    yield from make_world(deployment, directory, FAST)


@settings(settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")))
@given(sequence=steps, start=st.floats(0.2, 2.5), stop=st.floats(0.2, 1.5))
def test_random_sequences_keep_the_invariants(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory, sequence: list[Step], start: float, stop: float
) -> None:
    with fresh_world(deployment, tmp_path_factory.mktemp("world")) as world:
        for version in VERSIONS:
            world.rekognition.add_model(version, start_seconds=start, stop_seconds=stop)
        for step in sequence:
            apply(world, step)
        if world.stack.physical_id and world.stack.properties:
            wanted = world.stack.properties
            assert world.rekognition.status(world.stack.physical_id) == "RUNNING"
            units = wanted.get("MinInferenceUnits", 1)
            assert world.rekognition.units(world.stack.physical_id) == (units, units)


def apply(world: World, step: Step) -> None:
    kind = step[0]
    if kind == "deploy":
        world.stack.deploy(ProjectVersionArn=step[1], MinInferenceUnits=step[2])
    elif kind == "destroy" and world.stack.physical_id:
        world.stack.destroy()
    elif kind == "fault":
        world.rekognition.inject_error(step[1], step[2], message="injected")
    elif kind == "fail_next_start":
        world.rekognition.fail_next_starts(step[1], "injected start failure")
