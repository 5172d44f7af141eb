"""Lambda and EventBridge on the virtual clock, around the real handler code.

- ``SimulatedLambda`` runs each invocation as an actor in a container: a fresh import of a
  handler module, busy with one invocation at a time, reused while warm (a cold one costs an
  init time). The context's remaining time counts down on the virtual clock.
- ``SimulatedEventBridge`` learns of poll rules through a tap on the handler's EventBridge client
  (the calls themselves go to moto) and fires each rule's target on its ``rate()`` schedule, each
  firing a little late, as EventBridge fires "within the minute".
- ``AnswerBook`` receives the answers to CloudFormation, stamped with virtual time.
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from virtual_time import VirtualClock

_RATE = re.compile(r"^rate\((\d+) minutes?\)$")


@dataclass
class Invocation:
    request_id: str
    poll: bool
    started: float
    ended: float = 0.0
    cold: bool = False


@dataclass
class Context:
    """Lambda's context object, counting down on the virtual clock."""

    clock: VirtualClock
    function_name: str
    timeout_seconds: float
    started: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - (self.clock.now() - self.started)) * 1000)


@dataclass
class SimulatedLambda:
    clock: VirtualClock
    load_container: Callable[[], ModuleType]
    function_name: str
    rng: random.Random
    timeout_seconds: float = 180.0
    cold_start_seconds: float = 0.8
    invocations: list[Invocation] = field(default_factory=list)
    peak_concurrency: int = 0  # the most invocations running at once
    _running: int = 0
    _free: list[ModuleType] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, event: dict[str, Any]) -> None:
        """Asynchronous invocation, as CloudFormation and EventBridge make it."""
        self.clock.spawn(self._run, event)

    def _run(self, event: dict[str, Any]) -> None:
        self.clock.sleep(self.rng.uniform(0.05, 0.4))  # queueing and delivery
        with self._lock:
            container = self._free.pop() if self._free else None
            self._running += 1
            self.peak_concurrency = max(self.peak_concurrency, self._running)
        invocation = Invocation(event["RequestId"], "CrHelperPoll" in event, self.clock.now(), cold=container is None)
        if container is None:
            container = self.load_container()
            self.clock.sleep(self.cold_start_seconds)
        context = Context(self.clock, self.function_name, self.timeout_seconds, invocation.started)
        try:
            container.handler(event, context)
        finally:
            invocation.ended = self.clock.now()
            with self._lock:
                self._running -= 1
                self.invocations.append(invocation)
                self._free.append(container)

    def gb_seconds(self, memory_mb: int) -> float:
        return sum(i.ended - i.started for i in self.invocations) * memory_mb / 1024


@dataclass
class SimulatedEventBridge:
    clock: VirtualClock
    lambda_: SimulatedLambda
    rng: random.Random
    late_by_at_most: float = 2.0
    firings: int = 0
    peak_rules: int = 0
    _inputs: dict[str, str] = field(default_factory=dict)
    _deleted: set[str] = field(default_factory=set)
    _live: set[str] = field(default_factory=set)

    def tap(self, client: Any) -> Any:
        """``client``, reporting the rules the handler puts, targets and deletes."""
        return _EventsTap(client, self)

    def rule_put(self, name: str, schedule: str) -> None:
        match = _RATE.match(schedule)
        assert match, schedule
        self._live.add(name)
        self.peak_rules = max(self.peak_rules, len(self._live))
        self.clock.spawn(self._fire, name, int(match.group(1)) * 60.0, self.clock.now())

    def _fire(self, name: str, period: float, created: float) -> None:
        firing = 1
        while True:
            due = created + firing * period + self.rng.uniform(0.0, self.late_by_at_most)
            self.clock.sleep(due - self.clock.now())
            if name in self._deleted:
                return
            if name in self._inputs:
                self.firings += 1
                self.lambda_.invoke(json.loads(self._inputs[name]))
            firing += 1


class _EventsTap:
    def __init__(self, client: Any, eventbridge: SimulatedEventBridge) -> None:
        self._client = client
        self._eventbridge = eventbridge

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_rule(self, **arguments: Any) -> Any:
        response = self._client.put_rule(**arguments)
        self._eventbridge.rule_put(arguments["Name"], arguments["ScheduleExpression"])
        return response

    def put_targets(self, **arguments: Any) -> Any:
        response = self._client.put_targets(**arguments)
        self._eventbridge._inputs[arguments["Rule"]] = arguments["Targets"][0]["Input"]
        return response

    def delete_rule(self, **arguments: Any) -> Any:
        self._eventbridge._deleted.add(arguments["Name"])
        self._eventbridge._live.discard(arguments["Name"])
        return self._client.delete_rule(**arguments)


@dataclass
class AnswerBook:
    """The answers CloudFormation receives, by RequestId, with the virtual time of arrival."""

    clock: VirtualClock
    answers: dict[str, list[tuple[float, dict[str, Any]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, response_url: str, body: dict[str, Any], *_: Any) -> bool:
        with self._lock:
            self.answers.setdefault(body["RequestId"], []).append((self.clock.now(), body))
        return True

    def first(self, request_id: str) -> tuple[float, dict[str, Any]] | None:
        with self._lock:
            found = self.answers.get(request_id)
            return found[0] if found else None
