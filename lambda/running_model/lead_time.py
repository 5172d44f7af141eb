"""How far ahead of a window's opening to start a model so that it is RUNNING when the window opens.

Pure (in progress: no resource takes a schedule yet). The lead comes from the model's own measured
starts, the most recent ``HISTORY`` of them, kept between invocations (on the version's tags, once
wired). A start takes 10 to 30 minutes and varies from one start to the next, so the lead is the
longest recent start with a margin, plus the time a scheduled start may take to be invoked.
"""

from __future__ import annotations

from collections.abc import Sequence

# Starts remembered per model version: enough to see its spread, few enough to follow a change.
HISTORY = 5
# With nothing measured yet: Rekognition's starts take up to about 30 minutes.
DEFAULT_LEAD_SECONDS = 35 * 60.0
# On top of the longest recent start: one start may take this much longer than the recent ones.
MARGIN = 1.2
# EventBridge Scheduler invokes within a minute of the time set; the first look follows at once.
INVOCATION_SECONDS = 60.0


def lead_seconds(recent_starts: Sequence[float]) -> float:
    """Seconds before the opening at which to start, from the most recent measured start durations."""
    if not recent_starts:
        return DEFAULT_LEAD_SECONDS
    return max(recent_starts[-HISTORY:]) * MARGIN + INVOCATION_SECONDS


def remember(recent_starts: Sequence[float], measured: float) -> list[float]:
    """``recent_starts`` with ``measured`` added, keeping the most recent ``HISTORY``."""
    return [*recent_starts, measured][-HISTORY:]
