"""The wall clock of the whole-stack flows: it runs at the real rate, and a flow moves it forward to
the moments it is about (a window's opening, a daylight-saving night) instead of waiting for them.

The handler reads it (bootstrap.py travels there with time-machine and follows every move of it,
through the file the clock keeps its offset in, also in an invocation already running), and the
fake Rekognition times its transitions on it, so a move forward moves the model's start along too.
Monotonic clocks (Lambda's remaining time, EventBridge's poll rules) stay real.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path


class VirtualClock:
    """Seconds since the epoch, ``offset`` ahead of the machine's clock (0 until moved), which
    ``path`` holds for the handler's processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._set(0.0)

    @property
    def offset(self) -> float:
        return self._offset

    def _set(self, offset: float) -> None:
        self._offset = offset
        staged = self.path.with_suffix(".new")
        staged.write_text(repr(offset))
        os.replace(staged, self.path)  # a reader sees the old offset or the new, never half of one

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def start_at(self, moment: datetime) -> None:
        """Set the clock to ``moment``, past or future: a flow's first step, before the fakes have
        timed anything on it."""
        self._set(moment.timestamp() - time.time())

    def move_to(self, moment: datetime) -> None:
        """Go forward to ``moment`` (an aware datetime). A clock never goes back: from a moment
        already passed (the real seconds a step took), it just runs on."""
        self._set(self._offset + max(0.0, moment.timestamp() - self.time()))
