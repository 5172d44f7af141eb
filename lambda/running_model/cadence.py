"""When a request looks at a model it waits for: rarely while the model cannot be ready yet, every
step once it may be.

Pure. A start takes 10 to 30 minutes, and the version's own recent starts (lead_time.STARTS_TAG)
say how long it takes this time: the looks become dense, one every step, from ``DENSE_FROM`` of the
shortest recent start after the start was made (``PRIOR_START_SECONDS`` stands for the shortest
when no start has been timed). Before that each look comes after half the time still left until the
dense phase (at most ``limit`` seconds, at least one step), so that a start shorter than all the
recent ones is still seen soon after it ends. A wait nobody timed (training, copying, a start made
in the console) is looked at every step at first and ever more rarely, up to ``limit`` seconds apart.

The looks are moments on a fixed plan from the start (or the wait) on, not counted from the last
look, so that every invocation of the request, whichever the poll rule sends, finds the same ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .decision import RUNNING, STARTING

# Dense looks from this share of the shortest recent start after the start was made.
DENSE_FROM = 0.9
# With no start timed yet: a Rekognition start takes longer than this (a conservative prior: the
# dense phase of a first start begins 4.5 minutes after it, whatever its length).
PRIOR_START_SECONDS = 300.0
# Before the dense phase, a look comes after this share of the time left until it.
SHARE_OF_TIME_LEFT = 0.5
# No start takes longer (Rekognition's take up to about 30 minutes): a record of one made earlier is stale.
LONGEST_START_SECONDS = 3600.0
# A wait nobody timed: the gap between two looks grows by this share of the time waited so far.
SHARE_OF_TIME_WAITED = 0.25


@dataclass(frozen=True)
class Cadence:
    """The moments at which to look, from ``since`` on: ``dense_from`` (epoch seconds) for a timed
    start; None for a wait nobody timed. ``limit``: the longest gap between two looks; at most
    ``step``, every moment is a moment to look (the looks keep the step themselves)."""

    since: float
    dense_from: float | None
    step: float
    limit: float

    @classmethod
    def for_start(cls, made: float, recent_starts: Sequence[float], *, step: float, limit: float) -> Cadence:
        """The looks at a start made at ``made``, from the version's recent start times (seconds)."""
        shortest = min(recent_starts) if recent_starts else PRIOR_START_SECONDS
        return cls(since=made, dense_from=made + DENSE_FROM * shortest, step=step, limit=limit)

    @classmethod
    def for_wait(cls, since: float, *, step: float, limit: float) -> Cadence:
        """The looks at a wait nobody timed, begun at ``since``."""
        return cls(since=since, dense_from=None, step=step, limit=limit)

    @property
    def sparse(self) -> bool:
        """False when every step is a moment to look."""
        return self.limit > self.step

    def next_look(self, after: float) -> float:
        """The first moment at or after ``after`` at which a look is due."""
        if not self.sparse or after <= self.since or self._dense(after):
            return after
        moment = self.since
        while moment < after:
            if self._steady(moment):
                return moment + math.ceil((after - moment) / self.limit) * self.limit
            moment = self._following(moment)
            if self._dense(moment):
                return max(after, moment)
        return moment

    def previous_look(self, before: float) -> float:
        """The last moment before ``before`` at which a look was due (``since`` at the earliest)."""
        if not self.sparse or self._dense(before - self.step):
            return max(self.since, before - self.step)
        moment = self.since
        while True:
            if self._dense(moment):
                return max(moment, before - self.step)
            if self._steady(moment):
                return moment + max(0, math.ceil((before - moment) / self.limit) - 1) * self.limit
            following = self._following(moment)
            if following >= before:
                return moment
            moment = following

    def _dense(self, moment: float) -> bool:
        return self.dense_from is not None and moment >= self.dense_from

    def _steady(self, moment: float) -> bool:
        """From ``moment`` on, a wait nobody timed is looked at every ``limit`` seconds."""
        return self.dense_from is None and self._gap(moment) >= self.limit

    def _following(self, moment: float) -> float:
        """The moment to look after ``moment``, before the dense phase (which it does not pass)."""
        following = moment + self._gap(moment)
        return following if self.dense_from is None else min(following, self.dense_from)

    def _gap(self, moment: float) -> float:
        if self.dense_from is None:
            wanted = (moment - self.since) * SHARE_OF_TIME_WAITED
        else:
            wanted = (self.dense_from - moment) * SHARE_OF_TIME_LEFT
        return min(self.limit, max(self.step, wanted))


class Pace:
    """The looks of one run at a model that should be running, and what they saw of its start.

    It starts from ``cadence`` (the start the version's tags record, made at ``made``, or a wait
    nobody timed); a start the run makes itself (``acted``) renews it, and a stop it makes (to start
    again with other units) makes every step a moment to look.
    """

    def __init__(
        self, cadence: Cadence, recent_starts: Sequence[float], *, made: float | None = None, looked_before: bool
    ) -> None:
        self.cadence = cadence
        self.made = made
        self._looked_before = looked_before
        self._recent_starts = list(recent_starts)
        self._last_starting: float | None = None
        self.seen_running: float | None = None

    def next_look(self, after: float) -> float:
        return self.cadence.next_look(after)

    def started(self, at: float) -> None:
        self.made, self._last_starting, self._looked_before = at, None, True
        self.cadence = Cadence.for_start(at, self._recent_starts, step=self.cadence.step, limit=self.cadence.limit)

    def stopped(self, at: float) -> None:
        self.made = None
        self.cadence = Cadence(since=at, dense_from=at, step=self.cadence.step, limit=self.cadence.limit)

    def looked(self, at: float, status: str | None) -> None:
        """A look at ``at`` saw ``status``."""
        if status == STARTING:
            self._last_starting = at
        elif status == RUNNING and self.seen_running is None:
            self.seen_running = at

    def timed_start(self) -> tuple[tuple[float, float], float] | None:
        """((made at, last seen STARTING at), first seen RUNNING at) for lead_time.time_taken, once
        this run saw the start RUNNING; None when it did not, or does not know when it was made.
        A start first seen RUNNING by the run's first look was last seen STARTING by the look the
        cadence had due before, when the request looked before (``looked_before``: a poll) and the
        start is not older than any start can be (else its record is stale: nobody timed it)."""
        if self.made is None or self.seen_running is None:
            return None
        last_starting = self._last_starting
        if last_starting is None:
            if not self._looked_before or self.seen_running - self.made > LONGEST_START_SECONDS:
                return None
            last_starting = self.cadence.previous_look(self.seen_running)
        return (self.made, max(self.made, last_starting)), self.seen_running
