"""Progress on stderr (cli/progress.py), on a clock the test turns: silent for a second, then one line
rewritten in place on a terminal, or a line every ten seconds in a log."""

from __future__ import annotations

import io

from rekognition_running_model.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def read(progress: Progress, clock: Clock, counts: range, *, step: float) -> None:
    for count in counts:
        clock.now += step
        progress(count)


def test_on_a_terminal_one_line_is_rewritten_then_cleared() -> None:
    clock, stream = Clock(), Terminal()
    progress = Progress(stream, clock=clock)
    read(progress, clock, range(1, 16), step=1 / 16)
    assert stream.getvalue() == "", "under a second: nothing"
    read(progress, clock, range(16, 18), step=1 / 16)
    assert stream.getvalue() == "\rread 16 versions…", "at a second, and not again within a tenth of one"
    read(progress, clock, range(18, 19), step=1 / 16)
    progress.finish()
    assert stream.getvalue() == "\rread 16 versions…\rread 18 versions…\r" + " " * 17 + "\r"


def test_in_a_log_a_line_every_ten_seconds() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, clock=clock)
    read(progress, clock, range(1, 100), step=0.25)
    progress.finish()
    assert stream.getvalue() == "read 4 versions…\nread 44 versions…\nread 84 versions…\n"


def test_a_quick_listing_shows_nothing() -> None:
    clock, stream = Clock(), Terminal()
    progress = Progress(stream, clock=clock)
    read(progress, clock, range(1, 500), step=0.001)
    progress.finish()
    assert stream.getvalue() == ""


def test_one_version_and_an_ascii_ellipsis() -> None:
    clock, stream = Clock(), io.StringIO()
    progress = Progress(stream, clock=clock, ellipsis="...")
    clock.now += 2
    progress(1)
    assert stream.getvalue() == "read 1 version...\n"
