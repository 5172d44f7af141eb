"""What may be done about a surveyed version (audit.py): release a stale owner, stop a model nobody keeps.

Shared by ``running-model release`` and the RunningModelGuard, so both act by the same rules:
- a registration is removed only when its owner is stale (a live one only when forced);
- a model is stopped only when no owner that is not stale wants it running;
- when the last owner leaves, the start times the handler kept for it go too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .audit import FORGOTTEN, UNMANAGED, OwnerReport, VersionReport
from .lead_time import STARTED_AT_TAG, STARTS_TAG
from .ownership import is_idle, owners

# The tags the handler keeps for a version's owners together (its measured start times).
_SHARED_TAGS = (STARTS_TAG, STARTED_AT_TAG)


class ReleaseRefusedError(Exception):
    """The owner to release is live (or not an owner of the version): nothing was changed."""


@dataclass
class Outcome:
    """What was done: one line each for people, in the order done; the versions stopped and owners released."""

    done: list[str] = field(default_factory=list)
    stopped: list[VersionReport] = field(default_factory=list)
    released: list[OwnerReport] = field(default_factory=list)


@dataclass(frozen=True)
class ReleasePlan:
    """Release ``owner`` from ``report``'s version, and stop the version first when ``stop``."""

    report: VersionReport
    owner: OwnerReport
    stop: bool

    def describe(self) -> list[str]:
        """What carrying it out will do, for a person to confirm."""
        steps = [f"remove the registration of {self.owner.label or self.owner.key} from {self.report.arn}"]
        if self.stop:
            steps.insert(0, f"stop {self.report.arn} (no live owner wants it running)")
        return steps


def plan_release(report: VersionReport, label: str, *, force: bool = False) -> ReleasePlan:
    """How to release the owner ``label`` (``stack/logical id``, or its tag key) of ``report``'s version.

    ReleaseRefusedError when it is no owner of the version, or when it is not stale and not ``force``.
    """
    matches = [owner for owner in report.owners if label in (owner.label, owner.key)]
    if not matches:
        known = ", ".join(owner.label or owner.key for owner in report.owners) or "none"
        raise ReleaseRefusedError(f"{report.arn} has no owner {label}; its owners: {known}")
    owner = matches[0]
    if not owner.stale and not force:
        raise ReleaseRefusedError(
            f"{owner.label or owner.key} is {owner.standing.state} ({owner.standing.reason}); release removes "
            "only stale owners: delete the resource from its stack instead, or pass --force"
        )
    others_want = any(other.wants_running and not other.stale for other in report.owners if other is not owner)
    return ReleasePlan(report, owner, stop=report.billed and not others_want)


def carry_out(rekognition: Any, plan: ReleasePlan, outcome: Outcome) -> None:
    """Stop (when planned, and still nobody else wants it), then remove the registration: the model is
    never left running without the owner that may still be the only one to stop it."""
    if plan.stop:
        stop_unless_wanted(rekognition, plan.report, "no live owner wants it running", outcome, leaving=[plan.owner])
    release(rekognition, plan.report, [plan.owner], outcome)


def sweep(
    rekognition: Any,
    reports: list[VersionReport],
    *,
    stop_forgotten: bool,
    stop_unmanaged: bool,
    outcome: Outcome | None = None,
) -> Outcome:
    """The guard's remedies: stop every FORGOTTEN version and release its stale owners (``stop_forgotten``),
    stop every UNMANAGED one (``stop_unmanaged``). Nothing else is touched.

    What is done is recorded in ``outcome`` (a new one by default) as it is done, so that a caller that
    passes its own still knows what was done when a call fails (a stop made before its untag failed)."""
    outcome = Outcome() if outcome is None else outcome
    for report in reports:
        if report.verdict == FORGOTTEN and stop_forgotten:
            stale = [owner for owner in report.owners if owner.stale]
            reasons = "; ".join(f"{owner.label or owner.key}: {owner.standing.reason}" for owner in stale)
            why = f"FORGOTTEN, every owner stale: {reasons}"
            if stop_unless_wanted(rekognition, report, why, outcome, leaving=stale):
                release(rekognition, report, stale, outcome)
        elif report.verdict == UNMANAGED and stop_unmanaged:
            stop_unless_wanted(rekognition, report, "UNMANAGED, no owner", outcome, leaving=[])
    return outcome


def stop_unless_wanted(
    rekognition: Any, report: VersionReport, reason: str, outcome: Outcome, *, leaving: list[OwnerReport]
) -> bool:
    """Stop the version unless, read again now, an owner other than the stale ones and ``leaving`` wants it
    running (a stack may have registered since the survey: whoever stops checks last). True if stopped."""
    if _wanted_now(rekognition, report, {owner.key for owner in leaving}):
        outcome.done.append(f"left {report.arn} running: an owner registered since the survey wants it")
        return False
    rekognition.stop_project_version(ProjectVersionArn=report.arn)
    outcome.stopped.append(report)
    outcome.done.append(f"stopped {report.arn} ({reason})")
    return True


def release(rekognition: Any, report: VersionReport, leaving: list[OwnerReport], outcome: Outcome) -> None:
    """Remove ``leaving``'s registrations from the version, and the shared start times when, read again now,
    no other owner is left (one may have registered since the survey)."""
    keys = [owner.key for owner in leaving]
    if set(_owner_tags(rekognition, report)) <= set(keys):
        keys += list(_SHARED_TAGS)
    rekognition.untag_resource(ResourceArn=report.arn, TagKeys=keys)
    outcome.released.extend(leaving)
    for owner in leaving:
        outcome.done.append(f"removed the registration of {owner.label or owner.key} from {report.arn}")


def _wanted_now(rekognition: Any, report: VersionReport, leaving: set[str]) -> bool:
    stale = {owner.key for owner in report.owners if owner.stale}
    return any(
        not is_idle(value) for key, value in _owner_tags(rekognition, report).items() if key not in stale | leaving
    )


def _owner_tags(rekognition: Any, report: VersionReport) -> dict[str, str]:
    """The version's owner tags as they are now."""
    return owners(rekognition.list_tags_for_resource(ResourceArn=report.arn).get("Tags", {}))
