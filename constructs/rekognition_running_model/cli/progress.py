"""How far a long listing has got, on stderr: nothing for the first second, then ``read N versions…``,
one line rewritten in place on a terminal, else a line every 10 seconds (a log stays short)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Called with the number of versions read so far (audit.survey's ``progress``). Silent until
    ``delay`` seconds (1 by default) have passed; then on a terminal (``stream.isatty()``) it rewrites
    one line at most every ``redraw`` seconds (0.1), else it writes a line at most every ``every``
    seconds (10). ``finish`` clears the terminal's line."""

    def __init__(
        self,
        stream: TextIO,
        *,
        delay: float = 1.0,
        redraw: float = 0.1,
        every: float = 10.0,
        ellipsis: str = "…",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._clock = clock
        self._interval = redraw if self._tty else every
        self._next = clock() + delay
        self._ellipsis = ellipsis
        self._drawn = 0  # characters on the terminal's line

    def __call__(self, count: int) -> None:
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._interval
        text = f"read {count} version{'' if count == 1 else 's'}{self._ellipsis}"
        if self._tty:
            self._stream.write("\r" + text.ljust(self._drawn))
            self._drawn = len(text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def finish(self) -> None:
        """Clear the line drawn on a terminal, so that what follows starts on a clean one."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0
