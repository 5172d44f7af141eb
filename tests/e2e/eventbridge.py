"""EventBridge for crhelper's poll rules: fires each rule's target Input on its schedule.

Rules are read from moto; a ``rate(N minutes)`` rule fires N minutes after it appeared and every
N minutes after that, whether or not the previous invocation has ended, as EventBridge does.
``seconds_per_minute`` compresses the schedule for speed (60 is the real one).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field

from lambda_runtime import LambdaService
from support.fakes.aws import poll_rules

_RATE = re.compile(r"^rate\((\d+) minutes?\)$")


@dataclass
class EventBridgeScheduler:
    aws_endpoint: str
    rule_prefix: str
    lambda_service: LambdaService
    seconds_per_minute: float
    tick_seconds: float = 0.05
    firings: int = 0
    _next_firing: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            now = time.monotonic()
            rules = {rule["Name"]: rule for rule in poll_rules(self.aws_endpoint, self.rule_prefix)}
            for name in set(self._next_firing) - set(rules):
                del self._next_firing[name]
            for name, rule in rules.items():
                period = self._period(rule["ScheduleExpression"])
                due = self._next_firing.setdefault(name, now + period)
                if now < due or rule.get("State") != "ENABLED":
                    continue
                self._next_firing[name] = due + period
                for target in rule["Targets"]:
                    self.firings += 1
                    self.lambda_service.invoke_async(json.loads(target["Input"]))

    def _period(self, expression: str) -> float:
        match = _RATE.match(expression)
        assert match, f"crhelper made an unexpected schedule: {expression}"
        return int(match.group(1)) * self.seconds_per_minute
