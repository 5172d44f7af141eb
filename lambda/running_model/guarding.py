"""The RunningModelGuard's run: the survey ``running-model status`` makes, published as metrics, and the
stops the guard is configured to make.

One run (an invocation of guard.handler, from the guard's schedule or by hand):

1. surveys every billed model version in the function's region (audit.survey; a version that is not
   billed is never FORGOTTEN nor UNMANAGED), asking CloudFormation about each owner in its stack's own
   region;
2. with GUARD_STOP_FORGOTTEN, stops each FORGOTTEN version (every owner stale) and removes its stale
   registrations; with GUARD_STOP_UNMANAGED, stops each UNMANAGED one (no owner at all). remedies.sweep
   reads the version's tags again just before it stops it, and leaves it running when an owner that
   wants it registered since the survey. An owner CloudFormation gave no certain answer about counts
   as live, so its version is never stopped. Without either setting, a run never writes;
3. writes one JSON line per FORGOTTEN or UNMANAGED version found, one per stop (with its reason and the
   registrations removed), one per version left running or failed, then one embedded-metric-format
   line with the counts (metrics without dimensions, in the function's region).

A stop that fails does not keep the others from being made; the run still publishes its counts, then
fails, so that the function's Errors metric shows it. A survey that fails (Rekognition cannot be read)
fails the run before any count is published: the guard's not-reporting alarm shows that.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from . import contract, emf
from .audit import FORGOTTEN, UNMANAGED, OwnerReport, VersionReport, survey
from .remedies import Outcome, sweep
from .settings import CLIENT_CONFIG
from .stacks import StackLookups

# What the guard's JSON log lines (other than the metrics) are keyed by: the event each one records.
LOG_KEY = "RunningModelGuard"
_TRUE, _FALSE = "true", "false"


class GuardRunError(Exception):
    """Some stops failed; the run published its counts all the same."""


@dataclass(frozen=True)
class Settings:
    """Which stops a run may make (the function's environment says)."""

    stop_forgotten: bool = False
    stop_unmanaged: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Each setting is "true" or "false", "false" when missing; anything else is refused (ValueError),
        rather than read either way."""
        environ = os.environ if environ is None else environ
        return cls(
            stop_forgotten=_flag(environ, contract.GUARD_STOP_FORGOTTEN_ENV),
            stop_unmanaged=_flag(environ, contract.GUARD_STOP_UNMANAGED_ENV),
        )

    def stops(self, report: VersionReport) -> bool:
        """Whether a run stops ``report``'s version, as the survey found it."""
        return (report.verdict == FORGOTTEN and self.stop_forgotten) or (
            report.verdict == UNMANAGED and self.stop_unmanaged
        )


def _flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, _FALSE)
    if value not in (_TRUE, _FALSE):
        raise ValueError(f"{name}: received {value!r}; expected {_TRUE!r} or {_FALSE!r}")
    return value == _TRUE


@dataclass(frozen=True)
class Stop:
    """A version the run stopped: why, and the registrations it removed."""

    report: VersionReport
    reason: str
    released: tuple[OwnerReport, ...]


@dataclass
class Run:
    """What one run found (the survey's reports) and did."""

    reports: list[VersionReport]
    stops: list[Stop] = field(default_factory=list)
    left_running: list[VersionReport] = field(default_factory=list)  # an owner registered since the survey
    failures: list[tuple[VersionReport, str]] = field(default_factory=list)

    @property
    def forgotten(self) -> list[VersionReport]:
        return [report for report in self.reports if report.verdict == FORGOTTEN]

    @property
    def unmanaged(self) -> list[VersionReport]:
        return [report for report in self.reports if report.verdict == UNMANAGED]

    @property
    def forgotten_units(self) -> int:
        """Inference units the FORGOTTEN versions run on (their minimum: what they are billed for at least)."""
        return sum(report.min_units or 0 for report in self.forgotten)

    def counts(self) -> dict[str, int]:
        """The metrics of the run, by name. The versions found are counted whether or not the run stopped them."""
        return {
            contract.GUARD_FORGOTTEN_MODELS_METRIC: len(self.forgotten),
            contract.GUARD_UNMANAGED_MODELS_METRIC: len(self.unmanaged),
            contract.GUARD_FORGOTTEN_UNITS_METRIC: self.forgotten_units,
            contract.GUARD_STOPPED_METRIC: len(self.stops),
        }


class Guard:
    """Runs the survey and the configured stops, and writes what it found and did to the log."""

    def __init__(
        self,
        rekognition: Any,
        cloudformation_for: Callable[[str], Any],
        settings: Settings,
        *,
        emit: Callable[[str], None] = print,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``rekognition``: a client in the region to watch; ``cloudformation_for(region)``: a client for the
        stacks of that region. ``emit`` writes one line to the function's log (print: Lambda sends stdout
        there)."""
        self._rekognition = rekognition
        self._cloudformation_for = cloudformation_for
        self.settings = settings
        self._emit = emit
        self._clock = clock

    @classmethod
    def from_environment(cls) -> Guard:
        """The guard as its function runs it: boto3 clients with the handler's retries and timeouts,
        Rekognition in the function's region, CloudFormation in each region asked about."""
        clients: dict[str, Any] = {}

        def cloudformation_for(region: str) -> Any:
            if region not in clients:
                clients[region] = boto3.client("cloudformation", region_name=region, config=CLIENT_CONFIG)
            return clients[region]

        return cls(boto3.client("rekognition", config=CLIENT_CONFIG), cloudformation_for, Settings.from_environment())

    def run(self, event: Mapping[str, Any] | None = None) -> Run:
        """One run; ``event`` is the schedule's (its scheduled time is logged) or anything else.

        :raises GuardRunError: when a stop failed (after every other stop, and the counts).
        """
        scheduled = (event or {}).get(contract.GUARD_EVENT)
        scheduled_time = scheduled.get("ScheduledTime") if isinstance(scheduled, Mapping) else None
        # A new StackLookups each run: what CloudFormation said last run may have changed since.
        run = Run(survey(self._rekognition, StackLookups(self._cloudformation_for), running_only=True))
        for report in run.forgotten + run.unmanaged:
            self._log("found", report, Owners=[owner.as_json() for owner in report.owners])
        for report in run.reports:
            if self.settings.stops(report):
                self._remedy(report, run)
        properties = {
            "ScheduledTime": scheduled_time,
            "StopForgotten": self.settings.stop_forgotten,
            "StopUnmanaged": self.settings.stop_unmanaged,
            "Forgotten": [report.arn for report in run.forgotten],
            "Unmanaged": [report.arn for report in run.unmanaged],
        }
        self._emit(emf.metric_line(contract.METRICS_NAMESPACE, run.counts(), now=self._clock(), properties=properties))
        if run.failures:
            raise GuardRunError(
                f"{len(run.failures)} stop(s) failed: "
                + "; ".join(f"{report.arn}: {why}" for report, why in run.failures)
            )
        return run

    def _remedy(self, report: VersionReport, run: Run) -> None:
        outcome = Outcome()
        failed: str | None = None
        try:
            sweep(
                self._rekognition,
                [report],
                stop_forgotten=self.settings.stop_forgotten,
                stop_unmanaged=self.settings.stop_unmanaged,
                outcome=outcome,
            )
        except (ClientError, BotoCoreError) as error:
            failed = str(error)
        if outcome.stopped:  # even when the removal of its registrations failed after
            stop = Stop(report, stop_reason(report), tuple(outcome.released))
            run.stops.append(stop)
            self._log("stopped", report, Reason=stop.reason, Released=[owner.as_json() for owner in stop.released])
        if failed is not None:
            run.failures.append((report, failed))
            self._log("failed", report, Reason=failed)
        elif not outcome.stopped:
            run.left_running.append(report)
            self._log("left running", report, Reason="an owner that wants it running registered since the survey")

    def _log(self, action: str, report: VersionReport, **details: Any) -> None:
        self._emit(
            json.dumps(
                {
                    LOG_KEY: action,
                    "ModelVersionArn": report.arn,
                    "Verdict": report.verdict,
                    "Status": report.status,
                    "MinInferenceUnits": report.min_units,
                    **details,
                }
            )
        )


def stop_reason(report: VersionReport) -> str:
    """Why the guard stops ``report``'s version, for people."""
    if report.verdict == FORGOTTEN:
        stale = "; ".join(f"{owner.label or owner.key}: {owner.standing.reason}" for owner in report.owners)
        return f"FORGOTTEN: billed, and every owner is stale ({stale})"
    return "UNMANAGED: billed, and no stack has registered as its owner"
