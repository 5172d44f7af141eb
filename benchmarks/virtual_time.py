"""A virtual clock for a simulation run by many threads.

Every simulated actor (a Lambda invocation, an EventBridge schedule) is a thread started with
``spawn``. ``sleep`` blocks on the virtual clock; when every actor is asleep, the clock jumps to
the earliest wake-up. Actors started from outside (by the caller) are started under ``held``,
so that the first of them cannot move the clock before the others exist. Real work (HTTP calls
to the stand-ins, the handler's own code) happens while the clock stands still, so a 30-minute
deployment takes well under a second of real time.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any


class VirtualClock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._running = 0
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._idle = threading.Event()
        self.errors: list[BaseException] = []

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        """Block the calling actor for ``seconds`` of virtual time."""
        woken = threading.Event()
        with self._lock:
            heapq.heappush(self._sleepers, (self._now + max(0.0, seconds), next(self._order), woken))
            self._running -= 1
            self._advance()
        woken.wait()

    def spawn(self, target: Callable[..., Any], *args: Any) -> None:
        """Start an actor; the clock does not move until it sleeps or ends."""
        with self._lock:
            self._running += 1
            self._idle.clear()

        def run() -> None:
            try:
                target(*args)
            except BaseException as error:  # surfaced by wait_idle: a simulation must not fail quietly
                self.errors.append(error)
            finally:
                with self._lock:
                    self._running -= 1
                    self._advance()

        threading.Thread(target=run, daemon=True).start()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Keep the clock still while the (real) caller starts several actors."""
        with self._lock:
            self._running += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                self._advance()

    def wait_idle(self) -> None:
        """Block (the real caller, not an actor) until every actor has ended."""
        self._idle.wait()
        if self.errors:
            raise self.errors[0]

    def _advance(self) -> None:
        while self._running == 0 and self._sleepers:
            self._now = max(self._now, self._sleepers[0][0])
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, woken = heapq.heappop(self._sleepers)
                self._running += 1
                woken.set()
        if self._running == 0 and not self._sleepers:
            self._idle.set()
