"""The command's AWS: a boto3 Session (the standard credential chain, ``--profile``), its region
(``--region``, else the profile's or AWS_REGION), checked against the regions botocore knows for
Rekognition, and clients that retry throttling adaptively with timeouts set."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from .errors import CliError
from .exit_codes import EXIT_USAGE

# Adaptive retries slow the client down to the rate Rekognition allows, so hundreds of versions list
# without a throttling error; a dead endpoint fails in seconds, not minutes.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="running-model-cli",
)


@dataclass(frozen=True)
class Aws:
    """A session and the region the command works in."""

    session: Any
    region: str

    def client(self, service: str, region: str | None = None) -> Any:
        """A client of ``service`` in ``region`` (the command's region by default)."""
        return self.session.client(service, region_name=region or self.region, config=CLIENT_CONFIG)

    def cloudformation(self, region: str) -> Any:
        """A CloudFormation client in ``region``, for the stacks of owners there."""
        return self.client("cloudformation", region)


def connect(region: str | None, profile: str | None, session: Any = None) -> Aws:
    """The command's Aws: ``session`` when given (tests), else a new one of ``profile`` (None: the
    default chain); in ``region``, else the session's. CliError (usage) when there is no region or
    Rekognition has none of that name."""
    if session is None:
        session = boto3.session.Session(profile_name=profile)
    chosen = region or session.region_name
    if not chosen:
        raise CliError(
            "no AWS region: pass --region, set AWS_REGION, or set a region in your profile (aws configure)", EXIT_USAGE
        )
    check_region(session, chosen)
    return Aws(session, chosen)


def check_region(session: Any, region: str) -> None:
    """CliError (usage) unless ``region`` is one where botocore knows Rekognition, in any partition."""
    known = sorted(
        {
            name
            for partition in session.get_available_partitions()
            for name in session.get_available_regions("rekognition", partition_name=partition)
        }
    )
    if region in known:
        return
    close = difflib.get_close_matches(region, known, n=1, cutoff=0.8)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise CliError(
        f"unknown region {region!r}{hint}: Rekognition is offered in {', '.join(known)}; pass one of them with "
        "--region (a region newer than your botocore needs `pip install -U boto3`)",
        EXIT_USAGE,
    )
