"""The look-decide-act loop and the request lifecycle on a virtual clock, with a scripted model.

The real Rekognition client is exercised against the HTTP fake in test_handler.py; here the
model is a script, so that minutes of polling take no time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

import pytest

from running_model.decision import STOPPED_STATE, Desired, Observation
from running_model.ledger import ResourceRecord
from running_model.lifecycle import DEADLINE, PROJECT_ARN, Lifecycle, PollingSetupError
from running_model.model_version import ModelVersion
from running_model.ownership import Owner
from running_model.reconcile import Reconciler, Result, Window, next_look_on_the_beat
from running_model.rekognition import RekognitionError
from running_model.settings import LONGEST_THROTTLED_CALL_SECONDS, Timing

from support.testdata import version_arn

ARN = version_arn()
VERSION = ModelVersion.from_arn(ARN)
THROTTLED = RekognitionError("DescribeProjectVersions", "ThrottlingException", "slow down", transient=True)
DENIED = RekognitionError("DescribeProjectVersions", "AccessDeniedException", "no", transient=False)
NOT_FOUND = RekognitionError("ListTagsForResource", "ResourceNotFoundException", "not found", transient=False)
# As botocore parses it from JSON: equal to the literal, not the same object.
TOO_MANY_TAGS = RekognitionError(
    "TagResource", json.loads('"ServiceQuotaExceededException"'), "too many", transient=False
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedModel:
    """Answers each observe() with the next entry of ``script`` (the last one repeats).

    ``tags`` are the version's tags; ``on_look[n]`` runs just before the n-th look (from 1).
    """

    def __init__(
        self,
        *script: Observation | RekognitionError,
        project_arn: str | None = None,
        tags: dict[str, str] | None = None,
        tag_error: RekognitionError | None = None,
        arn: str = ARN,
    ) -> None:
        self.script = list(script)
        self.version = ModelVersion.from_arn(arn)
        self.label = self.version.label
        self.known_project_arn = project_arn
        self.tags: dict[str, str] = dict(tags or {})
        self.tag_error = tag_error
        self.on_look: dict[int, Any] = {}
        self.calls: list[str] = []
        self.started: list[tuple[int, int | None]] = []
        self.stops = 0
        self.looks = 0

    def observe(self) -> Observation:
        self.looks += 1
        if self.looks in self.on_look:
            self.on_look[self.looks]()
        self.calls.append("observe")
        entry = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(entry, RekognitionError):
            raise entry
        return entry

    def start(self, min_units: int, max_units: int | None) -> bool:
        self.calls.append("start")
        self.started.append((min_units, max_units))
        return True

    def stop(self) -> bool:
        self.calls.append("stop")
        self.stops += 1
        return True

    def read_tags(self) -> dict[str, str]:
        self.calls.append("tags")
        if self.tag_error and "ListTagsForResource" in (self.tag_error.operation, self.tag_error.code):
            raise self.tag_error
        return dict(self.tags)

    def tag(self, key: str, value: str) -> None:
        self.calls.append("tag")
        if self.tag_error:
            raise self.tag_error
        self.tags[key] = value

    def untag(self, *keys: str) -> None:
        self.calls.append("untag")
        for key in keys:
            self.tags.pop(key, None)


def run(
    model: ScriptedModel, desired: Desired, *, window: float = 45, deadline: float = 3600, first_look: bool = True
) -> Any:
    clock = Clock()
    reconciler = Reconciler(model, desired, step_seconds=10, clock=clock, sleep=clock.sleep)
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


def test_a_sleep_that_overruns_the_window_ends_the_invocation_without_another_look() -> None:
    """A look after the window would answer for a window the caller has closed (a schedule that
    changed meanwhile, a Lambda with too little time left)."""
    model = ScriptedModel(Observation("STOPPED"), STARTING, RUNNING)
    clock = Clock()

    def overrunning_sleep(seconds: float) -> None:
        clock.now += seconds + 60

    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=overrunning_sleep)
    outcome = reconciler.run(Window(45, clock.now + 3600), first_look=True)
    assert outcome.result is Result.PENDING and model.looks == 1


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


def test_a_start_that_fails_within_the_invocation_that_made_it_fails_and_is_not_made_again() -> None:
    model = ScriptedModel(Observation("STOPPED"), STARTING, Observation("FAILED", message="capacity"))
    outcome, _ = run(model, RUN, first_look=True)
    assert outcome.result is Result.FAILED and "failed to start: capacity" in outcome.reason
    assert model.started == [(1, None)]


@pytest.mark.parametrize("status, desired", [("STOPPED", RUN), ("RUNNING", STOPPED_STATE)])
def test_after_its_own_start_or_stop_the_reconciler_keeps_quiet_before_looking_again(
    status: str, desired: Desired
) -> None:
    """Rekognition takes minutes either way: the looks saved keep the handler within its call budget."""
    model = ScriptedModel(Observation(status, 1, 1), STARTING if desired.running else Observation("STOPPING"))
    clock = Clock()
    reconciler = Reconciler(model, desired, step_seconds=10, quiet_seconds=30, clock=clock, sleep=clock.sleep)
    reconciler.run(Window(35, clock.now + 3600), first_look=True)
    assert model.looks == 2 and clock.now == 1_000_000 + 30, "one look to act, the next after the quiet time"


def test_without_a_quiet_time_the_reconciler_looks_again_on_the_next_beat_after_acting() -> None:
    model = ScriptedModel(Observation("TRAINING_COMPLETED"), STARTING)
    clock = Clock()
    Reconciler(model, RUN, step_seconds=0.5, clock=clock, sleep=clock.sleep).run(
        Window(1.2, clock.now + 3600), first_look=True
    )
    assert model.looks == 3, "to act at 0 s, then at 0.5 s and 1 s"


def test_the_deadline_is_met_on_the_dot() -> None:
    model = ScriptedModel(STARTING)
    outcome, clock = run(model, RUN, window=3600, deadline=20)
    assert outcome.result is Result.FAILED and model.looks == 3 and clock.now == 1_000_000 + 20


def test_a_look_that_overruns_its_beat_is_followed_at_once_then_the_beat_resumes() -> None:
    model = ScriptedModel(STARTING)
    clock = Clock()
    seen: list[float] = []
    model.on_look = {n: (lambda: seen.append(clock.now - 1_000_000)) for n in range(1, 5)}
    model.on_look[1] = lambda: (seen.append(0.0), setattr(clock, "now", clock.now + 15))  # a 15 s call
    Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep).run(
        Window(35, clock.now + 3600), first_look=False
    )
    assert seen == [0.0, 15.0, 20.0, 30.0]


def test_when_polling_cannot_be_set_up_after_a_transient_error_the_run_ends_pending_without_acting() -> None:
    model = ScriptedModel(THROTTLED, Observation("STOPPED"))
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep)
    outcome = reconciler.run(Window(45, clock.now + 3600), first_look=True, not_done_yet=lambda: False)
    assert outcome.result is Result.PENDING and model.looks == 1 and model.started == []


def test_one_log_line_per_status_change(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel(STARTING, STARTING, STARTING, RUNNING)
    with caplog.at_level(logging.INFO, logger="running_model"):
        run(model, RUN)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Model ")]
    assert lines == [
        "Model widgets/v1 is STARTING (min 1, max 1 inference units)",
        "Model widgets/v1 is RUNNING (min 1, max 1 inference units)",
    ]


def test_one_log_line_per_status_change_while_stopping(caplog: pytest.LogCaptureFixture) -> None:
    model = ScriptedModel(RUNNING, Observation("STOPPING", 1, 1), Observation("STOPPED"))
    with caplog.at_level(logging.INFO, logger="running_model"):
        run(model, STOPPED_STATE)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Model ")]
    assert lines == [
        "Model widgets/v1 is RUNNING (min 1, max 1 inference units)",
        "Model widgets/v1 is STOPPING (min 1, max 1 inference units)",
        "Model widgets/v1 is STOPPED",
    ]


@pytest.mark.parametrize(
    "desired, logged",
    [
        (Desired(running=True, min_units=2), "Starting widgets/v1 with 2 inference unit(s)"),
        (Desired(running=True, min_units=2, max_units=5), "Starting widgets/v1 with 2 to 5 inference units"),
    ],
)
def test_a_start_is_logged_with_the_units_it_asks_for(
    caplog: pytest.LogCaptureFixture, desired: Desired, logged: str
) -> None:
    with caplog.at_level(logging.INFO, logger="running_model"):
        run(ScriptedModel(Observation("STOPPED"), Observation("RUNNING", 2, desired.max_units)), desired)
    assert logged in [r.getMessage() for r in caplog.records]


def test_a_model_without_a_maximum_is_logged_with_its_minimum_as_maximum(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="running_model"):
        run(ScriptedModel(Observation("RUNNING", 2, None)), Desired(running=True, min_units=2))
    assert "Model widgets/v1 is RUNNING (min 2, max 2 inference units)" in [r.getMessage() for r in caplog.records]


# The lifecycle: ownership, what a request's Data carries between polls, what a failure leaves behind.

TIMING = Timing(step_seconds=10, window_seconds=45, deadline_margin_seconds=90, reserve_seconds=60)
STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Inference/5b1c1c80-0000-11f0-9e7a-0a1b2c3d4e5f"
OTHER_STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/Other/77777777-0000-11f0-9e7a-0a1b2c3d4e5f"
OWNER = Owner(STACK_ID, "Detector")


class Polls:
    """The poll machinery as the lifecycle sees it: records what it is asked to do."""

    def __init__(self, *, fails: bool = False, model: ScriptedModel | None = None) -> None:
        self.fails = fails
        self.model = model
        self.started_with: list[dict[str, Any]] = []
        self.ended: list[tuple[str, str, str]] = []

    def start_polling(self) -> bool:
        if self.fails:
            raise PollingSetupError("Could not set up polling with EventBridge: PutRule: ThrottlingException")
        self.started_with.append({"starts_before": len(self.model.started) if self.model else 0})
        return True

    def end_request(self, logical_id: str, request_id: str, reason: str, physical_id: str) -> bool:
        self.ended.append((logical_id, request_id, physical_id))
        return True


class Records:
    """The ledger's resource records as the lifecycle sees them, in memory."""

    def __init__(self) -> None:
        self.records: dict[Owner, ResourceRecord] = {}

    def resource(self, owner: Owner) -> ResourceRecord | None:
        return self.records.get(owner)

    def record_registration(
        self, owner: Owner, request_id: str, request_type: str, version_arn: str, declaration: Mapping[str, Any]
    ) -> None:
        self.records[owner] = ResourceRecord(request_id, request_type, version_arn, dict(declaration), released=False)

    def record_release(self, owner: Owner, request_id: str, version_arn: str) -> None:
        self.records[owner] = ResourceRecord(request_id, "Delete", version_arn, {}, released=True)


def lifecycle_with(model: ScriptedModel, clock: Clock, *others: ScriptedModel) -> Lifecycle:
    models = {m.version.arn: m for m in (model, *others)}

    def connect(version: ModelVersion, project_arn: str | None) -> Any:
        found = models[version.arn]
        if project_arn:
            found.known_project_arn = project_arn
        return found

    return Lifecycle(TIMING, model_factory=connect, clock=clock, sleep=clock.sleep)


def request(kind: str, request_id: str = "req-1", **fields: Any) -> dict[str, Any]:
    properties = fields.pop("properties", {"ProjectVersionArn": ARN})
    return {
        "RequestType": kind,
        "RequestId": request_id,
        "StackId": STACK_ID,
        "LogicalResourceId": "Detector",
        "ResourceProperties": properties,
        **fields,
    }


def create_event(**properties: str) -> dict[str, Any]:
    return request("Create", properties={"ProjectVersionArn": ARN, **properties})


def handle(lifecycle: Lifecycle, event: dict[str, Any], data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("polling", False)
    kwargs.setdefault("remaining_seconds", 180)
    return lifecycle.handle(event, {} if data is None else data, **kwargs)


def test_the_first_look_sets_the_deadline_from_service_timeout_less_the_margin() -> None:
    clock, data = Clock(), {}
    model = ScriptedModel(STARTING, project_arn="arn:project")
    answer = handle(lifecycle_with(model, clock), create_event(ServiceTimeout="1200"), data)
    assert not answer.finished
    assert data[DEADLINE] == 1_000_000 + 1200 - 90
    assert data[PROJECT_ARN] == "arn:project"


def test_a_service_timeout_shorter_than_twice_the_margin_leaves_half_of_it_to_the_model() -> None:
    clock, data = Clock(), {}
    handle(lifecycle_with(ScriptedModel(STARTING), clock), create_event(ServiceTimeout="121"), data)
    assert data[DEADLINE] == 1_000_000 + 60.5, "121 s less a 90 s margin would leave the model 31 s"


# Clock() starts on Monday 1970-01-12 at 13:46:40 UTC: this window opens in 44 minutes, beyond the
# lead of a model never timed (35) and within the hour in which a running model stays wanted.
OPENS_WITHIN_THE_HOUR = {"TimeZone": "UTC", "Windows": [{"Days": "MON", "Start": "14:30", "End": "15:30"}]}
# Shut at Clock()'s Monday 13:46:40 and not opening before Wednesday: the resource holds its version idle.
SHUT = {"TimeZone": "UTC", "Windows": [{"Days": "WED", "Start": "10:00", "End": "11:00"}]}


def test_a_look_at_the_model_for_its_schedule_that_keeps_failing_fails_the_first_look_with_why() -> None:
    model, clock = ScriptedModel(THROTTLED), Clock()
    answer = handle(lifecycle_with(model, clock), create_event(Schedule=OPENS_WITHIN_THE_HOUR))  # type: ignore[arg-type]
    assert answer.finished and clock.now > 1_000_000, "tried again on the beat before failing"
    assert answer.failure_reason.startswith("Model widgets/v1: DescribeProjectVersions failed: ThrottlingException")


def test_a_look_at_the_model_for_its_schedule_throttled_in_a_poll_is_left_to_the_next_poll() -> None:
    model = ScriptedModel(THROTTLED, tags={OWNER.key: OWNER.value("req-1")})
    event = create_event(Schedule=OPENS_WITHIN_THE_HOUR)  # type: ignore[arg-type]
    answer = handle(lifecycle_with(model, Clock()), event, {DEADLINE: 1_000_000 + 600}, polling=True)
    assert not answer.finished


def test_a_poll_after_a_window_opened_records_the_resource_as_wanting_the_model_running() -> None:
    model = ScriptedModel(STARTING, tags={OWNER.key: OWNER.value("req-1", idle=True)})
    handle(lifecycle_with(model, Clock()), create_event(), {DEADLINE: 1_000_000 + 600}, polling=True)
    assert model.tags[OWNER.key] == OWNER.value("req-1", idle=False)


def test_a_poll_after_a_window_closed_records_the_resource_as_idle() -> None:
    model = ScriptedModel(Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1")})
    event = create_event(Schedule=SHUT)  # type: ignore[arg-type]
    handle(lifecycle_with(model, Clock()), event, {DEADLINE: 1_000_000 + 600}, polling=True)
    assert model.tags[OWNER.key] == OWNER.value("req-1", idle=True)


def test_polls_keep_the_first_deadline() -> None:
    clock, data = Clock(), {DEADLINE: 1_000_000 + 5.0}
    model = ScriptedModel(STARTING, tags={OWNER.key: OWNER.value("req-1")})
    answer = handle(lifecycle_with(model, clock), create_event(), data, polling=True)
    assert answer.finished and answer.failure_reason.startswith("Timed out")


def test_the_window_shrinks_when_the_lambda_has_little_time_left() -> None:
    clock = Clock()
    model = ScriptedModel(STARTING, tags={OWNER.key: OWNER.value("req-1")})
    handle(lifecycle_with(model, clock), create_event(), polling=True, remaining_seconds=80)
    assert model.looks == 3, "80 s left less the 60 s reserve leaves a 20 s window: looks at 0, 10 and 20 s"


def test_a_create_registers_its_resource_before_it_starts_the_model() -> None:
    model = ScriptedModel(Observation("STOPPED"), STARTING)
    polls = Polls(model=model)
    handle(lifecycle_with(model, Clock()), create_event(), polls=polls)
    assert model.calls[:2] == ["tags", "tag"] and model.calls.index("tag") < model.calls.index("start")
    assert model.tags == {OWNER.key: OWNER.value("req-1"), "running-model:started-at": "1000000 1000000"}
    value = OWNER.value("req-1")
    assert value.startswith("req-1 stack:eu-west-1/") and value.endswith(" Inference/Detector")


@pytest.mark.parametrize(
    "schedule, logged",
    [
        (None, "Registered Detector as an owner of widgets/v1"),
        (SHUT, "Registered Detector as an owner of widgets/v1 (idle: outside its running windows)"),
    ],
)
def test_a_registration_is_logged_saying_whether_the_resource_holds_the_version_idle(
    caplog: pytest.LogCaptureFixture, schedule: dict[str, Any] | None, logged: str
) -> None:
    event = create_event(**({"Schedule": schedule} if schedule else {}))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="running_model"):
        handle(lifecycle_with(ScriptedModel(Observation("STOPPED")), Clock()), event)
    assert [m for m in caplog.messages if m.startswith("Registered ")] == [logged]


def test_polling_is_set_up_before_the_model_is_started() -> None:
    model = ScriptedModel(Observation("STOPPED"), STARTING)
    polls = Polls(model=model)
    handle(lifecycle_with(model, Clock()), create_event(), polls=polls)
    assert polls.started_with == [{"starts_before": 0}] and model.started == [(1, None)]


def test_a_failed_polling_set_up_fails_the_create_with_its_reason_and_starts_nothing() -> None:
    model = ScriptedModel(Observation("STOPPED"))
    answer = handle(lifecycle_with(model, Clock()), create_event(), polls=Polls(fails=True))
    assert answer.failure_reason == "Could not set up polling with EventBridge: PutRule: ThrottlingException"
    assert model.started == []
    assert answer.physical_id == ARN, "registered: the rollback Delete must release the registration"


def test_a_failed_create_answers_with_the_version_for_its_rollback_delete_to_stop() -> None:
    model = ScriptedModel(Observation("RUNNING", 2, 2), DENIED)
    answer = handle(lifecycle_with(model, Clock()), create_event(MinInferenceUnits="1"))
    assert answer.failure_reason == "DescribeProjectVersions failed: AccessDeniedException: no"
    assert answer.physical_id == ARN
    assert model.stops == 1, "the restart with new units stopped it; the failure itself stops nothing"


def test_a_create_that_cannot_register_fails_with_no_version_to_clean_up() -> None:
    model = ScriptedModel(STARTING, tag_error=NOT_FOUND)
    answer = handle(lifecycle_with(model, Clock()), create_event())
    assert answer.failure_reason == "Model widgets/v1 not found: check the ARN, its region and account"
    assert answer.physical_id is None and model.looks == 0


def test_a_create_whose_registration_is_refused_says_why_in_rekognitions_words() -> None:
    refused = RekognitionError("TagResource", "AccessDeniedException", "not allowed", transient=False)
    answer = handle(lifecycle_with(ScriptedModel(STARTING, tag_error=refused), Clock()), create_event())
    assert answer.failure_reason == (
        "Could not register as an owner of model widgets/v1: TagResource failed: AccessDeniedException: not allowed"
    )


def test_a_delete_that_cannot_read_the_models_owners_fails_saying_why_and_stops_nothing() -> None:
    refused = RekognitionError("ListTagsForResource", "AccessDeniedException", "not allowed", transient=False)
    model = ScriptedModel(Observation("RUNNING", 1, 1), tags={OWNER.key: OWNER.value("req-0")}, tag_error=refused)
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and "ListTagsForResource failed: AccessDeniedException" in answer.failure_reason
    assert model.stops == 0


def test_a_delete_whose_owners_stay_throttled_for_the_window_fails_saying_why_and_stops_nothing() -> None:
    """Only a version that is gone lets a Delete succeed without reading its owners."""
    throttled = RekognitionError("ListTagsForResource", "ThrottlingException", "slow down", transient=True)
    model = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value("req-0")}, tag_error=throttled)
    clock = Clock()
    answer = handle(lifecycle_with(model, clock), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and answer.failure_reason == "ListTagsForResource failed: ThrottlingException: slow down"
    assert model.stops == 0 and clock.now == 1_000_000 + 40, "tried again on the beat within the 45 s window"


def test_a_full_set_of_tags_fails_the_create_with_what_to_do() -> None:
    model = ScriptedModel(STARTING, tag_error=TOO_MANY_TAGS)
    answer = handle(lifecycle_with(model, Clock()), create_event())
    assert answer.failure_reason.startswith("Model widgets/v1 holds 50 tags already")
    assert model.looks == 0


@pytest.mark.parametrize(
    "f1_score, warning", [(0.5, "Model widgets/v1: F1 0.50 is below the required 0.90"), (0.95, None)]
)
def test_the_gate_logs_a_warning_for_a_refusal_and_none_for_a_version_it_lets_through(
    caplog: pytest.LogCaptureFixture, f1_score: float, warning: str | None
) -> None:
    model = ScriptedModel(Observation("RUNNING", 1, 1, f1_score=f1_score))
    with caplog.at_level(logging.INFO, logger="running_model"):
        answer = handle(lifecycle_with(model, Clock()), create_event(MinF1Score="0.9"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ([] if warning is None else [f"{warning}; nothing was started"])
    assert bool(answer.failure_reason) is (warning is not None)


def test_a_gate_that_cannot_read_the_f1_score_fails_saying_so_and_registers_nothing() -> None:
    model = ScriptedModel(DENIED)
    answer = handle(lifecycle_with(model, Clock()), create_event(MinF1Score="0.9"))
    assert answer.failure_reason == (
        "Could not read the F1 score of model widgets/v1: DescribeProjectVersions failed: AccessDeniedException: no; "
        "nothing was started"
    )
    assert model.tags == {} and model.started == [] and answer.physical_id is None


def test_an_update_failure_keeps_the_resources_own_id() -> None:
    model = ScriptedModel(DENIED)
    event = request("Update", PhysicalResourceId=ARN, OldResourceProperties={"ProjectVersionArn": ARN})
    answer = handle(lifecycle_with(model, Clock()), event)
    assert answer.failure_reason and answer.physical_id is None


@pytest.mark.parametrize("earlier", ["req-0", "req-9"])
def test_a_later_request_of_the_resource_ends_the_earlier_one_still_polled(earlier: str) -> None:
    """Request ids are not ordered: the earlier request is the one the tag names, whatever its id."""
    model = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value(earlier)})
    polls = Polls()
    answer = handle(lifecycle_with(model, Clock()), create_event(), polls=polls)
    assert polls.ended == [("Detector", earlier, ARN)]
    assert answer.physical_id == ARN and model.tags[OWNER.key].startswith("req-1 ")


def test_a_poll_whose_request_was_superseded_answers_that_it_was_ended_without_acting() -> None:
    """The later request answers it too; whichever answer comes first is the one sent (answers.py)."""
    model = ScriptedModel(Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-2")})
    answer = handle(lifecycle_with(model, Clock()), create_event(), polling=True)
    assert answer.finished and answer.failure_reason == "Ended by a later request of this resource"
    assert model.started == [] and model.looks == 0


def test_a_poll_whose_request_the_ledger_no_longer_names_ends_saying_which_request_took_over() -> None:
    model = ScriptedModel(Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1")})
    records = Records()
    records.record_registration(OWNER, "req-2", "Update", ARN, {})
    answer = handle(lifecycle_with(model, Clock()), create_event(), polling=True, records=records)
    assert answer.failure_reason == "Ended by a later Update of this resource" and model.looks == 0


@pytest.mark.parametrize("later", ["req-2", "req-0"])
def test_a_request_superseded_between_two_looks_does_not_start_the_model(later: str) -> None:
    """Request ids are not ordered: a later request is any other one. (Under the resource's lease only
    a person, or a handler from before the lease, can change the tag between two looks.)"""
    model = ScriptedModel(STARTING, Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1")})
    model.on_look[2] = lambda: model.tags.update({OWNER.key: OWNER.value(later)})
    answer = handle(lifecycle_with(model, Clock()), create_event(), polling=True)
    assert answer.failure_reason == "Ended by a later request of this resource" and model.started == []


@pytest.mark.parametrize("later", ["req-2", "req-0"])
def test_an_idle_request_superseded_before_its_stop_does_not_stop_the_model_nor_write_its_tag(later: str) -> None:
    """Outside its windows a request stops the model only while its resource's tag still names it."""
    model = ScriptedModel(RUNNING, Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1", idle=True)})
    model.on_look[1] = lambda: model.tags.update({OWNER.key: OWNER.value(later, idle=True)})
    event = create_event(Schedule=SHUT)  # type: ignore[arg-type]
    answer = handle(lifecycle_with(model, Clock()), event, {DEADLINE: 1_000_000 + 600}, polling=True)
    assert answer.failure_reason == "Ended by a later request of this resource" and model.stops == 0
    assert model.tags == {OWNER.key: OWNER.value(later, idle=True)}


def test_delete_releases_its_registration_and_leaves_a_model_another_resource_owns() -> None:
    other = Owner(OTHER_STACK_ID, "Detector")
    model = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value("req-0"), other.key: other.value("x")})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and not answer.failure_reason and answer.physical_id == ARN
    assert model.tags == {other.key: other.value("x")} and model.stops == 0 and model.looks == 0


def test_delete_stops_the_model_when_no_owner_is_left() -> None:
    model = ScriptedModel(RUNNING, Observation("STOPPING"), Observation("STOPPED"), tags={OWNER.key: "req-0 x"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and model.stops == 1 and model.tags == {}


def test_delete_of_a_stack_from_before_ownership_stops_the_model_as_before() -> None:
    model = ScriptedModel(RUNNING, Observation("STOPPED"), tags={"team": "vision"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and model.stops == 1 and model.tags == {"team": "vision"}


class RefusesToStopWhileStarting(ScriptedModel):
    """Rekognition may refuse to stop a STARTING model (ResourceInUseException): the stop is not made."""

    def stop(self) -> bool:
        super().stop()
        return self.last_status != "STARTING"

    def observe(self) -> Observation:
        observation = super().observe()
        self.last_status = observation.status
        return observation


def test_a_delete_tries_to_stop_a_starting_model_at_once() -> None:
    model = ScriptedModel(STARTING, Observation("STOPPING"), Observation("STOPPED"), tags={OWNER.key: "req-0 x"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and not answer.failure_reason and model.stops == 1 and model.tags == {}


def test_a_delete_whose_stop_is_refused_while_starting_keeps_its_tag_and_tries_again() -> None:
    model = RefusesToStopWhileStarting(STARTING, RUNNING, Observation("STOPPING"), tags={OWNER.key: "req-0 x"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN), polls=Polls())
    assert not answer.finished and model.stops == 2, "refused while STARTING, made once RUNNING"
    assert model.tags == {}, "released once the stop was made"


def test_a_delete_refused_a_stop_keeps_its_tag_while_it_waits() -> None:
    model = RefusesToStopWhileStarting(STARTING, tags={OWNER.key: "req-0 x"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN), polls=Polls())
    assert not answer.finished and model.stops >= 1
    assert model.tags[OWNER.key].startswith("req-0 idle stopping:"), "not released: no stop is made yet"


def test_delete_leaves_the_model_running_when_an_owner_registers_while_it_waits() -> None:
    model = RefusesToStopWhileStarting(STARTING, STARTING, RUNNING, tags={OWNER.key: "req-0 x"})
    model.on_look[2] = lambda: model.tags.update({"running-model:owner:other": "req-9 Other/Detector"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId=ARN))
    assert answer.finished and not answer.failure_reason and model.stops == 1, "only the refused stop"
    assert model.tags == {"running-model:owner:other": "req-9 Other/Detector"}


@pytest.mark.parametrize("create", ["req-1", "req-3"])  # request ids are not ordered
def test_a_cancelled_create_is_ended_and_its_model_stopped_by_the_delete(create: str) -> None:
    model = ScriptedModel(RUNNING, Observation("STOPPED"), tags={OWNER.key: OWNER.value(create)})
    polls = Polls()
    made_up = "Inference-Detector-1A2B3C4D5E6F"
    answer = handle(lifecycle_with(model, Clock()), request("Delete", "req-2", PhysicalResourceId=made_up), polls=polls)
    assert polls.ended == [("Detector", create, ARN)]
    assert answer.finished and answer.physical_id == made_up and model.stops == 1 and model.tags == {}


@pytest.mark.parametrize(
    "tags, polls",
    [({"team": "vision"}, Polls()), ({OWNER.key: OWNER.value("req-0")}, None)],
    ids=["no-earlier-request", "no-poll-machinery"],
)
def test_a_delete_that_ended_no_request_in_flight_looks_at_the_model_at_once(
    tags: dict[str, str], polls: Polls | None
) -> None:
    """The look a step later is for a start that an ended request may have had in flight."""
    clock = Clock()
    model = ScriptedModel(RUNNING, Observation("STOPPED"), tags=tags)
    first_look: list[float] = []
    model.on_look[1] = lambda: first_look.append(clock.now)
    answer = handle(lifecycle_with(model, clock), request("Delete", "req-2", PhysicalResourceId=ARN), polls=polls)
    assert answer.finished and not answer.failure_reason and model.stops == 1
    assert first_look == [1_000_000]


def test_a_delete_with_a_made_up_id_stops_nothing_its_resource_never_registered() -> None:
    model = ScriptedModel(RUNNING, tags={"running-model:owner:other": "req-9 Other/Detector"})
    answer = handle(lifecycle_with(model, Clock()), request("Delete", PhysicalResourceId="Inference-Detector-X"))
    assert answer.finished and model.stops == 0 and model.looks == 0


def test_a_delete_of_something_never_created_makes_no_call() -> None:
    clock = Clock()
    lifecycle = Lifecycle(
        TIMING, model_factory=lambda *_: pytest.fail("no client expected"), clock=clock, sleep=clock.sleep
    )
    event = request("Delete", PhysicalResourceId="Stack_Detector_ABCDEFGH", properties={})
    answer = handle(lifecycle, event)
    assert answer.finished and not answer.failure_reason and answer.physical_id == "Stack_Detector_ABCDEFGH"


def test_a_rollback_update_releases_the_version_the_failed_update_started() -> None:
    new_arn = version_arn("widgets", "v2")
    old = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value("req-0")})
    new = ScriptedModel(RUNNING, Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1")}, arn=new_arn)
    polls = Polls()
    rollback = request("Update", "req-2", PhysicalResourceId=ARN, OldResourceProperties={"ProjectVersionArn": new_arn})
    answer = handle(lifecycle_with(old, Clock(), new), rollback, polls=polls)
    assert answer.physical_id == ARN and not answer.failure_reason
    assert new.stops == 1 and new.tags == {} and old.stops == 0
    assert ("Detector", "req-1", new_arn) in polls.ended


def rollback_releasing(new: ScriptedModel) -> Any:
    """A rollback Update back to ARN, after a failed update to ``new`` (req-1) that started it."""
    old = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value("req-0")})
    rollback = request(
        "Update", "req-2", PhysicalResourceId=ARN, OldResourceProperties={"ProjectVersionArn": new.version.arn}
    )
    return handle(lifecycle_with(old, Clock(), new), rollback, polls=Polls())


def test_a_rollback_update_still_stopping_the_version_the_failed_update_started_is_polled_on() -> None:
    new_arn = version_arn("widgets", "v2")
    new = ScriptedModel(RUNNING, Observation("STOPPING"), tags={OWNER.key: OWNER.value("req-1")}, arn=new_arn)
    answer = rollback_releasing(new)
    assert not answer.finished and new.stops == 1


def test_a_rollback_update_that_cannot_stop_the_version_the_failed_update_started_fails_saying_why() -> None:
    new_arn = version_arn("widgets", "v2")
    new = ScriptedModel(RUNNING, DENIED, tags={OWNER.key: OWNER.value("req-1")}, arn=new_arn)
    answer = rollback_releasing(new)
    assert answer.finished and answer.failure_reason == "DescribeProjectVersions failed: AccessDeniedException: no"


def test_a_forward_update_leaves_the_old_version_to_the_cleanup_delete() -> None:
    new_arn = version_arn("widgets", "v2")
    old = ScriptedModel(RUNNING, tags={OWNER.key: OWNER.value("req-0")})
    new = ScriptedModel(RUNNING, arn=new_arn)
    forward = request(
        "Update",
        "req-1",
        properties={"ProjectVersionArn": new_arn},
        PhysicalResourceId=ARN,
        OldResourceProperties={"ProjectVersionArn": ARN},
    )
    answer = handle(lifecycle_with(new, Clock(), old), forward)
    assert answer.physical_id == new_arn and old.stops == 0 and OWNER.key in old.tags


def test_not_done_yet_is_called_once_after_the_first_unfinished_look() -> None:
    calls: list[int] = []
    model = ScriptedModel(Observation("STOPPED"), STARTING, STARTING, RUNNING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep)
    window = Window(45, clock.now + 3600)
    outcome = reconciler.run(window, first_look=True, not_done_yet=lambda: calls.append(model.looks) or True)
    assert outcome.result is Result.DONE and calls == [1]


def test_not_done_yet_returning_false_ends_the_run() -> None:
    model = ScriptedModel(STARTING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=10, clock=clock, sleep=clock.sleep)
    outcome = reconciler.run(Window(45, clock.now + 3600), first_look=True, not_done_yet=lambda: False)
    assert outcome.result is Result.PENDING and model.looks == 1


def test_not_done_yet_is_not_called_when_the_first_look_finishes() -> None:
    clock = Clock()
    reconciler = Reconciler(ScriptedModel(RUNNING), RUN, step_seconds=10, clock=clock, sleep=clock.sleep)
    outcome = reconciler.run(
        Window(45, clock.now + 3600), first_look=True, not_done_yet=lambda: pytest.fail("not expected")
    )
    assert outcome.result is Result.DONE


def test_the_default_timing_looks_six_times_a_minute_and_ends_before_the_next_poll() -> None:
    timing = Timing()
    model = ScriptedModel(STARTING)
    clock = Clock()
    reconciler = Reconciler(model, RUN, step_seconds=timing.step_seconds, clock=clock, sleep=clock.sleep)
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

    reconciler = Reconciler(SlowModel(STARTING), RUN, step_seconds=10, clock=clock, sleep=clock.sleep)
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
    reconciler = Reconciler(model, RUN, step_seconds=10, quiet_seconds=30, clock=clock, sleep=clock.sleep)
    assert reconciler.run(Window(50, clock.now + 3600), first_look=True).result is Result.PENDING
    assert model.started == [(1, None)]
    assert times == [0, 30, 40, 50]


THROTTLED_TAGS = RekognitionError("TagResource", "ThrottlingException", "slow down", transient=True)


class ThrottledTags(ScriptedModel):
    """Its tag calls are throttled ``times`` times (after botocore's retries) before they go through."""

    def __init__(self, *script: Observation, times: int, **kwargs: Any) -> None:
        super().__init__(*script, **kwargs)
        self.throttled = times

    def tag(self, key: str, value: str) -> None:
        if self.throttled:
            self.throttled -= 1
            raise THROTTLED_TAGS
        super().tag(key, value)


def test_a_throttled_registration_is_tried_again_on_the_beat_within_the_window() -> None:
    clock = Clock()
    model = ThrottledTags(RUNNING, times=2)
    answer = handle(lifecycle_with(model, clock), create_event())
    assert answer.physical_id == ARN and not answer.failure_reason
    assert clock.now == 1_000_000 + 20 and OWNER.key in model.tags


def test_a_registration_throttled_for_the_whole_window_fails_and_starts_nothing() -> None:
    clock = Clock()
    model = ThrottledTags(Observation("STOPPED"), times=100)
    answer = handle(lifecycle_with(model, clock), create_event())
    assert answer.failure_reason.startswith("Could not register as an owner of model widgets/v1: TagResource failed")
    assert model.started == [] and answer.physical_id is None
    assert clock.now == 1_000_000 + 40, "tries every 10 s while another step fits in the 45 s window"


@pytest.mark.parametrize("remaining_seconds, registers", [(100, True), (99, False)])
def test_a_throttled_registration_is_tried_on_the_beat_that_ends_the_window(
    remaining_seconds: float, registers: bool
) -> None:
    """100 s left less the 60 s reserve leaves a 40 s window: its fifth try, at 40 s, is still within it."""
    clock = Clock()
    model = ThrottledTags(RUNNING, times=4)
    answer = handle(lifecycle_with(model, clock), create_event(), remaining_seconds=remaining_seconds)
    assert (OWNER.key in model.tags) is registers and (not answer.failure_reason) is registers


class ThrottledReads(ScriptedModel):
    """Its tag reads are throttled ``times`` times (after botocore's retries) before they go through."""

    def __init__(self, *script: Observation, times: int, **kwargs: Any) -> None:
        super().__init__(*script, **kwargs)
        self.throttled = times

    def read_tags(self) -> dict[str, str]:
        if self.throttled:
            self.throttled -= 1
            raise RekognitionError("ListTagsForResource", "ThrottlingException", "slow down", transient=True)
        return super().read_tags()


def test_a_throttled_first_read_of_the_owners_is_tried_again_on_the_beat() -> None:
    clock = Clock()
    model = ThrottledReads(RUNNING, times=2)
    answer = handle(lifecycle_with(model, clock), create_event())
    assert answer.physical_id == ARN and not answer.failure_reason and OWNER.key in model.tags
    assert clock.now == 1_000_000 + 20


def test_a_throttled_ownership_check_in_a_poll_waits_for_the_next_poll() -> None:
    class ThrottledRead(ScriptedModel):
        def read_tags(self) -> dict[str, str]:
            raise THROTTLED_TAGS

    model = ThrottledRead(Observation("STOPPED"), tags={OWNER.key: OWNER.value("req-1")})
    answer = handle(lifecycle_with(model, Clock()), create_event(), polling=True)
    assert not answer.finished and model.started == []


def test_a_throttled_idle_record_in_a_poll_waits_for_the_next_poll() -> None:
    model = ThrottledTags(RUNNING, times=1, tags={OWNER.key: OWNER.value("req-1")})
    event = create_event(Schedule=SHUT)  # type: ignore[arg-type]
    answer = handle(lifecycle_with(model, Clock()), event, {DEADLINE: 1_000_000 + 600}, polling=True)
    assert not answer.finished and not answer.failure_reason and model.stops == 0


@pytest.mark.parametrize(
    "beats, quiet_until, expected",
    [
        (1, 0.0, (1, 110.0)),  # no quiet time: the next beat
        (3, 0.0, (3, 130.0)),  # a slow look does not shift the beat
        (1, 125.0, (3, 130.0)),  # a start at 100 s with 25 s of quiet: beats 1 and 2 are skipped
        (1, 130.0, (3, 130.0)),  # the quiet time ends on a beat: that beat is kept
        (2, 100.0, (2, 120.0)),  # quiet time already over
        (2, 125.0, (3, 130.0)),  # one beat at a time: the first beat after the quiet time
    ],
)
def test_the_next_look_keeps_the_beat_and_skips_the_quiet_time(
    beats: int, quiet_until: float, expected: tuple[int, float]
) -> None:
    assert next_look_on_the_beat(100.0, beats, 10.0, quiet_until) == expected


def test_the_default_timing_fits_together() -> None:
    timing = Timing()
    assert timing.problems() == []
    assert timing.schedule_expression == "rate(1 minute)"
    assert LONGEST_THROTTLED_CALL_SECONDS == 1 + 2 + 4 + 8 + 16


def test_each_timing_default_is_the_one_its_docstring_states_and_a_handler_runs_with() -> None:
    """The docstring says what each number is for: a changed default must change what it says."""
    stated = dict(re.findall(r"``(\w+)``: .*?Default: (\d+(?:\.\d+)?)", Timing.__doc__ or "", re.S))
    assert stated == {field.name: f"{field.default:g}" for field in fields(Timing)}
    running = Timing.from_environment({})
    assert stated == {field.name: f"{getattr(running, field.name):g}" for field in fields(Timing)}


def test_a_lambda_timeout_that_the_window_reserve_and_longest_call_just_fill_fits() -> None:
    assert Timing(lambda_timeout_seconds=50 + 60 + LONGEST_THROTTLED_CALL_SECONDS).problems() == []


@pytest.mark.parametrize(
    "name", ["step_seconds", "window_seconds", "quiet_seconds", "deadline_margin_seconds", "reserve_seconds"]
)
def test_every_timing_in_seconds_can_be_set_from_the_environment(name: str) -> None:
    assert getattr(Timing.from_environment({f"RUNNING_MODEL_{name.upper()}": "7"}), name) == 7.0


@pytest.mark.parametrize("variable", ["RUNNING_MODEL_LAMBDA_TIMEOUT_SECONDS", "RUNNING_MODEL_POLL_INTERVAL_MINUTES"])
def test_the_lambda_timeout_and_the_poll_interval_are_not_set_by_running_model_variables(variable: str) -> None:
    """The Lambda timeout comes from the construct (LAMBDA_TIMEOUT_SECONDS); the interval is EventBridge's minimum."""
    assert Timing.from_environment({variable: "7"}) == Timing()


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"window_seconds": 55.0}, "must end before the next scheduled poll (60 s)"),
        ({"lambda_timeout_seconds": 120.0}, "need 141 s, more than the Lambda timeout (120 s)"),
        ({"reserve_seconds": 120.0}, "need 201 s, more than the Lambda timeout (180 s)"),
    ],
)
def test_timings_that_do_not_fit_are_named(changes: dict[str, float], problem: str) -> None:
    (found,) = Timing(**changes).problems()
    assert problem in found


def test_the_lambda_timeout_comes_from_the_construct_through_the_contract() -> None:
    timing = Timing.from_environment({"LAMBDA_TIMEOUT_SECONDS": "300", "RUNNING_MODEL_STEP_SECONDS": "5"})
    assert (timing.lambda_timeout_seconds, timing.step_seconds) == (300.0, 5.0)
    assert Timing(poll_interval_minutes=2).schedule_expression == "rate(2 minutes)"


def test_a_deploy_stops_looking_where_its_schedule_changes_and_leaves_the_answer_to_the_next_poll() -> None:
    """A window closes at 18:00 while the model starts: a look after it would answer RUNNING for a
    schedule that now wants the model stopped."""
    clock = Clock()
    clock.now = datetime(2026, 1, 12, 17, 59, 35, tzinfo=UTC).timestamp()  # a Monday, 25 s before the close
    schedule = {"TimeZone": "UTC", "Windows": [{"Days": "MON", "Start": "08:00", "End": "18:00"}]}
    model = ScriptedModel(Observation("STOPPED"), STARTING, STARTING, RUNNING, project_arn="arn:project")
    create = request("Create", properties={"ProjectVersionArn": ARN, "Schedule": schedule})
    answer = handle(lifecycle_with(model, clock), create)
    # After the start's quiet time the next look would come at 18:00:05: it is left to the next poll,
    # which asks the schedule again.
    assert not answer.finished and model.looks == 1 and model.started == [(1, None)]
