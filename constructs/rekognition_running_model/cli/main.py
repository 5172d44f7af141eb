"""``running-model``: the arguments, the exit status, and errors told as what to do (never a traceback).

Commands and AWS (boto3) are imported once the arguments are read: ``--help`` and usage errors need
neither, and a missing boto3 is reported as such.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from collections.abc import Sequence
from typing import Any

from .exit_codes import EXIT_ALARMING, EXIT_AWS, EXIT_INTERRUPTED, EXIT_NOTHING_DONE, EXIT_OK, EXIT_USAGE

PROG = "running-model"
_EPILOG = f"""\
exit status: {EXIT_OK} done; {EXIT_ALARMING} (status) a version is FORGOTTEN or UNMANAGED; {EXIT_USAGE} usage error or \
unknown region; {EXIT_AWS} AWS error (credentials, permission, connection); {EXIT_NOTHING_DONE} (release) nothing \
was changed."""


def main(argv: Sequence[str] | None = None, *, session: Any = None) -> int:
    """Run the command ``argv`` (default: sys.argv[1:]) with ``session`` (default: a boto3 Session of
    --profile and the standard credential chain); its exit status."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse: --help, --version (0) or a usage error (2), already written
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return _run(args, session)
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `running-model status | head`: the reader has what it wanted
        _silence_stdout()
        return EXIT_OK


def parser() -> argparse.ArgumentParser:
    """The command's arguments (``running-model --help``)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--region", help="AWS region (default: AWS_REGION, or your profile's region; for release, the ARN's)"
    )
    common.add_argument("--profile", help="named AWS profile (default: AWS_PROFILE, or the standard credential chain)")
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Which Rekognition Custom Labels model versions run, who keeps each running, and what it costs.",
        epilog=_EPILOG,
    )
    top.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    status = commands.add_parser(
        "status",
        parents=[common],
        help="list every model version in the region, its owners and a verdict",
        description="List every Custom Labels model version in the region: status, inference units, each owner "
        "(stack/logicalId, whether it wants the model running, live/stale/unknown) and a verdict.",
        epilog=_EPILOG,
    )
    status.add_argument("--project", metavar="NAME", help="only the versions of this project")
    status.add_argument(
        "--running-only", action="store_true", help="only the versions that are billed (running or starting)"
    )
    status.add_argument(
        "--json", action="store_true", help="print JSON (schemaVersion 1, see the README) instead of a table"
    )
    status.add_argument(
        "--price-per-unit-hour",
        metavar="PRICE",
        type=_price,
        help="your price of one inference-unit-hour, to show the cost per day (no price is assumed)",
    )
    status.add_argument("-v", "--verbose", action="store_true", help="say why each owner is live, stale or unknown")
    release = commands.add_parser(
        "release",
        parents=[common],
        help="remove a stale owner's registration from a model version",
        description="Remove the registration of a stale owner (its stack or resource is gone) from a model version. "
        "When no live owner wants the version running, it is stopped first.",
        epilog=_EPILOG,
    )
    release.add_argument("arn", metavar="VERSION_ARN", help="the model version's ARN (running-model status lists them)")
    release.add_argument(
        "--owner", required=True, metavar="STACK/LOGICAL_ID", help="the owner to release (or its tag key)"
    )
    release.add_argument("--force", action="store_true", help="release the owner even if it is live or unknown")
    release.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    return top


def _run(args: argparse.Namespace, session: Any) -> int:
    # Imported here rather than at the top: `--help` and usage errors answer without loading boto3.
    from botocore.exceptions import BotoCoreError, ClientError

    from . import release, status
    from .aws import connect
    from .errors import CliError, explain

    try:
        if args.command == "status":
            aws = connect(args.region, args.profile, session)
            options = status.StatusOptions(
                project=args.project,
                running_only=args.running_only,
                price=args.price_per_unit_hour,
                as_json=args.json,
                verbose=args.verbose,
            )
            return status.run(aws, options, sys.stdout, sys.stderr)
        aws = connect(args.region or release.region_of(args.arn), args.profile, session)
        chosen = release.ReleaseOptions(arn=args.arn, owner=args.owner, force=args.force, yes=args.yes)
        return release.run(aws, chosen, sys.stdin, sys.stdout, sys.stderr)
    except (CliError, BotoCoreError, ClientError) as error:
        explained = error if isinstance(error, CliError) else explain(error)
        if explained is None:
            raise
        sys.stdout.flush()
        sys.stderr.write(f"{PROG}: {explained.message}\n")
        return explained.exit_code


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _price(text: str) -> float:
    try:
        price = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not price >= 0 or price == float("inf"):
        raise argparse.ArgumentTypeError(f"a price is a number of at least 0, not {text!r}")
    return price


def _version() -> str:
    try:
        return importlib.metadata.version("rekognition-running-model")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"
