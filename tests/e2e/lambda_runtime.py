"""The handler as Lambda runs it: the asset from cdk.out, in a process of its own whose Python
has nothing but boto3, with a clock counting down from the function's timeout and an end at its end.

A busy machine may take seconds to start Python, which on a compressed schedule are minutes:
``LambdaService.startup_seconds_since`` measures that time, so that the stand-ins for AWS can
leave it out of the timeouts they enforce.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.paths import ROOT

BOOTSTRAP = Path(__file__).resolve().parent / "bootstrap.py"
STACK = "RunningModelExample"
# What the Lambda Python runtime provides: boto3 and what it needs, nothing else.
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")
# What bootstrap.py moves the wall clock with, for flows on a virtual clock (a folder of its own).
CLOCK_DISTRIBUTIONS = ("time-machine",)


@dataclass(frozen=True)
class SynthesizedFunction:
    """The handler function as the template describes it and the asset cdk.out holds."""

    asset: Path
    handler: str
    timeout_seconds: float
    environment: dict[str, str]
    logical_id: str


def synthesize(outdir: Path) -> SynthesizedFunction:
    """Synthesize the example app into ``outdir`` as the CDK CLI would, and find its handler."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": "{}"}
    subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, check=True, capture_output=True)
    return function_in(outdir, STACK)


def function_in(outdir: Path, stack: str, handler: str | None = None) -> SynthesizedFunction:
    """The function of ``stack`` synthesized in ``outdir``: its only one, or the one whose Handler is ``handler``."""
    template = json.loads((outdir / f"{stack}.template.json").read_text())
    ((logical_id, function),) = [
        (k, v)
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::Lambda::Function" and handler in (None, v["Properties"]["Handler"])
    ]
    manifest = json.loads((outdir / f"{stack}.assets.json").read_text())
    key = function["Properties"]["Code"]["S3Key"]
    (asset,) = [
        outdir / entry["source"]["path"]
        for entry in manifest["files"].values()
        if any(destination["objectKey"] == key for destination in entry["destinations"].values())
    ]
    properties = function["Properties"]
    return SynthesizedFunction(
        asset=asset,
        handler=properties["Handler"],
        timeout_seconds=float(properties["Timeout"]),
        environment=dict(properties.get("Environment", {}).get("Variables", {})),
        logical_id=logical_id,
    )


def runtime_site(directory: Path, distributions: tuple[str, ...] = RUNTIME_DISTRIBUTIONS) -> Path:
    """A folder holding ``distributions`` only (default: boto3 and its dependencies), copied from
    this environment."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in distributions:
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or []:
            parts = file.parts
            if parts[0].endswith((".dist-info", ".egg-info")) or parts[0] == ".." or "__pycache__" in parts:
                continue
            target = directory / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(str(distribution.locate_file(file))), target)
    return directory


# Exit status of an invocation that bootstrap.py ended at its timeout.
TIMED_OUT = 124
# Ends a process that outlives its timeout many times over (a hung interpreter), whatever the load.
_HUNG_FACTOR = 10


@dataclass
class Invocation:
    event: dict[str, Any]
    started: float
    handler_started: float = 0.0  # when the init phase ended (bootstrap's START line); 0 until then
    ended: float = 0.0
    killed: bool = False
    output: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    def startup_seconds(self, now: float) -> float:
        """How long the process took to reach the handler (so far, if it has not yet)."""
        return (self.handler_started or self.ended or now) - self.started


@dataclass
class LambdaService:
    """Invokes one function asynchronously, each invocation a process, as Lambda does."""

    function: SynthesizedFunction
    name: str
    site: Path
    environment: dict[str, str]
    timeout_seconds: float
    # The file a virtual clock keeps its offset in, and the folder with time-machine that bootstrap.py
    # moves the handler's clock with.
    clock_file: Path | None = None
    clock_site: Path | None = None
    invocations: list[Invocation] = field(default_factory=list)
    deleted: bool = False
    dropped: int = 0
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke_async(self, event: dict[str, Any]) -> Invocation:
        """Start an invocation; once the function is deleted, drop it (counted in ``dropped``)."""
        invocation = Invocation(event=event, started=time.monotonic())
        thread = threading.Thread(target=self._run, args=(invocation,), daemon=True)
        with self._lock:
            if self.deleted:  # Lambda cannot invoke a deleted function: the event is lost
                self.dropped += 1
                invocation.ended, invocation.output = invocation.started, "dropped: the function is deleted"
                invocation.done.set()
                return invocation
            self.invocations.append(invocation)
            self._threads.append(thread)
        thread.start()
        return invocation

    def delete(self) -> None:
        """Delete the function, as CloudFormation does when its stack is deleted or its first deploy
        rolls back: invocations already running carry on to their end, later ones never run."""
        with self._lock:
            self.deleted = True

    def wait_idle(self, timeout: float = 900.0) -> None:
        """Wait until every invocation so far has ended. Each ends at its own timeout, so the limit
        only guards against a hang: on a busy machine an invocation may take minutes of wall time,
        and a test that went on while one still ran would judge a world not yet settled."""
        limit = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, limit - time.monotonic()))
        still = sum(1 for thread in threads if thread.is_alive())
        assert still == 0, f"{still} invocation(s) still running after {timeout:.0f} s\n{self.transcript()}"

    def startup_seconds_since(self, moment: float) -> float:
        """The time spent starting processes, summed over the invocations invoked since ``moment``."""
        now = time.monotonic()
        with self._lock:
            return sum(i.startup_seconds(now) for i in self.invocations if i.started >= moment)

    def running(self) -> int:
        with self._lock:
            return sum(1 for thread in self._threads if thread.is_alive())

    def transcript(self) -> str:
        """Every invocation: when, how long, which request, and its output (shown when a test fails)."""
        lines = []
        with self._lock:
            invocations = list(self.invocations)
        origin = invocations[0].started if invocations else 0.0
        for invocation in invocations:
            kind = "poll" if "CrHelperPoll" in invocation.event else "request"
            took = f"{invocation.ended - invocation.started:.2f}s" if invocation.ended else "running"
            killed = " KILLED" if invocation.killed else ""
            lines.append(
                f"--- +{invocation.started - origin:.2f}s {invocation.event.get('RequestType')} {kind} {took}{killed}"
            )
            lines.append(invocation.output.rstrip())
        return "\n".join(lines)

    def logs(self) -> str:
        with self._lock:
            return "\n".join(invocation.output for invocation in self.invocations)

    def _run(self, invocation: Invocation) -> None:
        command = [
            sys.executable,
            "-I",
            "-S",
            str(BOOTSTRAP),
            str(self.function.asset),
            str(self.site),
            self.function.handler,
            str(self.timeout_seconds),
        ]
        if self.clock_file is not None and self.clock_site is not None:
            command += [str(self.clock_site), str(self.clock_file)]
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            **self.function.environment,
            **self.environment,
        }
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
        )
        hung = threading.Timer(self.timeout_seconds * _HUNG_FACTOR, process.kill)
        hung.start()
        try:
            assert process.stdin and process.stdout
            process.stdin.write(json.dumps(invocation.event))
            process.stdin.close()
            lines = []
            for line in process.stdout:
                if line == "START\n" and not invocation.handler_started:
                    invocation.handler_started = time.monotonic()
                    continue
                lines.append(line)
            process.wait()
        finally:
            hung.cancel()
        invocation.killed = process.returncode in (TIMED_OUT, -9)
        invocation.output = "".join(lines)
        invocation.ended = time.monotonic()
        invocation.done.set()
