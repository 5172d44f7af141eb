"""The RunningModelGuard as Lambda runs it: its function from the synthesized example (examples/guard.py),
in a process of its own with nothing but boto3, invoked with the event its schedule sends, against the
fake Rekognition (holding every call to the guard role's synthesized policy) and moto's CloudFormation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambda_runtime import LambdaService, SynthesizedFunction, function_in, runtime_site
from support.account import ACCOUNT, FakeAccount
from support.fakes.aws import client, handler_environment, moto_server
from support.fakes.iam import RolePolicy
from support.fakes.rekognition import FakeRekognition
from support.paths import ROOT

STACK = "Guarded"
SCHEDULED_TIME = "2026-01-05T10:00:00Z"
USER_TAG = {"team": "vision"}


@dataclass(frozen=True)
class GuardDeployment:
    function: SynthesizedFunction
    template: dict[str, Any]
    site: Path
    aws_endpoint: str

    def scheduled_event(self) -> dict[str, Any]:
        """What EventBridge Scheduler sends: the schedule's Input, its context attributes filled in."""
        (schedule,) = [r for r in self.template["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule"]
        raw = schedule["Properties"]["Target"]["Input"]
        return dict(json.loads(raw.replace("<aws.scheduler.scheduled-time>", SCHEDULED_TIME)))

    def policy(self) -> RolePolicy:
        """The guard role's policy, resolved in moto's account (where FakeAccount's versions are)."""
        role = self.template["Resources"][self.function_role()]
        assert role["Type"] == "AWS::IAM::Role"
        return RolePolicy.from_template(self.template, role_logical_id=self.function_role(), account=ACCOUNT)

    def function_role(self) -> str:
        role = self.template["Resources"][self.function.logical_id]["Properties"]["Role"]
        return str(role["Fn::GetAtt"][0])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardDeployment]:
    """examples/guard.py synthesized as a user's app (the library installed), moto, a boto3-only runtime."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT / "constructs")}
    env.pop("CDK_CONTEXT_JSON", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "guard.py")], cwd=outdir, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    function = function_in(outdir, STACK, handler="guard.handler")
    template = json.loads((outdir / f"{STACK}.template.json").read_text())
    site = runtime_site(tmp_path_factory.mktemp("runtime"))
    with moto_server() as endpoint:
        yield GuardDeployment(function, template, site, endpoint)


@dataclass
class Account:
    fake: FakeRekognition
    arrange: FakeAccount
    arns: dict[str, str]


@pytest.fixture
def account(deployment: GuardDeployment) -> Iterator[tuple[Account, str]]:
    """A declared model, a FORGOTTEN one (its stack deleted; a user's tag beside the registration), an
    UNMANAGED one and a stopped one, in moto's account; yields it and the fake Rekognition's endpoint."""
    fake = FakeRekognition()
    fake.set_authorizer(deployment.policy().allows)
    suffix = uuid.uuid4().hex[:8]
    with fake.serve() as endpoint:
        arrange = FakeAccount(fake, client("cloudformation", deployment.aws_endpoint))
        arns = {name: arrange.model("widgets", name, units=2) for name in ("declared", "forgotten", "unmanaged")}
        arns["stopped"] = arrange.model("widgets", "stopped", status="STOPPED")
        live = arrange.stack(f"Live-{suffix}", ["Detector"])
        gone = arrange.stack(f"Gone-{suffix}", ["Detector"])
        arrange.register(arns["declared"], live, "Detector")
        fake.set_tags(arns["forgotten"], USER_TAG)
        arrange.register(arns["forgotten"], gone, "Detector")
        arrange.register(arns["stopped"], gone, "Detector")
        arrange.delete_stack(gone)
        yield Account(fake, arrange, arns), endpoint


def run_guard(deployment: GuardDeployment, rekognition_endpoint: str, **flags: str) -> str:
    """One scheduled run of the guard function, as Lambda runs it; its log."""
    environment = {
        **handler_environment(rekognition_endpoint, deployment.aws_endpoint),
        "AWS_ENDPOINT_URL_CLOUDFORMATION": deployment.aws_endpoint,
        **flags,
    }
    service = LambdaService(
        function=deployment.function,
        name=f"{STACK}-Guard-{uuid.uuid4().hex[:8]}",
        site=deployment.site,
        environment=environment,
        timeout_seconds=deployment.function.timeout_seconds,
    )
    invocation = service.invoke_async(deployment.scheduled_event())
    service.wait_idle()
    assert not invocation.killed, invocation.output
    assert "Traceback" not in invocation.output, invocation.output
    return invocation.output


def metrics_of(log: str) -> dict[str, Any]:
    (line,) = [json.loads(line) for line in log.splitlines() if line.startswith('{"_aws"')]
    return dict(line)


def entries(log: str, action: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith('{"RunningModelGuard"')]
    return [entry for entry in lines if entry["RunningModelGuard"] == action]


def stops(fake: FakeRekognition) -> list[str]:
    return [call.params["ProjectVersionArn"] for call in fake.calls if call.operation == "StopProjectVersion"]


COUNTS = ("ForgottenModels", "UnmanagedModels", "ForgottenInferenceUnits", "ModelsStopped")


def test_the_example_guard_stops_the_forgotten_model_only_and_prints_its_metrics(
    deployment: GuardDeployment, account: tuple[Account, str]
) -> None:
    assert deployment.function.environment == {"GUARD_STOP_FORGOTTEN": "true", "GUARD_STOP_UNMANAGED": "false"}
    world, endpoint = account
    log = run_guard(deployment, endpoint)
    assert stops(world.fake) == [world.arns["forgotten"]]
    assert world.fake.tags(world.arns["forgotten"]) == USER_TAG, "the stale registration goes, the user's tag stays"
    assert world.fake.running_models() == [world.arns["declared"], world.arns["unmanaged"]]
    assert world.fake.denials == [], "the guard role's policy allows every call it made"
    line = metrics_of(log)
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "RekognitionRunningModel"
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [[]]
    assert [line[name] for name in COUNTS] == [1, 1, 2, 1]
    assert line["ScheduledTime"] == SCHEDULED_TIME
    (stopped,) = entries(log, "stopped")
    assert stopped["ModelVersionArn"] == world.arns["forgotten"]
    assert stopped["Reason"].startswith("FORGOTTEN: billed, and every owner is stale (Gone-")


def test_a_guard_that_may_not_stop_only_reads(deployment: GuardDeployment, account: tuple[Account, str]) -> None:
    world, endpoint = account
    log = run_guard(deployment, endpoint, GUARD_STOP_FORGOTTEN="false", GUARD_STOP_UNMANAGED="false")
    reads = {"DescribeProjects", "DescribeProjectVersions", "ListTagsForResource"}
    assert {call.operation for call in world.fake.calls} == reads
    assert [line for line in (metrics_of(log)[name] for name in COUNTS)] == [1, 1, 2, 0]
    assert sorted(entry["ModelVersionArn"] for entry in entries(log, "found")) == sorted(
        [world.arns["forgotten"], world.arns["unmanaged"]]
    )


def test_a_guard_that_may_stop_both_stops_the_unmanaged_model_too(
    deployment: GuardDeployment, account: tuple[Account, str]
) -> None:
    world, endpoint = account
    log = run_guard(deployment, endpoint, GUARD_STOP_UNMANAGED="true")
    assert sorted(stops(world.fake)) == sorted([world.arns["forgotten"], world.arns["unmanaged"]])
    assert world.fake.running_models() == [world.arns["declared"]]
    assert metrics_of(log)["ModelsStopped"] == 2
