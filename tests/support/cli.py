"""For the ``running-model`` command's tests (tests/cli): what a run gave, a session whose CloudFormation
denies access, the golden outputs, and the account the golden table shows."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from support.account import FakeAccount, access_denied, version_arn
from support.paths import ROOT

GOLDEN = ROOT / "tests" / "cli" / "golden"
UPDATE_GOLDEN = "RUNNING_MODEL_UPDATE_GOLDEN"
# The account's stack whose CloudFormation lookups the denying session answers with AccessDenied.
GUARDED_STACK = "Guarded"


_PROGRESS = re.compile(r"read \d+ versions?…")


@dataclass(frozen=True)
class Ran:
    """What one run of the command gave: its exit status, stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """stderr without its progress lines (a busy machine may take a second to list)."""
        return "".join(line for line in self.err.splitlines(keepends=True) if not _PROGRESS.fullmatch(line.rstrip()))


def only_progress(err: str) -> bool:
    """True when ``err`` holds nothing but progress lines (a busy machine may take a second to list)."""
    return all(_PROGRESS.fullmatch(line) for line in err.splitlines())


def denying_session(stack_name: str = GUARDED_STACK) -> Any:
    """A boto3 Session (of the environment) whose CloudFormation answers AccessDenied, as real botocore
    parses it, to every call about a stack named ``stack_name``."""
    session = boto3.session.Session()

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        if f"%2F{stack_name}%2F" not in body and f"StackName={stack_name}&" not in f"{body}&":
            return None
        return access_denied(request)

    session.events.register("before-send.cloudformation", before_send)
    return session


def assert_golden(name: str, text: str) -> None:
    """``text`` is exactly tests/cli/golden/``name``; with RUNNING_MODEL_UPDATE_GOLDEN=1, it becomes it."""
    path = GOLDEN / name
    if os.environ.get(UPDATE_GOLDEN) == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no {path}: run with {UPDATE_GOLDEN}=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs: if the change is meant, {UPDATE_GOLDEN}=1"


@dataclass(frozen=True)
class Arranged:
    """The golden account's version ARNs, by ``project/version``."""

    arns: dict[str, str]


def golden_account(account: FakeAccount) -> Arranged:
    """Every case the status table shows, in one account (golden/status.txt):

    - widgets/v1: Factory/Detector (live) and OldFactory/Detector (stack deleted): declared, on 2 units;
    - widgets/v2: OldFactory/Detector alone: FORGOTTEN;
    - widgets/v3: running on 1 to 4 units with no owner: UNMANAGED;
    - gadgets/v1: stopped, Factory/Nightly holds it idle: idle;
    - gadgets/v2: Archive/Model, retained by its stack when the stack was deleted: still stale, FORGOTTEN;
    - gadgets/v3: Legacy/Model (registered before the stack locator, stack live: found by name) and
      Shrunk/Model (removed from its live stack: stale): declared, on 3 units;
    - gizmos/v1: LegacyGone/Model (registered before the locator, stack deleted): unknown, so declared;
    - gizmos/v2: starting, Guarded/Model, whose lookups a denying_session refuses: unknown, so declared;
    - gizmos/v3: stopped, no owner: stopped.
    """
    factory = account.stack("Factory", ["Detector", "Nightly"])
    old_factory = account.stack("OldFactory", ["Detector"])
    archive = account.stack("Archive", ["Model"], retained=True)
    shrunk = account.stack("Shrunk", ["Model", "Other"])
    legacy = account.stack("Legacy", ["Model"])
    legacy_gone = account.stack("LegacyGone", ["Model"])
    guarded = account.stack(GUARDED_STACK, ["Model"])
    arns = {
        "widgets/v1": account.model("widgets", "v1", units=2),
        "widgets/v2": account.model("widgets", "v2"),
        "widgets/v3": version_arn("widgets", "v3"),
        "gadgets/v1": account.model("gadgets", "v1", status="STOPPED"),
        "gadgets/v2": account.model("gadgets", "v2"),
        "gadgets/v3": account.model("gadgets", "v3", units=3),
        "gizmos/v1": account.model("gizmos", "v1"),
        "gizmos/v2": version_arn("gizmos", "v2"),
        "gizmos/v3": account.model("gizmos", "v3", status="STOPPED"),
    }
    account.rekognition.add_model(arns["widgets/v3"], status="RUNNING", min_units=1, max_units=4)
    account.rekognition.add_model(arns["gizmos/v2"], status="STARTING", start_seconds=3600)
    account.register(arns["widgets/v1"], factory, "Detector")
    account.register(arns["widgets/v1"], old_factory, "Detector")
    account.register(arns["widgets/v2"], old_factory, "Detector")
    account.register(arns["gadgets/v1"], factory, "Nightly", idle=True)
    account.register(arns["gadgets/v2"], archive, "Model")
    account.register(arns["gadgets/v3"], legacy, "Model", legacy=True)
    account.register(arns["gadgets/v3"], shrunk, "Model")
    account.register(arns["gizmos/v1"], legacy_gone, "Model", legacy=True)
    account.register(arns["gizmos/v2"], guarded, "Model")
    account.delete_stack(old_factory)
    account.delete_stack(archive)
    account.delete_stack(legacy_gone)
    account.remove_resource(shrunk, "Model")
    return Arranged(arns)
