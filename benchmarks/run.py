#!/usr/bin/env python3
"""make bench: how long users wait on top of Rekognition, what it costs, and how it scales.

Drives the real handler (lambda/) through simulated deployments on a virtual clock (see
simulation.py), against crhelper's defaults as the baseline, in the same run; then 50 models at
once under a 5 TPS Rekognition limit, and synth time for 1 and 50 models; then running windows over
a simulated month (readiness.py). Prints a table and the window figures, and writes docs/benchmark.png.
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

from readiness import report as readiness_report  # noqa: E402
from report import Summary, plot, table  # noqa: E402
from simulation import Deployment, Simulation  # noqa: E402
from support.fakes.aws import moto_server  # noqa: E402
from synth_scale import synthesize  # noqa: E402

SEED = 20261127
DEPLOYMENTS = int(os.environ.get("BENCH_DEPLOYMENTS", "150"))
PLOT = ROOT / "docs" / "benchmark.png"


def draws(count: int, seed: int, *, start: tuple[float, float], stop: tuple[float, float]) -> list[Deployment]:
    """Models whose start takes ``start`` and stop ``stop`` seconds (uniform draws)."""
    rng = random.Random(seed)
    return [
        Deployment(
            arn=f"arn:aws:rekognition:eu-west-1:111122223333:project/bench/version/m{index}/1767607200000",
            start_seconds=rng.uniform(*start),
            stop_seconds=rng.uniform(*stop),
        )
        for index in range(count)
    ]


def main() -> None:
    started = time.perf_counter()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    logging.getLogger().addHandler(logging.NullHandler())  # the handler's own warnings (throttling) stay quiet
    with moto_server() as aws:
        latency = {}
        for variant in ("ours", "baseline"):
            models = draws(DEPLOYMENTS, SEED, start=(60, 1800), stop=(60, 300))
            latency[variant] = Simulation(variant, aws, SEED).run(models, spread_seconds=600)
        budget = Simulation("ours", aws, SEED).run(
            draws(10, SEED, start=(1200, 1200), stop=(60, 60)), spread_seconds=60
        )
        scaled = Simulation("ours", aws, SEED, rate_limit_per_operation=5)
        scale = scaled.run(draws(50, SEED, start=(300, 900), stop=(60, 300)), spread_seconds=0)
    one, fifty = synthesize(1), synthesize(50)
    summary = Summary(
        latency["ours"],
        latency["baseline"],
        budget,
        scale,
        one,
        fifty,
        scale_peak_rules=scaled.peak_rules,
        scale_peak_policy_statements=scaled.peak_policy_statements,
    )
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
