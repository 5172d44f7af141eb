"""``running-model release VERSION_ARN --owner STACK/LOGICAL_ID``: remove a stale owner's registration
from a model version (stopping the version first when no live owner wants it running), after saying
what it will do and asking, then say exactly what it did."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TextIO

from .. import contract
from . import terminal
from .aws import Aws
from .errors import CliError
from .exit_codes import EXIT_NOTHING_DONE, EXIT_OK, EXIT_USAGE
from .progress import Progress
from .survey import ReleaseRefusedError, carry_out, new_outcome, plan_release, survey

# A model version ARN, as the ProjectVersionArn shape of Rekognition's API has it.
VERSION_ARN = re.compile(contract.PROJECT_VERSION_ARN_PATTERN)


@dataclass(frozen=True)
class ReleaseOptions:
    """Release ``owner`` (``stack/logical id`` or its tag key) from ``arn``; ``force``: even a live or
    unknown owner; ``yes``: without asking."""

    arn: str
    owner: str
    force: bool = False
    yes: bool = False


def region_of(arn: str) -> str:
    """The region of a model version ARN; CliError (usage) for anything that is not one."""
    match = VERSION_ARN.match(arn)
    if match is None:
        raise CliError(
            f"not a model version ARN: {arn} (expected "
            "arn:aws:rekognition:<region>:<account>:project/<project>/version/<version>/<timestamp>; "
            "`running-model status` lists them)",
            EXIT_USAGE,
        )
    return match["region"]


def run(aws: Aws, options: ReleaseOptions, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """Plan, confirm (unless ``yes``) and carry out the release. EXIT_NOTHING_DONE, with why on ``err``,
    when the version or owner is not found, the owner is live or unknown without ``force``, or the
    release is not confirmed; EXIT_OK once done."""
    match = VERSION_ARN.match(options.arn)
    if match is None or region_of(options.arn) != aws.region:
        raise CliError(f"{options.arn} is not in {aws.region}: leave out --region, or pass the version's", EXIT_USAGE)
    rekognition = aws.client("rekognition")
    progress = Progress(err, ellipsis=terminal.symbol(err, "…", "..."))
    try:
        reports = survey(rekognition, aws.cloudformation, project=match["project"], progress=progress)
    finally:
        progress.finish()
    report = next((found for found in reports if found.arn == options.arn), None)
    if report is None:
        err.write(
            f"running-model: no model version {options.arn} in {aws.region}: "
            f"`running-model status --project {match['project']}` lists the project's versions\n"
        )
        return EXIT_NOTHING_DONE
    try:
        plan = plan_release(report, options.owner, force=options.force)
    except ReleaseRefusedError as refused:
        err.write(f"running-model: nothing was changed: {refused}\n")
        return EXIT_NOTHING_DONE
    if not options.yes and not _confirmed(plan.describe(), stdin, out, err):
        return EXIT_NOTHING_DONE
    outcome = new_outcome()
    try:
        carry_out(rekognition, plan, outcome)
    finally:
        out.writelines(line + "\n" for line in outcome.done)
    return EXIT_OK


def _confirmed(steps: list[str], stdin: TextIO, out: TextIO, err: TextIO) -> bool:
    out.write("release will:\n")
    out.writelines(f"  {step}\n" for step in steps)
    if not stdin.isatty():
        err.write("running-model: nothing was changed: stdin is not a terminal to confirm on; pass --yes to release\n")
        return False
    out.write("Proceed? [y/N] ")
    out.flush()
    if stdin.readline().strip().lower() in {"y", "yes"}:
        return True
    err.write("running-model: nothing was changed\n")
    return False
