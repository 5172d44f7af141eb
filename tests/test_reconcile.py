"""The look-decide-act loop and the request lifecycle on a virtual clock, with a scripted model.

The real Rekognition client is exercised against the HTTP fake in test_handler.py; here the
model is a script, so that minutes of polling take no time.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from running_model.decision import Desired, Observation
from running_model.lifecycle import CLEANUP, DEADLINE, PROJECT_ARN, Lifecycle
from running_model.properties import ModelVersion
from running_model.reconcile import Reconciler, Result, Window
from running_model.rekognition import RekognitionError
from running_model.settings import Timing

from testdata import version_arn

ARN = version_arn()
VERSION = ModelVersion.from_arn(ARN)
THROTTLED = RekognitionError("DescribeProjectVersions", "ThrottlingException", "slow down", transient=True)
DENIED = RekognitionError("DescribeProjectVersions", "AccessDeniedException", "no", transient=False)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedModel:
    """Answers each observe() with the next entry of ``script`` (the last one repeats)."""

    def __init__(self, *script: Observation | RekognitionError, project_arn: str | None = None) -> None:
        self.script = list(script)
        self.version = VERSION
        self.known_project_arn = project_arn
        self.started: list[tuple[int, int | None]] = []
        self.stops = 0
        self.looks = 0

    def observe(self) -> Observation:
        self.looks += 1
        entry = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(entry, RekognitionError):
            raise entry
        return entry

    def start(self, min_units: int, max_units: int | None) -> None:
        self.started.append((min_units, max_units))

    def stop(self) -> None:
        self.stops += 1


def run(
    model: ScriptedModel, desired: Desired, *, window: float = 45, deadline: float = 3600, first_look: bool = True
) -> Any:
    clock = Clock()
    reconciler = Reconciler(model, desired, step_seconds=10, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    return reconciler.run(Window(window, clock.now + deadline), first_look=first_look), clock


RUN = Desired(running=True, min_units=1)
STARTING = Observation("STARTING", 1, 1)
RUNNING = Observation("RUNNING", 1, 1)


def test_looks_every_step_until_running() -> None:
    model = ScriptedModel(Observation("STOPPED"), STARTING, STARTING, RUNNING)
    outcome, clock = run(model, RUN)
    assert outcome.result is Result.DONE and outcome.observation == RUNNING
    assert model.started == [(1, None)] and model.looks == 4
    assert clock.now == 1_000_000 + 30


def test_the_window_ends_the_invocation_before_the_next_scheduled_one() -> None:
    model = ScriptedModel(STARTING)
    outcome, clock = run(model, RUN, window=45)
    assert outcome.result is Result.PENDING
    assert model.looks == 5 and clock.now == 1_000_000 + 40


def test_the_deadline_fails_with_what_the_model_was_doing() -> None:
    model = ScriptedModel(STARTING)
    outcome, _ = run(model, RUN, window=3600, deadline=25)
    assert outcome.result is Result.FAILED
    assert outcome.reason.startswith("Timed out waiting for model widgets/v1 to be RUNNING: it is still STARTING.")


def test_a_burst_beyond_botocore_retries_is_waited_out() -> None:
    model = ScriptedModel(THROTTLED, THROTTLED, STARTING, RUNNING)
    outcome, _ = run(model, RUN)
    assert outcome.result is Result.DONE and model.looks == 4


def test_a_lasting_transient_error_meets_the_deadline_not_a_crash() -> None:
    model = ScriptedModel(THROTTLED)
    outcome, _ = run(model, RUN, window=3600, deadline=60)
    assert outcome.result is Result.FAILED and "still unknown" in outcome.reason


def test_a_permanent_error_fails_at_once_with_the_call_and_code() -> None:
    model = ScriptedModel(DENIED)
    outcome, _ = run(model, RUN)
    assert outcome.result is Result.FAILED and model.looks == 1
    assert outcome.reason == "DescribeProjectVersions failed: AccessDeniedException: no"


def test_failed_only_counts_as_a_failure_after_the_first_look() -> None:
    failed = Observation("FAILED", message="capacity")
    first, _ = run(ScriptedModel(failed, STARTING, RUNNING), RUN, first_look=True)
    assert first.result is Result.DONE
    poll, _ = run(ScriptedModel(failed), RUN, first_look=False)
    assert poll.result is Result.FAILED and "capacity" in poll.reason


def test_one_log_line_per_status_change(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel(STARTING, STARTING, STARTING, RUNNING)
    with caplog.at_level(logging.INFO, logger="running_model"):
        run(model, RUN)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Model ")]
    assert lines == [
        "Model widgets/v1 is STARTING (min 1, max 1 inference units)",
        "Model widgets/v1 is RUNNING (min 1, max 1 inference units)",
    ]


# The lifecycle: what a request's Data carries between polls, and what a failure leaves behind.

TIMING = Timing(
    step_seconds=10, window_seconds=45, deadline_margin_seconds=90, reserve_seconds=60, cleanup_seconds=7200
)


def lifecycle_with(model: ScriptedModel, clock: Clock) -> Lifecycle:
    def connect(version: ModelVersion, project_arn: str | None) -> Any:
        assert version == VERSION
        if project_arn:
            model.known_project_arn = project_arn
        return model

    return Lifecycle(TIMING, model_factory=connect, clock=clock, sleep=clock.sleep)


def create_event(**properties: str) -> dict[str, Any]:
    return {"RequestType": "Create", "ResourceProperties": {"ProjectVersionArn": ARN, **properties}}


def test_the_first_look_sets_the_deadline_from_service_timeout_less_the_margin() -> None:
    clock, data = Clock(), {}
    model = ScriptedModel(STARTING, project_arn="arn:project")
    answer = lifecycle_with(model, clock).handle(
        create_event(ServiceTimeout="1200"), data, polling=False, remaining_seconds=180
    )
    assert not answer.finished
    assert data[DEADLINE] == 1_000_000 + 1200 - 90
    assert data[PROJECT_ARN] == "arn:project"


def test_polls_keep_the_first_deadline() -> None:
    clock, data = Clock(), {DEADLINE: 1_000_000 + 5.0}
    answer = lifecycle_with(ScriptedModel(STARTING), clock).handle(
        create_event(), data, polling=True, remaining_seconds=180
    )
    assert answer.finished and answer.failure_reason.startswith("Timed out")


def test_the_window_shrinks_when_the_lambda_has_little_time_left() -> None:
    clock = Clock()
    model = ScriptedModel(STARTING)
    lifecycle_with(model, clock).handle(create_event(), {}, polling=True, remaining_seconds=80)
    assert model.looks == 3, "80 s left less the 60 s reserve leaves a 20 s window: looks at 0, 10 and 20 s"


def test_a_failure_while_running_stops_the_model() -> None:
    clock = Clock()
    model = ScriptedModel(Observation("RUNNING", 2, 2), DENIED)
    answer = lifecycle_with(model, clock).handle(
        create_event(MinInferenceUnits="1"), {}, polling=False, remaining_seconds=180
    )
    assert model.stops == 2, "one stop to restart with new units, one to clean up"
    assert answer.failure_reason == "DescribeProjectVersions failed: AccessDeniedException: no. The model was stopped."


def test_a_failure_while_starting_leaves_a_cleanup_for_later_polls() -> None:
    clock, data = Clock(), {DEADLINE: 1_000_000 + 1.0}
    model = ScriptedModel(STARTING)
    answer = lifecycle_with(model, clock).handle(create_event(), data, polling=True, remaining_seconds=180)
    assert answer.cleanup is not None and answer.cleanup["ProjectVersionArn"] == ARN
    assert answer.cleanup[DEADLINE] == pytest.approx(clock.now + 7200)
    assert model.stops == 0


def test_a_cleanup_poll_stops_the_model_once_it_runs_and_finishes_silently() -> None:
    clock = Clock()
    model = ScriptedModel(STARTING, RUNNING, Observation("STOPPED"))
    data = {CLEANUP: {"ProjectVersionArn": ARN, PROJECT_ARN: "arn:project", DEADLINE: clock.now + 7200}}
    answer = lifecycle_with(model, clock).handle({"RequestType": "Create"}, data, polling=True, remaining_seconds=180)
    assert answer.finished and answer.silent and model.stops == 1
    assert model.known_project_arn == "arn:project"


def test_a_delete_of_something_never_created_makes_no_call() -> None:
    clock = Clock()
    lifecycle = Lifecycle(
        TIMING, model_factory=lambda *_: pytest.fail("no client expected"), clock=clock, sleep=clock.sleep
    )
    answer = lifecycle.handle(
        {"RequestType": "Delete", "PhysicalResourceId": "Stack_Detector_ABCDEFGH"},
        {},
        polling=False,
        remaining_seconds=180,
    )
    assert answer.finished and not answer.failure_reason and answer.physical_id == "Stack_Detector_ABCDEFGH"


def test_not_done_yet_is_called_once_after_the_first_unfinished_look() -> None:
    calls: list[int] = []
    model = ScriptedModel(Observation("STOPPED"), STARTING, STARTING, RUNNING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    window = Window(45, clock.now + 3600)
    outcome = reconciler.run(window, first_look=True, not_done_yet=lambda: calls.append(model.looks) or True)
    assert outcome.result is Result.DONE and calls == [1]


def test_not_done_yet_returning_false_ends_the_run() -> None:
    model = ScriptedModel(STARTING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    outcome = reconciler.run(Window(45, clock.now + 3600), first_look=True, not_done_yet=lambda: False)
    assert outcome.result is Result.PENDING and model.looks == 1


def test_not_done_yet_is_not_called_when_the_first_look_finishes() -> None:
    clock = Clock()
    reconciler = Reconciler(ScriptedModel(RUNNING), RUN, step_seconds=10, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    outcome = reconciler.run(
        Window(45, clock.now + 3600), first_look=True, not_done_yet=lambda: pytest.fail("not expected")
    )
    assert outcome.result is Result.DONE


def test_the_default_timing_looks_six_times_a_minute_and_ends_before_the_next_poll() -> None:
    timing = Timing()
    model = ScriptedModel(STARTING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=timing.step_seconds, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    outcome = reconciler.run(Window(timing.window_seconds, clock.now + 3600), first_look=False)
    assert outcome.result is Result.PENDING
    assert model.looks == 6 and clock.now - 1_000_000 == 50 < timing.poll_interval_minutes * 60


def test_looks_keep_their_beat_when_a_look_is_slow() -> None:
    clock = Clock()
    times: list[float] = []

    class SlowModel(ScriptedModel):
        def observe(self) -> Observation:
            times.append(clock.now - 1_000_000)
            clock.now += 3  # each look takes 3 s
            return super().observe()

    reconciler = Reconciler(SlowModel(STARTING), RUN, step_seconds=10, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    reconciler.run(Window(50, clock.now + 3600), first_look=False)
    assert times == [0, 10, 20, 30, 40, 50]


def test_after_a_start_looks_pause_for_the_quiet_time_on_the_same_beat() -> None:
    clock = Clock()
    times: list[float] = []

    class Timed(ScriptedModel):
        def observe(self) -> Observation:
            times.append(clock.now - 1_000_000)
            return super().observe()

    model = Timed(Observation("STOPPED"), STARTING)
    reconciler = Reconciler(model, RUN, step_seconds=10, quiet_seconds=30, clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
    assert reconciler.run(Window(50, clock.now + 3600), first_look=True).result is Result.PENDING
    assert model.started == [(1, None)]
    assert times == [0, 30, 40, 50]
