"""Look at a model, decide, act; again every step until done, failed, or out of time.

The loop knows models only through the ``Model`` protocol (rekognition.py implements it), and
their failed calls only as ``ModelCallError``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from .cadence import Pace
from .decision import Action, Desired, Observation, Verb, decide

logger = logging.getLogger(__name__)


class Model(Protocol):
    """What the loop needs of a model: look at it, start it, stop it (True when the service took
    the call), and name it in messages."""

    @property
    def label(self) -> str: ...

    def observe(self) -> Observation: ...

    def start(self, min_units: int, max_units: int | None) -> bool: ...

    def stop(self) -> bool: ...


class ModelCallError(Exception):
    """A call to the model's service failed; ``transient`` when a later try may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Result(Enum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"
    # The guard refused a start or stop: another owner decides now.
    YIELDED = "yielded"


class Permit(Enum):
    """What a guard allows before a start, a stop, or taking a RUNNING model as done."""

    GO = "go"
    WAIT = "wait"  # not now: look again on the next beat
    YIELD = "yield"  # never in this run: another owner decides


class Guard(Protocol):
    """Asked before every start, stop and DONE of a model that should run (``before``), and told
    of every start or stop made (``acted``)."""

    def before(self, verb: Verb) -> Permit: ...

    def acted(self, verb: Verb) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """How a reconciliation ended. ``observation`` is the last look (None if none succeeded);
    ``acted``: the start or stop a run with ``act_once`` made before it ended."""

    result: Result
    observation: Observation | None = None
    reason: str = ""
    acted: Verb | None = None


@dataclass(frozen=True)
class Window:
    """How long this invocation may look (``seconds``, from its first look) and when the request
    gives up (``deadline``, epoch seconds)."""

    seconds: float
    deadline: float


class Reconciler:
    """Drives one model version towards ``desired``, one decision per look.

    ``clock`` and ``sleep`` default to the real ones; tests and the benchmark pass their own.
    """

    def __init__(
        self,
        model: Model,
        desired: Desired,
        *,
        step_seconds: float,
        quiet_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._model = model
        self._desired = desired
        self._step = step_seconds
        self._quiet = quiet_seconds
        self._clock = clock
        self._sleep = sleep

    def run(
        self,
        window: Window,
        *,
        first_look: bool,
        not_done_yet: Callable[[], bool] | None = None,
        guard: Guard | None = None,
        act_once: bool = False,
        seen: Observation | None = None,
        pace: Pace | None = None,
    ) -> Outcome:
        """Look, decide and act until the model is where it should be, fails, or ``window`` ends.

        ``not_done_yet`` is called once, after the first look that did not finish the request
        and before any start or stop (to set up polling first, so that a failed set-up leaves
        nothing running); when it returns False the run ends at once, PENDING.
        ``guard`` is asked before every start or stop, and before a model that should run is taken
        as done: YIELD ends the run, YIELDED, without acting; WAIT skips this beat's action.
        ``act_once``: the run ends, PENDING, right after its first start or stop.
        ``seen``: the caller's own look, just made, stands for the first.
        ``pace``: while the model is waited for, look only when it has a look due (cadence.py),
        from the first look on unless this is the request's first look; it is told of every
        look, start and stop.
        """
        observation: Observation | None = None
        first = self._clock()
        beats = 0  # looks made or skipped, on the beat that started with the first look
        quiet_until = 0.0
        throttled = 0  # transient failures in a row: the looks back off while they last
        action: Action | None = None
        if pace is not None and not first_look and seen is None:
            beats = self._beats_until(first, min(pace.next_look(first), window.deadline))
            if beats * self._step > window.seconds:
                return Outcome(Result.PENDING)
            self._sleep(max(0.0, first + beats * self._step - self._clock()))
        while True:
            beats += 1
            try:
                if seen is None:
                    observation = self._look(observation)
                    throttled = 0
                    if pace is not None:
                        pace.looked(self._clock(), observation.status)
                else:
                    observation, seen = seen, None
                action = decide(observation, self._desired, first_look=first_look)
                first_look = False
                if action.verb is Verb.FAIL:
                    return Outcome(Result.FAILED, observation, f"Model {self._model.label} {action.reason}")
                permit = Permit.GO
                if action.verb is Verb.DONE:
                    if not self._desired.running or guard is None:
                        return Outcome(Result.DONE, observation)
                    permit = guard.before(Verb.DONE)
                    if permit is Permit.GO:
                        return Outcome(Result.DONE, observation)
                if not_done_yet is not None:
                    carry_on, not_done_yet = not_done_yet(), None
                    if not carry_on:
                        return Outcome(Result.PENDING, observation)
                if action.verb in (Verb.START, Verb.STOP) and guard is not None:
                    permit = guard.before(action.verb)
                    if permit is Permit.YIELD:
                        return Outcome(Result.YIELDED, observation)
                if permit is Permit.GO and action.verb in (Verb.START, Verb.STOP):
                    made = self._act(action.verb)
                    quiet_until = self._clock() + self._quiet
                    if made and guard is not None:
                        guard.acted(action.verb)
                    if made and pace is not None:
                        (pace.started if action.verb is Verb.START else pace.stopped)(self._clock())
                    if act_once:
                        return Outcome(Result.PENDING, observation, acted=action.verb if made else None)
            except ModelCallError as error:
                if not error.transient:
                    return Outcome(Result.FAILED, observation, str(error))
                throttled += 1
                action = None
                logger.warning("%s; trying again at the next look", error)
                if not_done_yet is not None:
                    carry_on, not_done_yet = not_done_yet(), None
                    if not carry_on:
                        return Outcome(Result.PENDING, observation)
            now = self._clock()
            if now >= window.deadline:
                return Outcome(Result.FAILED, observation, self._late_reason(observation))
            beats, next_look = next_look_on_the_beat(first, beats, self._step, quiet_until)
            if throttled:  # every failure in a row doubles the wait, so that the service's limit is shared
                beats = max(beats, self._beats_until(first, now + self._step * 2 ** (throttled - 1)))
            elif pace is not None and action is not None and action.verb is not Verb.DONE:
                beats = max(beats, self._beats_until(first, min(pace.next_look(next_look), window.deadline)))
            next_look = first + beats * self._step
            if next_look - first > window.seconds:
                return Outcome(Result.PENDING, observation)
            self._sleep(max(0.0, next_look - now))
            if self._clock() - first > window.seconds:  # the sleep overran the window: look no more
                return Outcome(Result.PENDING, observation)

    def _beats_until(self, first: float, moment: float) -> int:
        """The first beat (counted from ``first``) at or after ``moment``."""
        return max(0, math.ceil((moment - first) / self._step - 1e-9))

    def _act(self, verb: Verb) -> bool:
        if verb is Verb.START:
            logger.info("Starting %s with %s", self._model.label, _units(self._desired))
            return self._model.start(self._desired.min_units, self._desired.max_units)
        logger.info("Stopping %s", self._model.label)
        return self._model.stop()

    def _look(self, previous: Observation | None) -> Observation:
        observation = self._model.observe()
        if previous is None or (observation.status, observation.min_units, observation.max_units) != (
            previous.status,
            previous.min_units,
            previous.max_units,
        ):
            logger.info("Model %s is %s", self._model.label, _describe(observation))
        return observation

    def _late_reason(self, observation: Observation | None) -> str:
        target = "RUNNING" if self._desired.running else "STOPPED"
        state = observation.status if observation and observation.status else "unknown"
        return (
            f"Timed out waiting for model {self._model.label} to be {target}: it is still {state}. "
            "Raise the RunningModel timeout (at most 60 minutes) or check the model in the Rekognition console."
        )


def next_look_on_the_beat(first: float, beats: int, step: float, quiet_until: float) -> tuple[int, float]:
    """The beat (counted from the first look) and the time of the next look.

    Looks keep to a fixed beat from the first one, however long each took, so that they stay
    ``step`` apart across invocations; beats that fall in the quiet time after the handler's own
    start or stop (before ``quiet_until``) are skipped.
    """
    while first + beats * step < quiet_until:
        beats += 1
    return beats, first + beats * step


def _units(desired: Desired) -> str:
    if desired.max_units is None:
        return f"{desired.min_units} inference unit(s)"
    return f"{desired.min_units} to {desired.max_units} inference units"


def _describe(observation: Observation) -> str:
    if observation.status is None:
        return "not found"
    text = observation.status
    if observation.min_units is not None:
        text += f" (min {observation.min_units}, max {observation.max_units or observation.min_units} inference units)"
    if observation.message:
        text += f": {observation.message}"
    return text
