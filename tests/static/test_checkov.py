"""checkov finds nothing in the example app's template, nor with the handler's logs encrypted (examples/nag_checks.py),
nor beside a RunningModelGuard (examples/guard.py).

Each check the construct does not pass is skipped in its own resource's ``Metadata: checkov: skip``
with its reason, so users' own checkov runs pass too; compliance.py lists them all, and no
file-level skip is needed. A copy of each template without those skips shows that every one still
matches a real finding. checkov pins a boto3 other than requirements-dev.txt's: the Makefile
installs it in its own virtual environment, .venv/checkov, and this runs it once for all templates.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rekognition_running_model.compliance import GUARD_WAIVERS, GuardTarget, Target, checkov_skips
from rekognition_running_model.handler import RunningModelHandler

from support.paths import ROOT

CHECKOV = ROOT / ".venv" / "checkov" / "bin" / "checkov"
# name -> (the app that synthesizes it, its template, whether its handler's logs are encrypted)
TEMPLATES = {
    "example app": (ROOT / "app.py", "RunningModelExample.template.json", False),
    "log key": (ROOT / "examples" / "nag_checks.py", "Checked.template.json", True),
    "guard": (ROOT / "examples" / "guard.py", "Guarded.template.json", False),
}
# name -> the logical id prefix of the RunningModelGuard's resources in that template (its construct id)
GUARDS = {"guard": "Guard"}
GUARD_TYPES = {
    GuardTarget.FUNCTION: "AWS::Lambda::Function",
    GuardTarget.LOG_GROUP: "AWS::Logs::LogGroup",
    GuardTarget.POLICIES: "AWS::IAM::Policy",
}
TYPES = {
    Target.FUNCTION: "AWS::Lambda::Function",
    Target.LOG_GROUP: "AWS::Logs::LogGroup",
    Target.LEDGER: "AWS::DynamoDB::Table",
    Target.POLICIES: "AWS::IAM::Policy",
}
UNSKIPPED = " without skips"


@dataclass(frozen=True)
class Result:
    template: str
    check: str
    resource: str  # Type.LogicalId
    comment: str  # the skip's reason; empty for a failed check


def synthesize(app: Path, outdir: Path) -> None:
    """Run ``app`` as the CDK CLI does, with the library on the path as an installed one would be."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "PYTHONPATH": str(ROOT / "constructs")}
    env.pop("CDK_CONTEXT_JSON", None)
    result = subprocess.run([sys.executable, str(app)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def without_skips(template: dict[str, Any]) -> dict[str, Any]:
    resources = {}
    for logical_id, resource in template["Resources"].items():
        metadata = {key: value for key, value in resource.get("Metadata", {}).items() if key != "checkov"}
        resources[logical_id] = {**resource, "Metadata": metadata}
    return {**template, "Resources": resources}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict[str, Any]], list[Result], list[Result]]:
    """The templates by name, and checkov's failed and skipped checks over them and their copies without skips."""
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: `make test` installs it (the Makefile's $(VENV)/.dev)")
    scan = tmp_path_factory.mktemp("checkov")
    outdirs = {name: tmp_path_factory.mktemp("cdk.out") for name in TEMPLATES}
    with ThreadPoolExecutor() as pool:  # the apps synthesize in processes of their own
        list(pool.map(synthesize, [app for app, _, _ in TEMPLATES.values()], outdirs.values()))
    templates, files = {}, {}
    for name, (_, template_name, _) in TEMPLATES.items():
        templates[name] = json.loads((outdirs[name] / template_name).read_text())
        for variant, template in ((name, templates[name]), (name + UNSKIPPED, without_skips(templates[name]))):
            files[variant] = scan / f"{len(files)}.template.json"
            files[variant].write_text(json.dumps(template))
    arguments = [arg for path in files.values() for arg in ("--file", str(path))]
    result = subprocess.run(
        [CHECKOV, *arguments, "--framework", "cloudformation", "--skip-download", "--output", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: some check failed
    report = json.loads(result.stdout)
    assert report["summary"]["checkov_version"] == "3.3.30", report["summary"]
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    by_path = {str(path): variant for variant, path in files.items()}

    def results(kind: str) -> list[Result]:
        return sorted(
            (
                Result(
                    by_path[entry["file_abs_path"]],
                    entry["check_id"],
                    entry["resource"],
                    entry["check_result"].get("suppress_comment", ""),
                )
                for entry in report["results"][kind]
            ),
            key=lambda r: (r.template, r.check, r.resource),
        )

    return templates, results("failed_checks"), results("skipped_checks")


def expected_skips(name: str, template: dict[str, Any]) -> list[Result]:
    """compliance.py's checkov skips, on the handler's resources of ``template``."""
    _, _, log_key = TEMPLATES[name]
    handler = {
        target: [
            f"{resource['Type']}.{logical_id}"
            for logical_id, resource in template["Resources"].items()
            if logical_id.startswith(RunningModelHandler.ID) and resource["Type"] == TYPES[target]
        ]
        for target in Target
    }
    skips = [
        Result(name, check, resource, reason)
        for target, check, reason in checkov_skips(log_key=log_key)
        for resource in handler[target]
    ]
    if name in GUARDS:
        guard = {
            target: [
                f"{resource['Type']}.{logical_id}"
                for logical_id, resource in template["Resources"].items()
                if logical_id.startswith(GUARDS[name]) and resource["Type"] == GUARD_TYPES[target]
            ]
            for target in GuardTarget
        }
        skips += [
            Result(name, check, resource, reason)
            for target, check, reason in checkov_skips(log_key=log_key, waivers=GUARD_WAIVERS)
            for resource in guard[target]
        ]
    return skips


def test_checkov_finds_nothing_that_is_not_skipped(scanned: tuple[Any, list[Result], list[Result]]) -> None:
    _, failed, _ = scanned
    assert [result for result in failed if result.template in TEMPLATES] == []


def test_the_skips_are_those_compliance_py_lists_on_the_handlers_own_resources(
    scanned: tuple[dict[str, dict[str, Any]], list[Result], list[Result]],
) -> None:
    templates, _, skipped = scanned
    expected = [skip for name, template in templates.items() for skip in expected_skips(name, template)]
    assert expected, "the construct skips some checks"
    key = lambda r: (r.template, r.check, r.resource)  # noqa: E731
    assert sorted(skipped, key=key) == sorted(expected, key=key)


def test_every_skip_matches_a_real_finding(scanned: tuple[Any, list[Result], list[Result]]) -> None:
    """Without the skips, checkov reports exactly the skipped checks: none is stale, none is missing."""
    _, failed, skipped = scanned
    unskipped = {(r.template.removesuffix(UNSKIPPED), r.check, r.resource) for r in failed if UNSKIPPED in r.template}
    assert unskipped == {(r.template, r.check, r.resource) for r in skipped}


def test_the_log_key_fixes_the_log_group_finding(scanned: tuple[Any, list[Result], list[Result]]) -> None:
    _, _, skipped = scanned
    log_group_skips = {(r.template, r.check) for r in skipped if r.resource.startswith("AWS::Logs::LogGroup.")}
    assert log_group_skips == {("example app", "CKV_AWS_158"), ("guard", "CKV_AWS_158")}
