"""The version's timed starts on its tags, which lead_time.py and cadence.py read: a start is timed
by the first look that sees it RUNNING, of whichever path knows when it was made."""

from __future__ import annotations

from collections.abc import Sequence

from . import lead_time
from .rekognition import ModelVersionClient


def made(model: ModelVersionClient, at: float) -> None:
    """Record that a start of ``model`` was made at ``at`` (lead_time.STARTED_AT_TAG)."""
    model.tag(lead_time.STARTED_AT_TAG, lead_time.started_at_value(at))


def seen_running(
    model: ModelVersionClient, recent_starts: Sequence[float], started: tuple[float, float], at: float
) -> list[float]:
    """A start made and last seen STARTING at ``started`` is seen RUNNING ``at``: add the time it took
    to the version's recent starts (lead_time.time_taken), and end the record of its making. The
    recent starts, with this one when it was timed."""
    recent = list(recent_starts)
    took = lead_time.time_taken(started, at)
    if took is not None:
        recent = lead_time.remember(recent, took)
        model.tag(lead_time.STARTS_TAG, lead_time.format_history(recent))
    model.untag(lead_time.STARTED_AT_TAG)
    return recent
