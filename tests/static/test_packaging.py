"""The library as users get it: a wheel installed into a fresh virtual environment outside the repo,
used by a CDK app of its own, finds and bundles its handler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import rekognition_running_model
from rekognition_running_model import bundling

from support.paths import ROOT

BIN = Path(sys.executable).parent
# What a build needs: the rest of the repo (tests, cdk.json, app.py...) is not part of the library.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "constructs", "lambda")
STACK = "AdoptedModels"
USER_APP = """\
import aws_cdk as cdk
import rekognition_running_model
from rekognition_running_model import RunningModel

app = cdk.App()
stack = cdk.Stack(app, "AdoptedModels")
RunningModel(
    stack,
    "Detector",
    project_version_arn="arn:aws:rekognition:us-west-2:444455556666:project/parts/version/parts.v3/1767607200000",
)
app.synth()
print(rekognition_running_model.__file__)
"""


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the build inputs (setuptools writes build/ and *.egg-info beside them), offline."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copyfile(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--wheel-dir", str(dist), str(source)],
        cwd=source,
    )
    (built,) = dist.glob("rekognition_running_model-*.whl")
    return built


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> tuple[Path, str]:
    """A fresh venv with the wheel installed, its other packages borrowed from ours (no network);
    a CDK app in its own directory synthesized with it. Returns cdk.out and what the app printed."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv)
    python = venv / "bin" / "python"
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv).strip()
    )
    # Our aws-cdk-lib, constructs, jsii and crhelper, after the venv's own site-packages.
    (site_packages / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index"]
        + [str(wheel)],
        cwd=venv,
    )
    app = tmp_path_factory.mktemp("user-app")
    (app / "app.py").write_text(USER_APP)
    env = {
        key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "VIRTUAL_ENV", "CDK_CONTEXT_JSON"}
    }
    # jsii runs on the first node on PATH: Node 24 from our venv's bin.
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "CDK_OUTDIR": str(app / "cdk.out")}
    printed = run([str(python), "-I", "app.py"], cwd=app, env=env)
    return app / "cdk.out", printed


def test_the_wheel_holds_the_library_and_the_handler_and_nothing_else(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_levels = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_levels == {"rekognition_running_model"}
    assert "rekognition_running_model/py.typed" in names
    handler_files = sorted(
        name.removeprefix("rekognition_running_model/handler_src/")
        for name in names
        if name.startswith("rekognition_running_model/handler_src/")
    )
    assert handler_files == sorted(
        str(path.relative_to(ROOT / "lambda"))
        for path in (ROOT / "lambda").rglob("*.py")
        if "__pycache__" not in path.parts
    )


def test_the_wheel_declares_bounded_dependencies_crhelper_pinned_without_node(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    assert metadata["Name"] == "rekognition-running-model"
    requirements = sorted(metadata.get_all("Requires-Dist") or [])
    assert requirements == [
        "aws-cdk-lib<3,>=2.275",
        "boto3<2,>=1.35",
        "constructs<11,>=10",
        "crhelper==2.0.12",
        "croniter<8,>=7",
    ]


def test_the_wheel_carries_the_apache_license(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
        (license_name,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        license_text = archive.read(license_name).decode()
    assert metadata["License-Expression"] == "Apache-2.0"
    assert license_text == (ROOT / "LICENSE").read_text() and "Apache License\n" in license_text


def test_the_installed_library_comes_from_the_new_venv(adopted: tuple[Path, str]) -> None:
    _, printed = adopted
    location = Path(printed.strip().splitlines()[-1])
    assert "site-packages" in location.parts and not location.is_relative_to(ROOT), location


def test_the_installed_library_bundles_its_handler_with_crhelper(adopted: tuple[Path, str]) -> None:
    outdir, _ = adopted
    template = json.loads((outdir / f"{STACK}.template.json").read_text())
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    manifest = json.loads((outdir / f"{STACK}.assets.json").read_text())
    (source,) = [
        entry["source"]["path"]
        for entry in manifest["files"].values()
        if any(d["objectKey"] == function["Properties"]["Code"]["S3Key"] for d in entry["destinations"].values())
    ]
    asset = outdir / source
    files = {str(path.relative_to(asset)) for path in asset.rglob("*") if path.is_file()}
    assert "index.py" in files
    assert {f"running_model/{p.name}" for p in (ROOT / "lambda" / "running_model").glob("*.py")} <= files
    assert "crhelper/resource_helper.py" in files and "crhelper/__init__.py" in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


def test_in_the_repo_the_handler_is_found_in_lambda() -> None:
    assert bundling.handler_source() == ROOT / "lambda"


def test_a_missing_handler_source_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bundling, "HANDLER_SOURCE_CANDIDATES", (tmp_path / "a", tmp_path / "b"))
    with pytest.raises(FileNotFoundError, match="looked for index.py in .*/a and .*/b"):
        bundling.handler_source()


def test_every_public_name_is_documented_in_the_readme_and_the_changelog() -> None:
    """What the package exports is what users read about, and each addition is recorded."""
    readme = (ROOT / "README.md").read_text()
    changelog = (ROOT / "CHANGELOG.md").read_text()
    missing = [
        (name, where)
        for name in rekognition_running_model.__all__
        for where, text in (("README.md", readme), ("CHANGELOG.md", changelog))
        if f"`{name}" not in text
    ]
    assert missing == []
