"""The real-account integration test (integ/, `make integ`) as far as it runs here: offline.

Its committed snapshot must be what the integ app synthesizes now; `make integ` without an account
must refuse and say what it needs, and so must it when the account is not ready (Rekognition, STS
and SSM stood in by the fake Rekognition and moto); the check after destroy must tell STOPPED apart.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from support.fakes.aws import moto_server
from support.fakes.rekognition import RUNNING, STOPPED, FakeRekognition
from support.paths import ROOT

INTEG = ROOT / "integ"
RUN = INTEG / "run.py"
SNAPSHOT = INTEG / "integ_running_model.py.snapshot"
REFRESH = "make integ-snapshot"
ARN_VARIABLE = "RUNNING_MODEL_INTEG_ARN"
MOTO_ACCOUNT = "123456789012"  # the account moto's STS answers with
VERSION_ARN = f"arn:aws:rekognition:eu-west-1:{MOTO_ACCOUNT}:project/widgets/version/widgets.1/1767607200000"


def integ_module(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A module of integ/, imported as its scripts import each other (integ/ on sys.path)."""
    monkeypatch.syspath_prepend(str(INTEG))
    spec = importlib.util.spec_from_file_location(name, INTEG / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def without_aws(empty: Path) -> dict[str, str]:
    """This environment with no way to AWS credentials: no AWS_ variable, no AWS config or credentials
    file (``empty`` holds none), no instance metadata."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MAKE", "MFLAGS")) and k != ARN_VARIABLE}
    env.update(
        AWS_CONFIG_FILE=str(empty / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(empty / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def on_stand_ins(empty: Path, rekognition: str, aws: str | None = None) -> dict[str, str]:
    """Credentials that work against the stand-ins: the fake Rekognition and, given, moto for STS and SSM."""
    env = {
        **without_aws(empty),
        "HOME": str(empty),
        ARN_VARIABLE: VERSION_ARN,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_REKOGNITION": rekognition,
    }
    if aws:
        env.update(AWS_ENDPOINT_URL_STS=aws, AWS_ENDPOINT_URL_SSM=aws)
    return env


@pytest.fixture
def rekognition() -> Iterator[tuple[FakeRekognition, str]]:
    fake = FakeRekognition()
    with fake.serve() as url:
        yield fake, url


def run_integ(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *arguments], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_the_snapshot_is_what_the_integ_app_synthesizes(tmp_path: Path) -> None:
    """Fails when the construct, the handler (its asset hash), cdk.json or the integ app changed."""
    result = run_integ("check", env=without_aws(tmp_path))
    assert result.returncode == 0, (
        f"{result.stdout}{result.stderr}\n"
        f"The committed integration-test snapshot is stale: refresh it with `{REFRESH}`, review and commit it."
    )


def test_the_check_shows_what_differs_and_how_to_refresh(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT, snapshot)
    template_file = snapshot / "RunningModelInteg.template.json"
    template = json.loads(template_file.read_text())
    (model,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::RekognitionRunningModel"]
    real_arn = model["Properties"]["ProjectVersionArn"]
    stale_arn = "arn:aws:rekognition:eu-west-1:111122223333:project/p/version/v/1"
    model["Properties"]["ProjectVersionArn"] = stale_arn
    template_file.write_text(json.dumps(template))

    result = run_integ("check", "--snapshot", str(snapshot), env=without_aws(tmp_path))

    assert result.returncode == 1, result.stdout + result.stderr
    assert f'-    "ProjectVersionArn": "{stale_arn}"' in result.stdout
    assert f'+    "ProjectVersionArn": "{real_arn}"' in result.stdout
    assert REFRESH in result.stderr


@pytest.mark.parametrize(
    ("arn", "region"),
    [
        (None, "<region>"),
        ("arn:aws:rekognition:ap-southeast-2:111122223333:project/p/version/p.1/1767607200000", "ap-southeast-2"),
    ],
    ids=["no variable", "variable, no credentials"],
)
def test_make_integ_without_an_account_says_what_it_needs(arn: str | None, region: str, tmp_path: Path) -> None:
    env = {**without_aws(tmp_path), "HOME": str(tmp_path)}  # nothing of ~/.aws either (SSO caches...)
    if arn:
        env[ARN_VARIABLE] = arn
    # -o: use the installed environment as it is; this test must not install anything.
    prerequisites = [f"{ROOT}/.venv/.runtime", f"{ROOT}/.venv/.dev", "node_modules/.installed"]
    command = ["make", "--no-print-directory", *[f"--assume-old={p}" for p in prerequisites], "integ"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr

    assert result.returncode != 0, output
    assert "AWS credentials: none found" in output
    assert (f"{ARN_VARIABLE} is not set" in output) == (arn is None)
    assert f"Region: {region}" in output
    for permission in ("sts:AssumeRole", "rekognition:DescribeProjects", "rekognition:DescribeProjectVersions"):
        assert permission in output
    assert "Deploying" not in output


def test_the_snapshot_declares_the_example_model_and_a_deploy_the_given_one(monkeypatch: pytest.MonkeyPatch) -> None:
    model_under_test = integ_module("model_under_test", monkeypatch)
    given = "arn:aws:rekognition:us-east-1:444455556666:project/cats/version/cats.1/1767607200001"

    snapshot = model_under_test.for_synthesis({"CDK_INTEG_ACCOUNT": "12345678", ARN_VARIABLE: given})
    deployed = model_under_test.for_synthesis({ARN_VARIABLE: given})

    assert snapshot.arn == model_under_test.EXAMPLE_ARN
    assert (deployed.arn, deployed.region, deployed.project, deployed.version) == (given, "us-east-1", "cats", "cats.1")
    with pytest.raises(ValueError, match=f"{ARN_VARIABLE} is not set"):
        model_under_test.for_synthesis({})
    with pytest.raises(ValueError, match="expected a model version ARN"):
        model_under_test.for_synthesis({ARN_VARIABLE: "arn:aws:rekognition:us-east-1:444455556666:project/cats/1"})


def test_assertion_results_are_read_as_integ_runner_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The assertion stack's outputs: a JSON status per assertion; a failure's message may span lines."""
    run = integ_module("run", monkeypatch)
    outputs = tmp_path / "assertion-results.json"
    failed = '{"status":"fail","message":"Expected RUNNING\nActual STARTING"}'
    outputs.write_text(
        json.dumps({"Assert": {"AssertionResultsA": '{"status":"success"}', "AssertionResultsB": failed, "Other": "x"}})
    )

    assert run.assertion_failures(outputs, "Assert") == ["AssertionResultsB: Expected RUNNING\nActual STARTING"]
    assert run.assertion_failures(outputs, "Missing") == ["Missing reported no assertion results"]
    assert run.assertion_failures(tmp_path / "absent.json", "Assert") == ["Assert reported no assertion results"]


@pytest.mark.parametrize(
    ("arn", "status", "problems"),
    [
        (
            VERSION_ARN,
            RUNNING,
            [
                f"{VERSION_ARN} is RUNNING; the test needs it TRAINING_COMPLETED or COPYING_COMPLETED or STOPPED",
                f"aws://{MOTO_ACCOUNT}/eu-west-1 is not bootstrapped for the CDK",
            ],
        ),
        (
            VERSION_ARN.replace(MOTO_ACCOUNT, "111122223333"),
            STOPPED,
            [f"the credentials are for account {MOTO_ACCOUNT}; the model version is in 111122223333"],
        ),
    ],
    ids=["a running model, no bootstrap", "another account"],
)
def test_make_integ_refuses_an_account_that_is_not_ready(
    arn: str, status: str, problems: list[str], rekognition: tuple[FakeRekognition, str], tmp_path: Path
) -> None:
    """Above all, a model that already runs: the test would stop it, whoever else needs it."""
    fake, rekognition_url = rekognition
    fake.add_model(arn, status=status)
    with moto_server() as aws:
        result = run_integ("deploy", env={**on_stand_ins(tmp_path, rekognition_url, aws), ARN_VARIABLE: arn})

    assert result.returncode == 2, result.stdout + result.stderr
    for problem in problems:
        assert f"  - {problem}" in result.stderr
    assert result.stderr.count("  - ") == len(problems), result.stderr
    assert "Deploying" not in result.stdout


def test_the_check_after_destroy_passes_on_a_stopped_model_only(
    rekognition: tuple[FakeRekognition, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The committed test case's postDestroy hook, run as `make integ` runs it."""
    fake, rekognition_url = rekognition
    run = integ_module("run", monkeypatch)
    (case,) = json.loads((SNAPSHOT / "integ.json").read_text())["testCases"].values()
    env = on_stand_ins(tmp_path, rekognition_url)

    fake.add_model(VERSION_ARN, status=STOPPED)
    assert run.post_destroy(case, env) == []

    fake.set_status(VERSION_ARN, RUNNING)
    assert run.post_destroy(case, env) == ["after destroy, `python check_stopped.py` failed"]
    assert f"after destroy, {VERSION_ARN} is RUNNING, not STOPPED" in capfd.readouterr().err
