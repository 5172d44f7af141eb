"""What the command's tests share: moto's CloudFormation and the fake Rekognition, which the command
reaches through the standard endpoint variables with made-up credentials, and the command run in-process."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from rekognition_running_model.cli.main import main

from support.account import REGION, FakeAccount
from support.cli import Ran
from support.fakes.aws import CREDENTIALS, moto_server
from support.fakes.rekognition import FakeRekognition


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def account(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeAccount]:
    """An empty account (moto reset, a new fake Rekognition), and the environment that points the command
    at it: endpoints, made-up credentials, region eu-west-1, no configuration files, no instance metadata."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    fake = FakeRekognition()
    with fake.serve() as rekognition_endpoint:
        for name in [name for name in os.environ if name.startswith(("AWS_", "NO_COLOR"))]:
            monkeypatch.delenv(name)
        environment = {
            "AWS_ENDPOINT_URL_REKOGNITION": rekognition_endpoint,
            "AWS_ENDPOINT_URL_CLOUDFORMATION": moto_endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        cloudformation = boto3.client("cloudformation", region_name=REGION, endpoint_url=moto_endpoint, **CREDENTIALS)
        yield FakeAccount(fake, cloudformation)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Runs ``main(argv, session=...)`` in this process: ``cli("status", "--json")`` gives a Ran."""

    def run(*argv: str, session: Any = None) -> Ran:
        code = main(list(argv), session=session)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run
