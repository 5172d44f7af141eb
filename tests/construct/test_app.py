"""The example app as `make synth` runs it: from the repo root, into cdk.out, linted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.paths import ROOT

BIN = Path(sys.executable).parent
STACK = "RunningModelExample"


def synth(outdir: Path, *context: str) -> dict[str, Any]:
    """Run app.py as the CDK CLI does (CDK_OUTDIR, CDK_CONTEXT_JSON) and return the template."""
    values = dict(item.split("=", 1) for item in context)
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(values)}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stderr, "jsii ran on an unsupported Node.js"
    return json.loads((outdir / f"{STACK}.template.json").read_text())


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    return outdir, synth(outdir)


def handler_asset(outdir: Path, template: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """The handler function and the directory of its asset, found through the assets manifest."""
    (function,) = resources_of(template, "AWS::Lambda::Function").values()
    manifest = json.loads((outdir / f"{STACK}.assets.json").read_text())
    key = function["Properties"]["Code"]["S3Key"]
    (source,) = [
        entry["source"]["path"]
        for entry in manifest["files"].values()
        if any(destination["objectKey"] == key for destination in entry["destinations"].values())
    ]
    return outdir / source, function


def resources_of(template: dict[str, Any], type_name: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def test_the_example_app_synthesizes_its_example_model(example: tuple[Path, dict[str, Any]]) -> None:
    _, template = example
    (model,) = resources_of(template, "Custom::RekognitionRunningModel").values()
    assert "project/example-widgets/version/" in model["Properties"]["ProjectVersionArn"]
    assert set(template["Outputs"]) == {"ExampleModelArn", "ExampleModelStatus"}


def test_the_handler_asset_holds_the_handler_and_crhelper_and_nothing_lambda_provides(
    example: tuple[Path, dict[str, Any]],
) -> None:
    asset, _ = handler_asset(*example)
    files = sorted(str(path.relative_to(asset)) for path in asset.rglob("*") if path.is_file())
    assert "index.py" in files
    assert "running_model/lifecycle.py" in files and "running_model/decision.py" in files
    assert "crhelper/resource_helper.py" in files and "crhelper/LICENSE" in files
    assert not [f for f in files if f.split("/")[0] in {"boto3", "botocore", "s3transfer", "urllib3"}]
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]


def test_the_asset_imports_with_its_own_crhelper(example: tuple[Path, dict[str, Any]]) -> None:
    """Import index.handler as Lambda would: the asset first on sys.path, boto3 from the runtime."""
    asset, function = handler_asset(*example)
    module, _, attribute = function["Properties"]["Handler"].partition(".")
    probe = (
        f"import sys; sys.path.insert(0, {str(asset)!r}); import {module}, crhelper; "
        f"assert callable({module}.{attribute}); print(crhelper.__file__)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe], cwd="/", env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(asset))


def test_cfn_lint_finds_nothing(example: tuple[Path, dict[str, Any]]) -> None:
    outdir, _ = example
    result = subprocess.run(
        [str(BIN / "cfn-lint"), "--", str(outdir / f"{STACK}.template.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_models_come_from_context(tmp_path: Path) -> None:
    arn = "arn:aws:rekognition:us-east-1:111122223333:project/p/version/v/1"
    template = synth(
        tmp_path, f"project_version_arn={arn}", "min_inference_units=2", "max_inference_units=3", "timeout_minutes=20"
    )
    (model,) = resources_of(template, "Custom::RekognitionRunningModel").values()
    assert model["Properties"]["ProjectVersionArn"] == arn
    assert (model["Properties"]["MinInferenceUnits"], model["Properties"]["MaxInferenceUnits"]) == (2, 3)
    assert model["Properties"]["ServiceTimeout"] == "1200"


def test_a_bad_context_value_is_named() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from app import _typed
    finally:
        sys.path.remove(str(ROOT))
    with pytest.raises(ValueError, match="min_inference_units: received 'two'; expected a whole number"):
        _typed({"project_version_arn": "x", "min_inference_units": "two"}, 0)
    with pytest.raises(ValueError, match=r"models\[3\]: unknown keys \['units'\]"):
        _typed({"project_version_arn": "x", "units": 2}, 3)
    with pytest.raises(ValueError, match="min_f1_score: received 'high'; expected a number"):
        _typed({"project_version_arn": "x", "min_f1_score": "high"}, 0)
    assert _typed({"project_version_arn": "x", "min_f1_score": "0.9"}, 0)["min_f1_score"] == 0.9


def test_importing_from_the_repo_root_does_not_shadow_the_constructs_package() -> None:
    """constructs/ is a source root; with an __init__.py it would hide the pip package aws-cdk-lib needs."""
    assert not (ROOT / "constructs" / "__init__.py").exists()
    probe = "import constructs, aws_cdk; print(constructs.__file__); assert constructs.Construct"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout
