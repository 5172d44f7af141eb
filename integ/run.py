#!/usr/bin/env python3
"""The integration test's commands: ``make integ``, ``make integ-snapshot`` and the snapshot check.

    python integ/run.py check      does the integ app still synthesize what the snapshot holds?
    python integ/run.py snapshot   rewrite the snapshot from the integ app (offline, nothing deployed)
    python integ/run.py deploy     check what a real run needs, then deploy, assert and destroy

This does what integ-runner would do with integ_running_model.py, whose integ-tests-alpha manifest
(integ.json: the stacks, the assertion stack, the hooks) it follows. integ-runner itself cannot:
its latest release, 2.197.10, reads cloud assemblies up to schema 53, and aws-cdk-lib 2.275 writes
schema 55. The deploy goes through the CDK CLI pinned in package.json instead.

check and snapshot need neither AWS credentials nor network: they only synthesize, and the app then
declares the example model (model_under_test.py).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from model_under_test import ARN_VARIABLE, SNAPSHOT_MARKER, ModelVersion, parse

ROOT = Path(__file__).resolve().parents[1]
INTEG = ROOT / "integ"
APP = INTEG / "integ_running_model.py"
SNAPSHOT = INTEG / "integ_running_model.py.snapshot"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
# The assembly a real run deploys from; kept (cdk.out/ is ignored by git) to destroy by hand if needed.
DEPLOYED = ROOT / "cdk.out" / "integ"
REFRESH_COMMAND = "make integ-snapshot"
# integ-runner's stand-ins for the syntheses it snapshots (runner-base.ts, DEFAULT_SYNTH_OPTIONS).
SNAPSHOT_ENV = {SNAPSHOT_MARKER: "12345678", "CDK_INTEG_REGION": "test-region"}
# integ-tests-alpha stamps every assertion with the synthesis time, so that each deploy runs it again.
SALT_TYPE_PREFIX = "Custom::DeployAssert@"
SALT_PLACEHOLDER = "<synthesis time, left out of the snapshot>"
# The statuses a version can be started from; anything else is refused before deploying.
STARTABLE = ("TRAINING_COMPLETED", "COPYING_COMPLETED", "STOPPED")
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"


def shown(path: Path) -> str:
    """``path`` as messages show it: from the repository root when it lies inside."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class SynthesisError(Exception):
    """The integ app did not synthesize."""


def synthesize(outdir: Path, environ: Mapping[str, str]) -> Path:
    """Run the integ app as the CDK CLI does, with this repository's feature flags (cdk.json)."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    env = {**environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}
    result = subprocess.run([sys.executable, str(APP)], cwd=INTEG, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SynthesisError(f"{shown(APP)} failed to synthesize:\n{result.stderr}")
    return outdir


def offline_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` as integ-runner's snapshot syntheses see it, without any AWS setting."""
    env = {key: value for key, value in environ.items() if not key.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return {**env, **SNAPSHOT_ENV}


def snapshot_of(assembly: Path) -> dict[str, Any]:
    """What the snapshot holds of an assembly: integ.json and the templates, without the salts."""
    files: dict[str, Any] = {"integ.json": json.loads((assembly / "integ.json").read_text())}
    for template in sorted(assembly.glob("*.template.json")):
        content = json.loads(template.read_text())
        for resource in content.get("Resources", {}).values():
            if resource.get("Type", "").startswith(SALT_TYPE_PREFIX) and "salt" in resource.get("Properties", {}):
                resource["Properties"]["salt"] = SALT_PLACEHOLDER
        files[template.name] = content
    return files


def read_snapshot(snapshot: Path) -> dict[str, Any]:
    """The committed snapshot's files, parsed (none when the directory is missing)."""
    return {path.name: json.loads(path.read_text()) for path in sorted(snapshot.glob("*.json"))}


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> str:
    """A unified diff per file that differs (keys sorted, so that only content counts)."""

    def lines(content: Any) -> list[str]:
        return json.dumps(content, indent=1, sort_keys=True).splitlines() if content is not None else []

    chunks: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        before, after = expected.get(name), actual.get(name)
        if before != after:
            diff = difflib.unified_diff(lines(before), lines(after), f"snapshot/{name}", f"synthesized/{name}", n=2)
            chunks.extend(line.rstrip("\n") for line in diff)
    return "\n".join(chunks)


def check(snapshot: Path) -> int:
    """Compare a fresh synthesis with ``snapshot``; print the diff and the refresh command if they differ."""
    with tempfile.TemporaryDirectory(prefix="integ-snapshot-") as outdir:
        actual = snapshot_of(synthesize(Path(outdir), offline_environment()))
    diff = differences(read_snapshot(snapshot), actual)
    if not diff:
        print(f"The integration test's snapshot is current ({shown(snapshot)}).")
        return 0
    print(diff)
    print(
        f"\nThe integration test's snapshot ({shown(snapshot)}) no longer matches what "
        f"{shown(APP)} synthesizes (diff above).\nRefresh it with `{REFRESH_COMMAND}`, review the diff "
        "and commit it.",
        file=sys.stderr,
    )
    return 1


def refresh(snapshot: Path) -> int:
    """Rewrite ``snapshot`` from a fresh synthesis."""
    with tempfile.TemporaryDirectory(prefix="integ-snapshot-") as outdir:
        files = snapshot_of(synthesize(Path(outdir), offline_environment()))
    unchanged = read_snapshot(snapshot) == files
    shutil.rmtree(snapshot, ignore_errors=True)
    snapshot.mkdir(parents=True)
    for name, content in files.items():
        (snapshot / name).write_text(json.dumps(content, indent=1) + "\n")
    state = "unchanged" if unchanged else "rewritten: review it with `git diff` and commit it"
    print(f"{shown(snapshot)}: {len(files)} files, {state}.")
    return 0


def needs(version: ModelVersion | None) -> str:
    """What a real run needs, with the region and account of ``version`` when known."""
    region = version.region if version else "<region>"
    account = version.account if version else "<account>"
    return f"""\
What `make integ` needs:
  {ARN_VARIABLE}  the model version to test, in your account:
      arn:aws:rekognition:<region>:<account>:project/<name>/version/<version>/<timestamp>
      a trained version that nothing runs (STOPPED, TRAINING_COMPLETED or COPYING_COMPLETED): the
      test starts it, asserts RUNNING, destroys the stacks and asserts STOPPED.
  AWS credentials for account {account}, found the usual way (AWS_PROFILE, AWS_ACCESS_KEY_ID and
      AWS_SECRET_ACCESS_KEY [and AWS_SESSION_TOKEN], an SSO login, a role of the machine).
  Region: {region}, the model version's own (from its ARN): the stacks deploy there. It must be
      bootstrapped for the CDK: npx cdk bootstrap aws://{account}/{region}
  IAM permissions of those credentials:
      sts:AssumeRole on arn:aws:iam::{account}:role/cdk-hnb659fds-*-{account}-{region} (the bootstrap's
        deploy, file-publishing and lookup roles: through them CloudFormation creates the stacks'
        IAM roles, Lambda functions, log groups, EventBridge rules and custom resources)
      sts:GetCallerIdentity, and ssm:GetParameter on {BOOTSTRAP_VERSION_PARAMETER}
      rekognition:DescribeProjects and rekognition:DescribeProjectVersions (the checks before the
        deploy and after the destroy)
Time and cost: the deploy waits until the model runs and the destroy until it has stopped (up to
  60 minutes each); Rekognition bills 1 inference unit per hour while the model runs."""


def missing(environ: Mapping[str, str]) -> tuple[list[str], ModelVersion | None]:
    """What stops a real run before any network call: the variable and the credentials."""
    problems = []
    version = None
    arn = environ.get(ARN_VARIABLE, "").strip()
    if not arn:
        problems.append(f"{ARN_VARIABLE} is not set")
    else:
        try:
            version = parse(arn)
        except ValueError as error:
            problems.append(str(error))
    problems.extend(credential_problems())
    return problems, version


def credential_problems() -> list[str]:
    """botocore's credential chain, which the CDK CLI follows too; none found is a problem."""
    import botocore.exceptions
    import botocore.session

    try:
        credentials = botocore.session.Session().get_credentials()
    except botocore.exceptions.BotoCoreError as error:
        return [f"AWS credentials: {error}"]
    return [] if credentials is not None else ["AWS credentials: none found"]


def account_problems(version: ModelVersion) -> list[str]:
    """The checks that need the account: whose credentials, the version's status, the bootstrap."""
    import boto3
    import botocore.exceptions
    from model_status import status_of

    session = boto3.Session(region_name=version.region)
    try:
        account = session.client("sts").get_caller_identity()["Account"]
        if account != version.account:
            return [f"the credentials are for account {account}; the model version is in {version.account}"]
        status = status_of(version, session)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        return [f"AWS: {error}"]
    problems = []
    if status not in STARTABLE:
        problems.append(
            f"{version.arn} is {status}; the test needs it {' or '.join(STARTABLE)} "
            "(it stops the model at the end, whoever else runs it)"
        )
    try:
        session.client("ssm").get_parameter(Name=BOOTSTRAP_VERSION_PARAMETER)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            print(f"Could not check the CDK bootstrap ({error}); going on.", file=sys.stderr)
        else:
            problems.append(f"aws://{version.account}/{version.region} is not bootstrapped for the CDK")
    return problems


def cdk(arguments: Sequence[str], assembly: Path, env: Mapping[str, str]) -> int:
    """The pinned CDK CLI on an already synthesized assembly, its output going straight to ours."""
    command = [str(CDK), "--app", str(assembly), *arguments]
    return subprocess.run(command, cwd=ROOT, env=dict(env), check=False).returncode


def assertion_failures(outputs_file: Path, stack_name: str) -> list[str]:
    """The failed assertions among the assertion stack's outputs, as integ-runner reads them."""
    outputs = json.loads(outputs_file.read_text()).get(stack_name, {}) if outputs_file.exists() else {}
    results = {
        key: json.loads(value, strict=False) for key, value in outputs.items() if key.startswith("AssertionResults")
    }
    if not results:
        return [f"{stack_name} reported no assertion results"]
    return [f"{key}: {result.get('message')}" for key, result in results.items() if result.get("status") != "success"]


def run_case(name: str, case: Mapping[str, Any], assembly: Path, env: Mapping[str, str]) -> list[str]:
    """Deploy a test case and its assertions, destroy both, then run its postDestroy hooks."""
    stacks = [*case["stacks"], *([case["assertionStack"]] if "assertionStack" in case else [])]
    failures = []
    try:
        if cdk(["deploy", *case["stacks"], "--require-approval", "never"], assembly, env) != 0:
            failures.append(f"{name}: the deploy failed")
        elif "assertionStack" in case:
            outputs = assembly / "assertion-results.json"
            # No rollback, as integ-runner: every assertion reports, whether or not another failed.
            deploy = ["deploy", case["assertionStack"], "--require-approval", "never", "--no-rollback"]
            if cdk([*deploy, "--outputs-file", str(outputs)], assembly, env) != 0:
                failures.append(f"{name}: the assertion stack failed to deploy")
            else:
                failures.extend(
                    f"{name}: {failure}" for failure in assertion_failures(outputs, case["assertionStackName"])
                )
    finally:
        if cdk(["destroy", *stacks, "--force"], assembly, env) != 0:
            failures.append(
                f"{name}: the destroy failed; remove what is left with: AWS_REGION={env['AWS_REGION']} "
                f"npx cdk destroy --app {shown(assembly)} --force {' '.join(stacks)}"
            )
        else:
            failures.extend(f"{name}: {failure}" for failure in post_destroy(case, env))
    return failures


def post_destroy(case: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """Run a test case's postDestroy hooks as integ-runner does (from integ/); a failing one is a failure."""
    failures = []
    for hook in case.get("hooks", {}).get("postDestroy", []):
        if subprocess.run(shlex.split(hook), cwd=INTEG, env=dict(env), check=False).returncode != 0:
            failures.append(f"after destroy, `{hook}` failed")
    return failures


def deploy(environ: Mapping[str, str] = os.environ) -> int:
    """A real run: what it needs first, then the snapshot, then each test case on the account."""
    problems, version = missing(environ)
    if not problems and version is not None:
        problems = account_problems(version)
    if problems or version is None:
        print("`make integ` cannot run:\n" + "".join(f"  - {p}\n" for p in problems), file=sys.stderr)
        print(needs(version), file=sys.stderr)
        return 2
    if not CDK.exists():
        print(f"{shown(CDK)} is missing: run `npm ci` (`make integ` does)", file=sys.stderr)
        return 2
    # Test what the committed snapshot describes, and find a stale one before the (billed) run.
    if check(SNAPSHOT) != 0:
        return 1
    env = {key: value for key, value in environ.items() if key not in SNAPSHOT_ENV}
    env.update(AWS_REGION=version.region, AWS_DEFAULT_REGION=version.region)
    shutil.rmtree(DEPLOYED, ignore_errors=True)
    synthesize(DEPLOYED, env)
    print(f"Deploying a RunningModel for {version.arn} in {version.region}: this starts the model.")
    cases = json.loads((DEPLOYED / "integ.json").read_text())["testCases"]
    failures = [failure for name, case in cases.items() for failure in run_case(name, case, DEPLOYED, env)]
    if failures:
        print("\nThe integration test FAILED:\n" + "".join(f"  - {f}\n" for f in failures), file=sys.stderr)
        return 1
    print(f"\nThe integration test passed: {version.arn} was RUNNING after the deploy and STOPPED after the destroy.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["check", "snapshot", "deploy"])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="the snapshot directory (check, snapshot)")
    arguments = parser.parse_args(argv)
    snapshot = arguments.snapshot.resolve()
    try:
        if arguments.action == "check":
            return check(snapshot)
        if arguments.action == "snapshot":
            return refresh(snapshot)
        return deploy()
    except SynthesisError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
