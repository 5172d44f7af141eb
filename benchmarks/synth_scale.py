"""Synth time and resource counts for a stack with 1 and with 50 RunningModels.

Timed as a user waits on it: a fresh Python process that declares the models and synthesizes
(what `cdk synth` runs), and, for the per-model cost alone, inside a warm process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_APP = """
import sys, time
import aws_cdk as cdk
from rekognition_running_model import RunningModel

models = int(sys.argv[1])
started = time.perf_counter()
app = cdk.App()
stack = cdk.Stack(app, "Bench")
for index in range(models):
    arn = f"arn:aws:rekognition:eu-west-1:111122223333:project/bench/version/v{index}/1767607200000"
    RunningModel(stack, f"Model{index}", project_version_arn=arn)
app.synth()
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class SynthResult:
    models: int
    seconds: float  # a fresh process, as `cdk synth` runs the app
    in_process_seconds: float  # declaring and synthesizing, in a process already running
    functions: int
    roles: int


def synthesize(models: int, repeats: int = 3) -> SynthResult:
    """Median over ``repeats`` runs of a fresh app that declares ``models`` RunningModels."""
    wall, inner = [], []
    with tempfile.TemporaryDirectory() as outdir:
        env = {**os.environ, "CDK_OUTDIR": outdir, "PYTHONPATH": str(ROOT / "constructs")}
        for _ in range(repeats):
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-c", _APP, str(models)], env=env, capture_output=True, text=True, check=True
            )
            wall.append(time.perf_counter() - started)
            inner.append(float(result.stdout.strip().splitlines()[-1]))
        template = json.loads((Path(outdir) / "Bench.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    return SynthResult(
        models,
        statistics.median(wall),
        statistics.median(inner),
        types.count("AWS::Lambda::Function"),
        types.count("AWS::IAM::Role"),
    )
