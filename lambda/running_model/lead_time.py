"""How far ahead of a window's opening to start a model so that it is RUNNING when the window opens.

Pure. The lead comes from the model's own measured starts, the most recent ``HISTORY`` of them,
kept between invocations on the version's tags. A start takes 10 to 30 minutes and varies from one
start to the next, so the lead is the longest recent start with a margin, plus the time a scheduled
start may take to be invoked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from . import contract
from .windows import Schedule

# The version's recent start times in whole seconds, space-separated ("612 905 733"); and, for a
# start the handler made that has not been seen RUNNING yet, the epoch second it was made at and
# the epoch second a look last saw it STARTING ("1767600000 1767600900").
STARTS_TAG = contract.TAG_PREFIX + "starts"
STARTED_AT_TAG = contract.TAG_PREFIX + "started-at"
# A start first seen RUNNING at most this long after a look saw it STARTING is timed by that look
# (two wake-up steps: the wake-ups come every five minutes). Seen later (at a close, or at the next
# repair, hours on), it is timed by the last look that saw it STARTING: the least it took.
PRECISION_SECONDS = 2 * contract.WAKE_STEP_MINUTES * 60.0

# Starts remembered per model version: enough to see its spread, few enough to follow a change.
HISTORY = 5
# With nothing measured yet: Rekognition's starts take up to about 30 minutes.
DEFAULT_LEAD_SECONDS = 35 * 60.0
# On top of the longest recent start: one start may take this much longer than the recent ones.
MARGIN = 1.2
# EventBridge Scheduler invokes within a minute of the time set; the first look follows at once.
INVOCATION_SECONDS = 60.0
# The handler is woken at most this long before an opening: a longer lead cannot be acted on.
MAX_LEAD_SECONDS = contract.WAKE_AHEAD_MINUTES * 60.0


def lead_seconds(recent_starts: Sequence[float]) -> float:
    """Seconds before the opening at which to start, from the most recent measured start durations."""
    if not recent_starts:
        return DEFAULT_LEAD_SECONDS
    return min(max(recent_starts[-HISTORY:]) * MARGIN + INVOCATION_SECONDS, MAX_LEAD_SECONDS)


def remember(recent_starts: Sequence[float], measured: float) -> list[float]:
    """``recent_starts`` with ``measured`` added, keeping the most recent ``HISTORY``."""
    return [*recent_starts, measured][-HISTORY:]


def history_in(tags: Mapping[str, str]) -> list[float]:
    """The start times the version's STARTS_TAG holds; what is not a whole number in ASCII digits is
    left out (a tag written by hand may hold anything, "²" among it)."""
    return [float(word) for word in tags.get(STARTS_TAG, "").split() if _seconds(word)][-HISTORY:]


def started_at_value(started: float, seen_starting: float | None = None) -> str:
    """STARTED_AT_TAG's value for a start made at ``started``, last seen STARTING at ``seen_starting``."""
    return f"{int(started)} {int(seen_starting if seen_starting is not None else started)}"


def started_at(value: str | None) -> tuple[float, float] | None:
    """(made at, last seen STARTING at) from STARTED_AT_TAG's value; None when it holds no such thing.
    A value of one number (from before the last look was kept) was last seen STARTING when made."""
    words = (value or "").split()
    if not 1 <= len(words) <= 2 or not all(_seconds(word) for word in words):
        return None
    started = float(words[0])
    return started, max(started, float(words[-1]))


def time_taken(started: tuple[float, float], seen_running: float) -> float | None:
    """How long a start took, as the first look that sees it RUNNING (at ``seen_running``) can tell:
    up to that look when the last look that saw it STARTING came shortly before (PRECISION_SECONDS),
    else up to that last look, the least it took; None when nothing was measured."""
    made, seen_starting = started
    until = seen_running if seen_running - seen_starting <= PRECISION_SECONDS else seen_starting
    took = until - made
    return took if took > 0 else None


def _seconds(word: str) -> bool:
    return word.isascii() and word.isdigit()


def format_history(recent_starts: Sequence[float]) -> str:
    return " ".join(str(round(seconds)) for seconds in recent_starts[-HISTORY:])


def wanted_running(
    schedule: Schedule | None, recent_starts: Sequence[float], now: datetime, *, running: bool = False
) -> bool:
    """Whether a resource wants its model running at ``now``: always without a schedule; else inside a
    window, or when the next wake-up (a step later) would leave less than the model's lead before an
    opening, the lead coming from ``recent_starts``.

    A model already ``running`` (STARTING or RUNNING) is wanted from MAX_LEAD_SECONDS before an
    opening: it was started for it (or for a window that just closed), and stopping it would only
    mean starting it again within the hour, which a start just timed shorter would otherwise do.
    """
    if schedule is None:
        return True
    return schedule.wants_running(now, lead_seconds=_ahead(recent_starts, running=running))


def seconds_until_change(schedule: Schedule | None, recent_starts: Sequence[float], now: datetime) -> float:
    """Seconds from ``now`` to the earliest moment at which wanted_running may answer otherwise: the
    next window edge, or the next opening coming within the longest lead (a running model's); inf
    without a schedule."""
    if schedule is None:
        return math.inf
    moments = [
        schedule.next_edge(now),
        schedule.next_opening(now) - timedelta(seconds=_ahead(recent_starts, running=True)),
    ]
    return min((moment - now).total_seconds() for moment in moments if moment > now)


def _ahead(recent_starts: Sequence[float], *, running: bool) -> float:
    ahead = lead_seconds(recent_starts) + contract.WAKE_STEP_MINUTES * 60
    return max(ahead, MAX_LEAD_SECONDS) if running else ahead
