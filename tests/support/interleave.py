"""Interleavings: several paths (callables, each on its own thread) run with one outgoing call at a time,
in an order a strategy chooses, so that races between them are played out deterministically.

What is gated: every HTTP attempt a boto3 client makes (``botocore.endpoint.Endpoint._send``, so each
retry attempt is a step of its own), and the handler's answer to CloudFormation (``put_answer`` where
the handler looks it up, ``ANSWER_SITES``). A call from a thread that belongs to no path (crhelper's
timer, the stand-ins' server threads, the test itself) passes ungated, and so does a path's call made
inside ``ungated()`` (a test's own look at the world from within a path). A path may also ``pause()``:
it waits there as at a gate, and time passes there (the minute between a request's polls): switching
away from a pausing path is no preemption, while ending a pause when another path could go on is one.

How a run goes (``interleave``):

1. The paths are started one after the other; each runs until it is blocked at a gate or finished.
2. At each choice point (every unfinished path blocked at a gate: a path that is running, or sleeping,
   is waited for) the strategy picks one blocked path, whose call goes. That path alone runs on, to
   its next gate or its end, and so on until every path has finished. So at most one path runs at a
   time: the order of everything the paths do is the schedule's.
3. Every granted call is recorded in the trace: (path, service, operation, attempt, fault). If no path
   reaches a gate or finishes for ``no_progress_seconds`` (60 s), the run fails (``NoProgressError``) with
   the trace in its message.

Strategies (anything with ``choose(ChoicePoint) -> path name``), each deterministic: the same schedule
over the same world gives the same trace.

- ``Explicit(steps)``: a list of path names (one call each), or steps that say more: ``through(path,
  operation)`` (the path's calls up to and including its next call of ``operation``), ``until(path,
  operation)`` (up to, not including), ``to_end(path)``. A step that cannot be followed (its path has
  finished, or finishes before the operation) fails the run at once with ``ScheduleError``, saying
  which step and why: a schedule that no longer fits the code is never silently reinterpreted. Once
  the steps are used up, the run goes on without preempting (``without_preempting``): the path that
  went last goes on while it can and does not pause, else the first path in the order the paths were
  given that does not pause, else the first that does.
- ``explore(max_preemptions)``: a generator of ``Enumerated`` schedules, every schedule with at most
  that many preemptions (holding back a path that could go on: see ``ChoicePoint.preempts``), as
  CHESS explores them: run a schedule, record its choice points, then branch at each one the run
  reached past its prefix. Each schedule it yields must be run (with fresh paths over a fresh world)
  before the next is asked for. Two paths of n and m calls have C(n+m, n) schedules; with one
  preemption, n+m.
- ``Seeded(seed)``: a pseudo-random choice at every point, from ``random.Random(seed)``.

Faults, for one attempt chosen by path, operation and occurrence (the path's n-th attempt of that
operation, retries counted): ``Fault.lost_reply``, the request reaches the server and takes effect,
and the client is answered HTTP 500 (botocore retries it: the retry is the next occurrence); or
``Fault.error``, the attempt is answered with an AWS error without reaching the server (botocore parses
it, and retries it if the code is retryable). On ``put_answer`` (service "cloudformation", operation
"PutAnswer"), a lost reply delivers the answer and reports it undelivered; an error delivers nothing.

The handler as a path: ``invocation`` (one Lambda invocation in a fresh module, as a separate
container would run it) and ``request`` (a request's first look, then, after a pause each, its polls
until it is answered or nothing polls it any more). With a ``VirtualClock`` their handler modules read
the time and sleep on it (``handler_module``): sleeps take no real time and move every path's clock
on, and the handler's looking windows do not run out while a path waits at a gate, so the traces do
not depend on the machine's speed. Give the fake Rekognition the same clock (``FakeRekognition(clock=
clock.time)``) for its starts and stops to take virtual time too.

Usage::

    clock = VirtualClock()
    paths = {
        "window": invocation(window_event, function_name=world.function_name, clock=clock),
        "delete": request(world, delete_event, clock=clock),
    }
    run = interleave(paths, Explicit([through("window", "ListTagsForResource"), to_end("delete")]))
    print(run)  # the trace, one call a line, and the schedule that plays it again

    for schedule in explore(max_preemptions=1):
        ...  # the world as it was, and fresh paths
        run = interleave(paths, schedule)
        ...  # check the invariant; run.schedule pins a schedule that breaks it
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import random
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint

from running_model.lifecycle import Lifecycle
from running_model.repair import Repairer

from support.world import LambdaContext, World, load_handler

ANSWER_SERVICE = "cloudformation"
ANSWER_OPERATION = "PutAnswer"
# Where the handler looks up the function that delivers its answers (resource.py imports it by name).
ANSWER_SITES: tuple[tuple[str, str], ...] = (("running_model.answers", "put_answer"),)
NO_PROGRESS_SECONDS = 60.0


class ScheduleError(AssertionError):
    """A schedule could not be followed: it names a path that has finished or no path at all, or a run
    did not repeat the choices an enumerated schedule replays (the world was not as before)."""


class NoProgressError(AssertionError):
    """No path reached a gate or finished for the guard's time."""


class PathError(AssertionError):
    """A path raised; the run's trace is in the message, the path's error is the cause."""


@dataclass(frozen=True)
class Call:
    """One granted attempt: which path made it, to which service and operation, which attempt of its
    call (botocore counts retries from 1), and the fault injected, if any."""

    path: str
    service: str
    operation: str
    attempt: int = 1
    fault: str = ""
    yields: bool = False  # a pause (``pause()``), no call: switching away from it preempts nothing

    def __str__(self) -> str:
        fault = f" [{self.fault}]" if self.fault else ""
        return f"{self.path}: {self.service} {self.operation} #{self.attempt}{fault}"


@dataclass(frozen=True)
class Fault:
    """A fault for one attempt: the ``occurrence``-th attempt of ``operation`` by ``path``.

    ``code`` None: the reply is lost (the attempt takes effect, the client sees HTTP 500). Otherwise
    the attempt is answered with that AWS error code and ``http_status`` and never reaches the server.
    """

    path: str
    operation: str
    occurrence: int = 1
    code: str | None = None
    http_status: int = 400

    @classmethod
    def lost_reply(cls, path: str, operation: str, occurrence: int = 1) -> Fault:
        return cls(path, operation, occurrence)

    @classmethod
    def error(cls, path: str, operation: str, code: str, occurrence: int = 1, http_status: int = 400) -> Fault:
        return cls(path, operation, occurrence, code, http_status)

    @property
    def description(self) -> str:
        return "reply lost" if self.code is None else f"{self.code}, not sent"


@dataclass(frozen=True)
class ChoicePoint:
    """Every unfinished path is blocked at a gate: which may go (``enabled``, in the paths' order), the
    call each would make, the paths that have finished, and the path that went last (None at first)."""

    index: int
    enabled: tuple[str, ...]
    current: str | None
    pending: Mapping[str, Call]
    finished: tuple[str, ...] = ()

    def preempts(self, name: str) -> bool:
        """Whether choosing ``name`` holds back a path that could go on: it switches away from the path
        that went last while that one can go on (and does not pause), or it ends ``name``'s pause
        while another path can go on (time passes at a pause: the others would go first)."""
        if self.pending[name].yields:
            return any(not self.pending[other].yields for other in self.enabled)
        if self.current is None or self.current not in self.enabled or name == self.current:
            return False
        return not self.pending[self.current].yields


class Strategy(Protocol):
    def choose(self, point: ChoicePoint) -> str:
        """The path whose call goes next: one of ``point.enabled``."""
        ...


def without_preempting(point: ChoicePoint) -> str:
    """The path that went last while it can go on; else (it has finished, or pauses: time passes) the
    first blocked path in the paths' order that does not pause, else the first that does."""
    if point.current in point.enabled and not point.pending[point.current].yields:
        return point.current
    going = [name for name in point.enabled if not point.pending[name].yields]
    return (going or list(point.enabled))[0]


# Explicit schedules

_ONE_CALL = "*"  # the operation of a step that is a path's name: one call, whatever it is


@dataclass(frozen=True)
class Step:
    """A step of an explicit schedule: grant ``path``'s calls until ``operation`` (None: its end).

    ``including`` the call of ``operation`` itself; ``occurrence``: the how-manieth call of it from
    when the step begins."""

    path: str
    operation: str | None = None
    including: bool = True
    occurrence: int = 1

    def __str__(self) -> str:
        if self.operation is None:
            return f"to_end({self.path!r})"
        name = "through" if self.including else "until"
        times = f", occurrence={self.occurrence}" if self.occurrence != 1 else ""
        return f"{name}({self.path!r}, {self.operation!r}{times})"


def through(path: str, operation: str, occurrence: int = 1) -> Step:
    """``path``'s calls up to and including its next (``occurrence``-th) call of ``operation``."""
    return Step(path, operation, including=True, occurrence=occurrence)


def until(path: str, operation: str, occurrence: int = 1) -> Step:
    """``path``'s calls up to its next (``occurrence``-th) call of ``operation``, which does not go yet."""
    return Step(path, operation, including=False, occurrence=occurrence)


def to_end(path: str) -> Step:
    """``path``'s calls until it has finished."""
    return Step(path)


class Explicit:
    """Follows ``steps`` (path names, one call each, or ``Step``s), then goes on without preempting.

    A step that cannot be followed raises ScheduleError: the path it names has finished (or finishes
    before the step's operation), or is no path of the run. ``to_end`` of a path that has finished
    already is simply done.
    """

    def __init__(self, steps: Sequence[str | Step]) -> None:
        self.steps = [Step(step, _ONE_CALL) if isinstance(step, str) else step for step in steps]
        self._at = 0  # the step being followed
        self._seen = 0  # calls of the step's operation met since the step began
        self._granted = 0  # calls granted in this step

    def choose(self, point: ChoicePoint) -> str:
        while self._at < len(self.steps):
            step = self.steps[self._at]
            if step.operation == _ONE_CALL and self._granted:
                self._next_step()
                continue
            if step.path not in point.enabled:  # at a choice point, every unfinished path is blocked
                if step.operation is None and step.path in point.finished:
                    self._next_step()
                    continue
                raise ScheduleError(self._cannot(step, point))
            if step.operation not in (_ONE_CALL, None) and point.pending[step.path].operation == step.operation:
                self._seen += 1
                if self._seen >= step.occurrence:
                    self._next_step()
                    if not step.including:
                        continue
                    return step.path
            self._granted += 1
            return step.path
        return without_preempting(point)

    def _next_step(self) -> None:
        self._at, self._seen, self._granted = self._at + 1, 0, 0

    def _cannot(self, step: Step, point: ChoicePoint) -> str:
        shown = repr(step.path) if step.operation == _ONE_CALL else str(step)
        if step.path not in point.finished:
            why = f"is not a path of this run (the paths: {', '.join(sorted({*point.enabled, *point.finished}))})"
        elif step.operation not in (_ONE_CALL, None):
            why = f"finished before its call of {step.operation}"
        else:
            why = "has finished"
        return f"step {self._at + 1} of the schedule, {shown}, cannot be followed: {step.path!r} {why}"

    def __repr__(self) -> str:
        return "Explicit([" + ", ".join(repr(s.path) if s.operation == _ONE_CALL else str(s) for s in self.steps) + "])"


# Enumeration


@dataclass
class Enumerated:
    """One schedule of ``explore``: its ``prefix`` of choices is fixed, then it goes on without
    preempting; a run records its choice points and choices here."""

    prefix: list[str]
    points: list[ChoicePoint] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)

    def choose(self, point: ChoicePoint) -> str:
        if point.index < len(self.prefix):
            name = self.prefix[point.index]
            if name not in point.enabled:
                raise ScheduleError(
                    f"the run did not repeat itself: at choice point {point.index} the prefix chooses {name!r}, "
                    f"but only {', '.join(point.enabled)} can go (is the world reset before each schedule?)"
                )
        else:
            name = without_preempting(point)
        self.points.append(point)
        self.choices.append(name)
        return name

    @property
    def preemptions(self) -> int:
        return sum(1 for point, name in zip(self.points, self.choices, strict=True) if point.preempts(name))

    def __repr__(self) -> str:
        return f"Enumerated({compact(self.choices or self.prefix)})"


def explore(max_preemptions: int | None = None) -> Iterator[Enumerated]:
    """Every schedule with at most ``max_preemptions`` preemptions (None: every schedule), those with
    fewer preemptions first (CHESS's iterative context bounding: the simplest schedule that breaks
    something comes first); among as many preemptions, the branches of the runs made first, earliest
    choice point first.

    Run each schedule yielded (``interleave(fresh_paths, schedule)``) before asking for the next: the
    branches come from the choice points that run recorded. The runs must be deterministic (the world
    as it was each time); a prefix that a run does not follow raises ScheduleError.
    """
    pending: dict[int, list[Enumerated]] = {0: [Enumerated([])]}
    while any(pending.values()):
        bound = min(count for count, schedules in pending.items() if schedules)
        schedule = pending[bound].pop(0)
        yield schedule
        if len(schedule.choices) < len(schedule.prefix):
            raise ScheduleError(f"{schedule!r} was not run before the next schedule was asked for")
        # The choices past the prefix are the non-preempting defaults: branch at each of their points.
        branches: dict[int, list[Enumerated]] = {}
        for index in range(len(schedule.prefix), len(schedule.points)):
            point = schedule.points[index]
            for name in point.enabled:
                cost = bound + point.preempts(name)
                if name != schedule.choices[index] and (max_preemptions is None or cost <= max_preemptions):
                    branches.setdefault(cost, []).append(Enumerated([*schedule.choices[:index], name]))
        for cost, found in branches.items():
            pending.setdefault(cost, []).extend(found)


class Seeded:
    """A pseudo-random choice among the blocked paths at every point, from ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._random = random.Random(seed)

    def choose(self, point: ChoicePoint) -> str:
        return self._random.choice(point.enabled)

    def __repr__(self) -> str:
        return f"Seeded({self.seed})"


def compact(names: Sequence[str]) -> str:
    """A schedule of path names, runs counted: 'window ×3, delete ×9, window'."""
    parts: list[str] = []
    for name in names:
        if parts and parts[-1].split(" ×")[0] == name:
            head, _, count = parts[-1].partition(" ×")
            parts[-1] = f"{head} ×{int(count or 1) + 1}"
        else:
            parts.append(name)
    return ", ".join(parts) or "(no call)"


# The run


@dataclass
class Run:
    """What a run did: the granted calls in order, each path's result or error."""

    trace: list[Call]
    results: dict[str, Any]
    errors: dict[str, BaseException]
    strategy: Any = None

    @property
    def schedule(self) -> list[str]:
        """The path of every granted call: as an Explicit schedule, it plays this run again."""
        return [call.path for call in self.trace]

    def calls(self, path: str) -> list[Call]:
        return [call for call in self.trace if call.path == path]

    def __str__(self) -> str:
        lines = [f"{index:3d}  {call}" for index, call in enumerate(self.trace, 1)]
        return "\n".join([*lines, f"schedule: {compact(self.schedule)}", f"as a list: {self.schedule!r}"])


def interleave(
    paths: Mapping[str, Callable[[], Any]],
    strategy: Strategy,
    *,
    faults: Sequence[Fault] = (),
    no_progress_seconds: float = NO_PROGRESS_SECONDS,
    raise_errors: bool = True,
    answer_sites: Sequence[tuple[str, str]] = ANSWER_SITES,
) -> Run:
    """Run ``paths`` (name -> callable) one gated call at a time, in the order ``strategy`` chooses.

    Returns the Run. A path that raised makes it raise PathError (with the trace) unless
    ``raise_errors`` is False: its error is then in ``Run.errors``.
    """
    scheduler = _Scheduler(paths, strategy, faults, no_progress_seconds)
    run = scheduler.run(answer_sites)
    if raise_errors and run.errors:
        name, error = next(iter(run.errors.items()))
        detail = "".join(traceback.format_exception(error)).rstrip()
        raise PathError(f"path {name!r} raised {error!r}\n{detail}\ntrace:\n{run}") from error
    return run


class _Local(threading.local):
    def __init__(self) -> None:
        self.path: str | None = None
        self.ungated = False
        self.call: tuple[str, str, int, str] | None = None  # service, operation, attempt, protocol


_local = _Local()
_active: _Scheduler | None = None
_active_lock = threading.Lock()


@contextlib.contextmanager
def ungated() -> Iterator[None]:
    """Calls made inside the block by this thread pass ungated (a test's own look from within a path)."""
    before, _local.ungated = _local.ungated, True
    try:
        yield
    finally:
        _local.ungated = before


_RUNNING, _BLOCKED, _FINISHED_STATE = "running", "blocked", "finished"


class _Scheduler:
    def __init__(
        self,
        paths: Mapping[str, Callable[[], Any]],
        strategy: Strategy,
        faults: Sequence[Fault],
        no_progress_seconds: float,
    ) -> None:
        if not paths:
            raise ValueError("no path to run")
        self._paths = dict(paths)
        self._order = list(paths)
        self._strategy = strategy
        self._faults = list(faults)
        self._guard = no_progress_seconds
        self._condition = threading.Condition()
        self._state: dict[str, str] = {}
        self._pending: dict[str, Call] = {}
        self._go: dict[str, Fault | None] = {}
        self._attempts: Counter[tuple[str, str]] = Counter()
        self._aborted = False
        self.trace: list[Call] = []
        self.results: dict[str, Any] = {}
        self.errors: dict[str, BaseException] = {}

    # The main thread

    def run(self, answer_sites: Sequence[tuple[str, str]]) -> Run:
        global _active
        with _active_lock:
            if _active is not None:
                raise RuntimeError("an interleaving is running already")
            _active = self
        threads: list[threading.Thread] = []
        restore = _install(answer_sites)
        try:
            for name in self._order:
                thread = threading.Thread(target=self._path, args=(name,), name=f"path-{name}", daemon=True)
                with self._condition:
                    self._state[name] = _RUNNING
                thread.start()
                threads.append(thread)
                self._wait_until_quiet()
            current: str | None = None
            while True:
                self._wait_until_quiet()
                with self._condition:
                    enabled = tuple(name for name in self._order if self._state[name] == _BLOCKED)
                    if not enabled:
                        break
                    finished = tuple(name for name in self._order if self._state[name] == _FINISHED_STATE)
                    point = ChoicePoint(len(self.trace), enabled, current, dict(self._pending), finished)
                chosen = self._strategy.choose(point)
                if chosen not in enabled:
                    raise ScheduleError(
                        f"the strategy chose {chosen!r} at choice point {point.index}, where only "
                        f"{', '.join(enabled)} can go\ntrace so far:\n{self._run()}"
                    )
                self._grant(chosen)
                current = chosen
        except ScheduleError as error:
            self._abort(threads, wait=True)
            message = str(error) if "trace so far" in str(error) else f"{error}\ntrace so far:\n{self._run()}"
            raise ScheduleError(message) from None
        except BaseException as error:
            self._abort(threads, wait=not isinstance(error, NoProgressError))
            raise
        finally:
            restore()
            with _active_lock:
                _active = None
        for thread in threads:
            thread.join()
        return self._run()

    def _run(self) -> Run:
        return Run(list(self.trace), dict(self.results), dict(self.errors), self._strategy)

    def _wait_until_quiet(self) -> None:
        """Until no path is running (each is blocked at a gate or finished)."""
        with self._condition:
            if not self._condition.wait_for(lambda: _RUNNING not in self._state.values(), timeout=self._guard):
                running = [name for name, state in self._state.items() if state == _RUNNING]
                raise NoProgressError(
                    f"no progress for {self._guard:g} s: {', '.join(running)} neither reached a gate nor finished"
                    f"\ntrace so far:\n{self._run()}"
                )

    def _grant(self, name: str) -> None:
        with self._condition:
            call = self._pending.pop(name)
            self._attempts[(name, call.operation)] += 1
            occurrence = self._attempts[(name, call.operation)]
            fault = next(
                (f for f in self._faults if (f.path, f.operation, f.occurrence) == (name, call.operation, occurrence)),
                None,
            )
            described = fault.description if fault else ""
            self.trace.append(Call(call.path, call.service, call.operation, call.attempt, described, call.yields))
            self._state[name] = _RUNNING
            self._go[name] = fault
            self._condition.notify_all()

    def _abort(self, threads: list[threading.Thread], *, wait: bool) -> None:
        """Let every path go on ungated; with ``wait``, give them the guard's time to end (a path that
        made no progress is not waited for again)."""
        with self._condition:
            self._aborted = True
            self._condition.notify_all()
        if not wait:
            return
        deadline = time.monotonic() + self._guard
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # The paths' threads

    def _path(self, name: str) -> None:
        _local.path = name
        try:
            self.results[name] = self._paths[name]()
        except BaseException as error:  # reported by the run, with the trace
            self.errors[name] = error
        finally:
            _local.path = None
            with self._condition:
                self._state[name] = _FINISHED_STATE
                self._condition.notify_all()

    def gate(self, name: str, service: str, operation: str, attempt: int, *, yields: bool = False) -> Fault | None:
        """Block the calling path until its call is granted; the fault to apply to it, if any."""
        with self._condition:
            if self._aborted:
                return None
            self._pending[name] = Call(name, service, operation, attempt, yields=yields)
            self._state[name] = _BLOCKED
            self._condition.notify_all()
            self._condition.wait_for(lambda: name in self._go or self._aborted)
            if name not in self._go:  # aborted
                self._pending.pop(name, None)
                self._state[name] = _RUNNING
                return None
            return self._go.pop(name)


def _gate_here(service: str, operation: str, attempt: int, *, yields: bool = False) -> tuple[bool, Fault | None]:
    """(gated, fault) for a call by this thread: not gated outside a path, or inside ``ungated()``."""
    scheduler, path = _active, _local.path
    if scheduler is None or path is None or _local.ungated:
        return False, None
    return True, scheduler.gate(path, service, operation, attempt, yields=yields)


PAUSE_SERVICE = "pause"


def pause(reason: str = "NextPoll", count: int = 1) -> None:
    """A yield point: the calling path waits here as at a gate, for time to pass (EventBridge's minute
    before a request's next poll): switching away from it is no preemption, while ending it when
    another path could go on is one. In the trace: (path, "pause", reason, count). Outside a path it
    does nothing."""
    _gate_here(PAUSE_SERVICE, reason, count, yields=True)


# The gates


def _install(answer_sites: Sequence[tuple[str, str]]) -> Callable[[], None]:
    """Wrap botocore's sends and the answer sites; return what undoes it."""
    do_get_response, send = Endpoint._do_get_response, Endpoint._send

    def gated_do_get_response(self: Endpoint, request: Any, operation_model: Any, context: Any) -> Any:
        attempt = int(context.get("retries", {}).get("attempt", 1))
        service = operation_model.service_model.service_id.hyphenize()
        protocol = operation_model.service_model.resolved_protocol
        before, _local.call = _local.call, (service, operation_model.name, attempt, protocol)
        try:
            return do_get_response(self, request, operation_model, context)
        finally:
            _local.call = before

    def gated_send(self: Endpoint, request: Any) -> Any:
        if _local.call is None:
            return send(self, request)
        service, operation, attempt, protocol = _local.call
        gated, fault = _gate_here(service, operation, attempt)
        if not gated or fault is None:
            return send(self, request)
        if fault.code is None:
            send(self, request)  # it takes effect; the reply is lost on the way back
            return _made_up_response(request.url, protocol, "InternalFailure", 500, "the reply was lost (injected)")
        return _made_up_response(request.url, protocol, fault.code, fault.http_status, f"{fault.code} (injected)")

    Endpoint._do_get_response = gated_do_get_response
    Endpoint._send = gated_send
    originals: list[tuple[ModuleType, str, Any]] = []
    for module_name, attribute in answer_sites:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute)
        originals.append((module, attribute, original))
        setattr(module, attribute, _gated_answer(original))

    def restore() -> None:
        Endpoint._do_get_response = do_get_response
        Endpoint._send = send
        for module, attribute, original in originals:
            setattr(module, attribute, original)

    return restore


def _gated_answer(original: Callable[..., bool]) -> Callable[..., bool]:
    def put_answer(response_url: str, body: dict[str, Any]) -> bool:
        gated, fault = _gate_here(ANSWER_SERVICE, ANSWER_OPERATION, 1)
        if not gated or fault is None:
            return original(response_url, body)
        if fault.code is None:
            original(response_url, body)  # delivered; the handler is told it was not
        return False

    return put_answer


class _Body:
    """The raw body of a made-up HTTP response, as botocore reads one."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._payload


def _made_up_response(url: str, protocol: str, code: str, status: int, message: str) -> AWSResponse:
    """An error answer as the service's protocol words it, for botocore to parse (and maybe retry)."""
    headers = {"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": code}
    if protocol in ("query", "rest-xml", "ec2"):
        payload = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{headers['x-amzn-RequestId']}</RequestId></ErrorResponse>"
        ).encode()
        headers["Content-Type"] = "text/xml"
    else:
        payload = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        headers["Content-Type"] = "application/x-amz-json-1.1"
    return AWSResponse(url, status, headers, _Body(payload))


# The handler as a path


class VirtualClock:
    """Seconds since the epoch that move on only when a path sleeps: a sleep takes no real time and
    moves the clock of every path on (one path runs at a time, so the moves are the schedule's)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Move the clock on, as the time between two things a test does."""
        self.sleep(seconds)

    def set(self, moment: float) -> None:
        """Put the clock at ``moment`` (seconds since the epoch): where each of several runs starts."""
        with self._lock:
            self._now = moment


@dataclass
class VirtualContext(LambdaContext):
    """Lambda's context, counting down on a virtual clock (crhelper's timer still counts real time)."""

    clock: VirtualClock | None = None

    def __post_init__(self) -> None:
        if self.clock is not None:
            self._started = self.clock.time()

    def get_remaining_time_in_millis(self) -> int:
        if self.clock is None:
            return super().get_remaining_time_in_millis()
        return int((self.timeout_seconds - (self.clock.time() - self._started)) * 1000)


def handler_module(clock: VirtualClock | None = None) -> ModuleType:
    """A fresh handler module (a separate Lambda container: ``load_handler``), on ``clock`` if given:
    its lifecycle reads the time and sleeps there, its schedules' events read the time there. A path
    that waits for its resource's lease, or an event that waits for another owner's stop, pauses: the
    other paths go meanwhile, as they do while it sleeps. (A request's looks pause between its polls
    only, ``request``: a pause at every look would multiply the schedules to explore.)"""
    module = load_handler()
    if clock is not None:
        # As benchmarks/handlers.py puts the handler on its virtual clock: index.py's module-level parts.

        def waiting(seconds: float) -> None:
            pause("Wait")
            clock.sleep(seconds)

        helper = module.helper
        helper._clock, helper._sleep, helper.ledger._clock = clock.time, waiting, clock.time
        vars(module).update(
            lifecycle=Lifecycle(module.timing, clock=clock.time, sleep=clock.sleep),
            repairer=Repairer(
                ledger=helper.ledger,
                request_in_progress=helper.request_in_progress,
                timing=module.timing,
                clock=clock.time,
                sleep=waiting,
            ),
        )
    return module


def invocation(
    event: Mapping[str, Any],
    *,
    function_name: str,
    clock: VirtualClock | None = None,
    module: ModuleType | None = None,
    timeout_seconds: float = 180.0,
) -> Callable[[], None]:
    """A path: one Lambda invocation of the handler with ``event`` (a copy), in ``module`` or a fresh
    one. The module is loaded now, so that the path's first call is its handler's."""
    handler = module or handler_module(clock)
    payload = json.loads(json.dumps(event))

    def invoke() -> None:
        handler.handler(copy.deepcopy(payload), VirtualContext(function_name, timeout_seconds, clock=clock))

    return invoke


def request(
    world: World,
    event: Mapping[str, Any],
    *,
    clock: VirtualClock | None = None,
    module: ModuleType | None = None,
    max_polls: int = 50,
) -> Callable[[], int]:
    """A path: a CloudFormation request's first look, then its polls (each an invocation of the same
    module, a warm container) until it is answered or no poll rule names it any more. Returns the
    number of polls. Before each poll it pauses (``pause``): other paths may go first without
    preempting it. The look at the poll rules between invocations is the test's own: ungated."""
    handler = module or handler_module(clock)
    request_id = str(event["RequestId"])
    first = invocation(event, function_name=world.function_name, clock=clock, module=handler)

    def run() -> int:
        first()
        for polls in range(max_polls + 1):
            with ungated():
                if world.responses.answers_to(request_id):
                    return polls
                scheduled = [e for e in world.scheduled_inputs() if e.get("RequestId") == request_id]
            if not scheduled:
                return polls
            pause("NextPoll", polls + 1)  # a minute passes: other paths may go first, preempting none
            for poll in scheduled:
                invocation(poll, function_name=world.function_name, clock=clock, module=handler)()
        raise AssertionError(f"request {request_id} still polled after {max_polls} polls")

    return run
