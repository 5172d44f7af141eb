"""The benchmark's machinery (benchmarks/): the virtual clock, and a small simulated run of the
real handler. No timing targets here: `make bench` measures and prints them."""

from __future__ import annotations

import sys

from support.paths import BENCHMARKS

sys.path.insert(0, str(BENCHMARKS))

from simulation import Deployment, Simulation  # noqa: E402
from support.fakes.aws import moto_server  # noqa: E402
from virtual_time import VirtualClock  # noqa: E402


def test_the_virtual_clock_runs_actors_in_virtual_time_order() -> None:
    clock = VirtualClock(start=0.0)
    seen: list[tuple[str, float]] = []

    def actor(name: str, naps: list[float]) -> None:
        for nap in naps:
            clock.sleep(nap)
            seen.append((name, clock.now()))

    with clock.held():
        clock.spawn(actor, "a", [5.0, 5.0])
        clock.spawn(actor, "b", [3.0, 4.0])
    clock.wait_idle()
    assert seen == [("b", 3.0), ("a", 5.0), ("b", 7.0), ("a", 10.0)]


def test_a_small_simulated_run_of_the_real_handler() -> None:
    arn = "arn:aws:rekognition:eu-west-1:111122223333:project/bench/version/v{}/1767607200000"
    deployments = [Deployment(arn.format(i), start_seconds=150 + 40 * i, stop_seconds=70) for i in range(2)]
    with moto_server() as aws:
        done = Simulation("ours", aws, seed=1).run(deployments, spread_seconds=30)
    for deployment in done:
        assert (deployment.create_status, deployment.delete_status) == ("SUCCESS", "SUCCESS")
        assert deployment.running_at and deployment.create_answered >= deployment.running_at
        assert deployment.stopped_at and deployment.delete_answered >= deployment.stopped_at
        # The first look, and the one that saw it RUNNING at least; fewer than one every 10 s of the start.
        assert deployment.invocations >= 3 and 2 <= deployment.describe_calls_while_creating < 15


def test_a_simulation_undoes_its_patches() -> None:
    import os
    import time

    import botocore.endpoint

    environment = dict(os.environ)
    with moto_server() as aws:
        Simulation("ours", aws, seed=2).run(
            [Deployment("arn:aws:rekognition:eu-west-1:111122223333:project/b/version/v/1", 60, 60)], spread_seconds=0
        )
    assert botocore.endpoint.time is time
    assert dict(os.environ) == environment
