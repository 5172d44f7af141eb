#!/usr/bin/env python3
"""make bench: how long users wait on top of Rekognition, what it costs, and how it scales.

Drives the real handler (lambda/) through simulated deployments on a virtual clock (see
simulation.py), in three variants in the same run: as it is; with today's cadence (a look every
10 s from the start on, RUNNING_MODEL_SPARSE_LIMIT_SECONDS=10); and crhelper's defaults. Start
durations are drawn as readiness.py draws them (a typical start of 10 to 30 minutes per model, each
start around it); a model "with history" carries five earlier starts on its STARTS_TAG before the
Create, a first start none. Then 100 and 200 models at once under a 5 TPS Rekognition limit per
operation, synth time for 1 and 50 models, and running windows over a simulated month
(readiness.py). Prints a table and the window figures, and writes docs/benchmark.png.
"""

from __future__ import annotations

import logging
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(ROOT / "lambda"), str(ROOT / "tests"), str(ROOT / "constructs")]
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # Node 24 for jsii

from running_model.lead_time import HISTORY  # noqa: E402

from readiness import one_start, typical_start  # noqa: E402
from readiness import report as readiness_report  # noqa: E402
from report import Scale, Summary, plot, table  # noqa: E402
from simulation import VARIANTS, Deployment, Simulation  # noqa: E402
from support.fakes.aws import moto_server  # noqa: E402
from synth_scale import synthesize  # noqa: E402

SEED = 20261127
WITH_HISTORY = int(os.environ.get("BENCH_WITH_HISTORY", "100"))
FIRST_STARTS = int(os.environ.get("BENCH_FIRST_STARTS", "40"))
SCALE = tuple(int(n) for n in os.environ.get("BENCH_SCALE", "100 200").split())
RATE_LIMIT = 5.0
PLOT = ROOT / "docs" / "benchmark.png"


def draws(
    count: int, seed: int, *, name: str, history: bool, stop: tuple[float, float] = (60, 300)
) -> list[Deployment]:
    """Models whose starts are drawn as readiness.py draws them: a typical start per model, this start
    around it, and (``history``) HISTORY earlier ones around it too; stops of ``stop`` seconds (uniform)."""
    rng = random.Random(seed)
    found = []
    for index in range(count):
        typical = typical_start(rng)
        earlier = tuple(round(one_start(rng, typical)) for _ in range(HISTORY)) if history else ()
        found.append(
            Deployment(
                arn=f"arn:aws:rekognition:eu-west-1:111122223333:project/bench/version/{name}{index}/1767607200000",
                start_seconds=one_start(rng, typical),
                stop_seconds=rng.uniform(*stop),
                history=earlier,
            )
        )
    return found


def fixed(count: int, *, start: float, stop: float) -> list[Deployment]:
    """First starts of ``start`` seconds, stops of ``stop``."""
    arn = "arn:aws:rekognition:eu-west-1:111122223333:project/bench/version/b{}/1767607200000"
    return [Deployment(arn=arn.format(index), start_seconds=start, stop_seconds=stop) for index in range(count)]


def _progress(stage: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:5.0f} s] {stage} done", file=sys.stderr, flush=True)


def main() -> None:
    started = time.perf_counter()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    logging.getLogger().addHandler(logging.NullHandler())  # the handler's own warnings (throttling) stay quiet
    with moto_server() as aws:
        latency = {}
        for variant in VARIANTS:
            models = draws(WITH_HISTORY, SEED, name="h", history=True)
            models += draws(FIRST_STARTS, SEED + 1, name="f", history=False)
            latency[variant] = Simulation(variant, aws, SEED).run(models, spread_seconds=600)
            _progress(f"{variant}: {len(models)} deployments", started)
        budget = Simulation("ours", aws, SEED).run(fixed(10, start=1200, stop=60), spread_seconds=60)
        scales = []
        for count in SCALE:
            scaled = Simulation("ours", aws, SEED, rate_limit_per_operation=RATE_LIMIT)
            deployments = scaled.run(draws(count, SEED + 2, name="s", history=True), spread_seconds=0)
            scales.append(Scale.of(scaled, deployments))
            _progress(f"{count} models at once", started)
    one, fifty = synthesize(1), synthesize(50)
    _progress("synth", started)
    summary = Summary(latency, budget, scales, one, fifty)
    print(table(summary))
    print()
    print(readiness_report(models=20, seed=SEED))
    plot(summary, PLOT)
    print(f"\nPlot: {PLOT.relative_to(ROOT)}")
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"wall time {time.perf_counter() - started:.0f} s"
    )
    failures = summary.failures()
    if failures:
        sys.exit(f"{failures} deployments failed")


if __name__ == "__main__":
    main()
