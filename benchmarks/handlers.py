"""The two handlers the benchmark compares, each loaded once per simulated Lambda container.

- ours: lambda/index.py itself, its clock and sleep the simulation's.
- baseline: crhelper as shipped (a poll every 2 minutes, 120 s sleep before answering a Delete,
  one look per invocation) around the same decisions (running_model.lifecycle).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from crhelper import CfnResource

from running_model.answers import Answers
from running_model.lifecycle import Lifecycle
from running_model.settings import Timing

from lambda_sim import AnswerBook, SimulatedEventBridge
from virtual_time import VirtualClock

INDEX = Path(__file__).resolve().parents[1] / "lambda" / "index.py"
_names = itertools.count()


def load_ours(clock: VirtualClock, eventbridge: SimulatedEventBridge, answers: AnswerBook) -> ModuleType:
    """A cold start of the real handler module, on the simulation's clock, answering to ``answers``."""
    spec = importlib.util.spec_from_file_location(f"index_{next(_names)}", INDEX)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.lifecycle = Lifecycle(module.timing, clock=clock.now, sleep=clock.sleep)
    helper = module.helper
    helper._clock, helper._sleep, helper.ledger._clock = clock.now, clock.sleep, clock.now
    helper.rules._client = helper._events_client = eventbridge.tap(helper._events_client)
    helper.answers = Answers(helper.ledger, put=answers.put)
    return module


class _StockCrhelper(CfnResource):  # type: ignore[misc]
    """crhelper's CfnResource with its default settings; only its clock and its mail are the simulation's."""

    def __init__(self, clock: VirtualClock, answers: AnswerBook) -> None:
        super().__init__(log_level="WARNING")  # defaults otherwise: polling_interval=2, sleep_on_delete=120
        self._clock = clock
        self._answers = answers

    def _wait_for_cwlogs(self, sleep: Any = None) -> None:
        super()._wait_for_cwlogs(sleep=self._clock.sleep)

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        super()._send(status, reason, send_response=self._answers.put)


def load_baseline(clock: VirtualClock, eventbridge: SimulatedEventBridge, answers: AnswerBook) -> Any:
    helper = _StockCrhelper(clock, answers)
    helper._events_client = eventbridge.tap(helper._events_client)
    timing = dataclasses.replace(Timing(), window_seconds=0, sparse_limit_seconds=0)  # one look per invocation
    lifecycle = Lifecycle(timing, clock=clock.now, sleep=clock.sleep)

    def handle(event: dict[str, Any], context: Any, *, polling: bool) -> str | None:
        answer = lifecycle.handle(
            event, helper.Data, polling=polling, remaining_seconds=context.get_remaining_time_in_millis() / 1000
        )
        if answer.failure_reason:
            raise RuntimeError(answer.failure_reason)
        return answer.physical_id if answer.finished else None

    for register in (helper.create, helper.update, helper.delete):
        register(lambda event, context: handle(event, context, polling=False))
    for register in (helper.poll_create, helper.poll_update, helper.poll_delete):
        register(lambda event, context: handle(event, context, polling=True))
    return SimpleNamespace(handler=helper)
