"""Fixtures of the end-to-end suite (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import FAST, SLOW, Deployment, World, make_world
from lambda_runtime import CLOCK_DISTRIBUTIONS, runtime_site, synthesize
from support.fakes.aws import moto_server


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The example app synthesized once per test process; moto; a boto3-only runtime."""
    function = synthesize(tmp_path_factory.mktemp("cdk.out"))
    site = runtime_site(tmp_path_factory.mktemp("runtime"))
    clock_site = runtime_site(tmp_path_factory.mktemp("clock"), CLOCK_DISTRIBUTIONS)
    with moto_server() as endpoint:
        yield Deployment(function, site, endpoint, clock_site)


@pytest.fixture
def e2e_world(deployment: Deployment, tmp_path: Path) -> Iterator[World]:
    """A world on the compressed clock (one minute = ``FAST`` seconds)."""
    yield from make_world(deployment, tmp_path, FAST)


@pytest.fixture
def slow_world(deployment: Deployment, tmp_path: Path) -> Iterator[World]:
    """A world on a less compressed clock (one minute = ``SLOW`` seconds)."""
    yield from make_world(deployment, tmp_path, SLOW)
