"""Whole stacks over their life (whole_stack.py): blue/green updates and their cleanup, models leaving
the template, failed updates and first deploys rolled back, cancelled creates, renamed constructs,
two stacks on one model, and the role's policy as CloudFormation changes it along the way.

Each flow asserts what it is about; ``Cloud.check`` then checks what must hold after any flow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import FAST, SLOW, Deployment
from support.testdata import project_arn, version_arn
from whole_stack import (
    CREATE_COMPLETE,
    DELETE_COMPLETE,
    FAILED,
    ROLLBACK_COMPLETE,
    SUCCESS,
    UPDATE_COMPLETE,
    UPDATE_ROLLBACK_COMPLETE,
    Cloud,
    FailureElsewhere,
    Operation,
    Stack,
    Templates,
    make_cloud,
)

V1 = version_arn("widgets", "v1")
V2 = version_arn("widgets", "v2")
ALPHA = version_arn("widgets", "alpha")
BETA = version_arn("widgets", "beta")
ELSEWHERE = "arn:aws:rekognition:eu-west-1:444455556666:project/gadgets/version/v1/1767607200000"
BILLED = ("STARTING", "RUNNING")


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return Templates(tmp_path_factory.mktemp("templates"))


def flow_failed(request: pytest.FixtureRequest) -> Callable[[], bool]:
    """Whether the test has failed since now (pytest counts a failure as soon as it is reported)."""
    failures = request.session.testsfailed
    return lambda: request.session.testsfailed > failures


@pytest.fixture
def cloud(
    deployment: Deployment, templates: Templates, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Cloud]:
    """Stacks on the compressed clock (one minute = ``FAST`` seconds)."""
    yield from make_cloud(deployment, templates, tmp_path, FAST, flow_failed(request))


@pytest.fixture
def slow_cloud(
    deployment: Deployment, templates: Templates, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Cloud]:
    """Stacks on a less compressed clock (one minute = ``SLOW`` seconds)."""
    yield from make_cloud(deployment, templates, tmp_path, SLOW, flow_failed(request))


def model(construct_id: str, arn: str, **options: Any) -> dict[str, Any]:
    """One entry of the example app's ``models`` context."""
    return {"id": construct_id, "project_version_arn": arn, **options}


def starts_and_stops(cloud: Cloud, arn: str) -> list[str]:
    """The StartProjectVersion and StopProjectVersion calls Rekognition accepted for ``arn``."""
    return [
        call.operation
        for call in cloud.rekognition.calls
        if call.operation in ("StartProjectVersion", "StopProjectVersion")
        and call.params.get("ProjectVersionArn") == arn
        and call.error is None
    ]


def created(stack: Stack, models: list[dict[str, Any]]) -> None:
    operation = stack.deploy(models)
    assert operation.status == CREATE_COMPLETE, operation


# 1.


def test_blue_green_update_serves_v1_until_v2_runs_then_its_cleanup_stops_v1(cloud: Cloud) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(2), stop_seconds=cloud.minutes(1))
    cloud.rekognition.add_model(V2, start_seconds=cloud.minutes(3), stop_seconds=cloud.minutes(1))
    stack = cloud.stack("BlueGreen")
    created(stack, [model("Detector", V1)])
    at_answer: dict[str, str | None] = {}

    def look() -> None:
        at_answer.update({arn: cloud.rekognition.status(arn) for arn in (V1, V2)})

    updated = stack.deploy([model("Detector", V2)], before_cleanup=look)
    assert updated.status == UPDATE_COMPLETE, updated
    update = updated.request("Detector", "Update", "update")
    assert update.answered_id == V2, updated
    assert at_answer == {V1: "RUNNING", V2: "RUNNING"}, f"when the update answered: {at_answer}"
    cleanup = updated.request("Detector", "Delete", "cleanup")
    assert cleanup.physical_id == V1 and cleanup.properties["ProjectVersionArn"] == V1, updated
    v1 = cloud.rekognition.status(V1)
    assert v1 == "STOPPED", (
        f"the cleanup Delete of v1, under the new policy (which names v2 only), answered {cleanup.outcome} "
        f"({cleanup.reason}) and left v1 {v1}"
    )


# 2.


def test_a_model_removed_from_the_template_is_stopped_by_the_cleanup_and_the_other_left_alone(cloud: Cloud) -> None:
    for arn in (ALPHA, BETA):
        cloud.rekognition.add_model(arn, start_seconds=cloud.minutes(2), stop_seconds=cloud.minutes(1))
    stack = cloud.stack("Removal")
    created(stack, [model("Alpha", ALPHA), model("Beta", BETA)])
    updated = stack.deploy([model("Alpha", ALPHA)])
    assert updated.status == UPDATE_COMPLETE, updated
    assert updated.of("Alpha") == [], f"Alpha did not change: CloudFormation sends it nothing\n{updated}"
    cleanup = updated.request("Beta", "Delete", "cleanup")
    beta = cloud.rekognition.status(BETA)
    assert beta == "STOPPED", (
        f"the cleanup Delete of Beta, under the new policy (which no longer names it), answered "
        f"{cleanup.outcome} ({cleanup.reason}) and left it {beta}"
    )
    assert cloud.rekognition.status(ALPHA) == "RUNNING"
    assert starts_and_stops(cloud, ALPHA) == ["StartProjectVersion"], "Alpha was started once, and never stopped"


# 3.


@pytest.mark.parametrize("how", ["v2 fails to start", "v2 outlasts its timeout"])
def test_a_failed_update_rolls_back_to_v1_and_leaves_v2_unbilled(slow_cloud: Cloud, how: str) -> None:
    cloud = slow_cloud
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1))
    if how == "v2 fails to start":
        cloud.rekognition.add_model(V2, start_seconds=cloud.minutes(2), stop_seconds=cloud.minutes(1))
        cloud.rekognition.fail_next_starts(V2, "The model artifacts are corrupt")
        target = model("Detector", V2)
    else:  # 5 minutes less the handler's 90 s margin: the start of 8 minutes is still STARTING
        cloud.rekognition.add_model(V2, start_seconds=cloud.minutes(8), stop_seconds=cloud.minutes(1))
        target = model("Detector", V2, timeout_minutes=5)
    stack = cloud.stack("FailedUpdate")
    created(stack, [model("Detector", V1)])
    updated = stack.deploy([target])
    assert updated.status == UPDATE_ROLLBACK_COMPLETE, updated
    assert updated.request("Detector", "Update", "update").outcome == FAILED, updated
    rollback = updated.request("Detector", "Update", "rollback")
    assert rollback.properties["ProjectVersionArn"] == V1 and rollback.old_properties is not None
    assert rollback.old_properties["ProjectVersionArn"] == V2
    assert rollback.outcome == SUCCESS and rollback.answered_id == V1, updated
    assert cloud.rekognition.status(V1) == "RUNNING"
    v2 = cloud.rekognition.status(V2)
    assert v2 not in BILLED, f"the stack is back on v1, but v2 is {v2} once the rollback answered"


def v1_updated_to_v2_then_failed_elsewhere(
    cloud: Cloud, stack_name: str, *, v2_start_minutes: float, fails_elsewhere: FailureElsewhere
) -> Operation:
    """A stack running v1, updated to v2 while another resource fails: rolled back."""
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1))
    cloud.rekognition.add_model(V2, start_seconds=cloud.minutes(v2_start_minutes), stop_seconds=cloud.minutes(1))
    stack = cloud.stack(stack_name)
    created(stack, [model("Detector", V1)])
    updated = stack.deploy([model("Detector", V2)], fail_elsewhere=fails_elsewhere)
    assert updated.status == UPDATE_ROLLBACK_COMPLETE, updated
    return updated


def test_a_blue_green_update_undone_by_a_failure_elsewhere_goes_back_to_v1_and_stops_v2(cloud: Cloud) -> None:
    """The update succeeded (v2 runs, id v2), then another resource failed: the rollback Update goes
    from v2 back to v1, and the rollback's cleanup deletes v2 under the old policy, which names v1 only."""
    after_the_update = FailureElsewhere(after=cloud.minutes(1), depends_on=("Detector",))
    updated = v1_updated_to_v2_then_failed_elsewhere(
        cloud, "UndoneElsewhere", v2_start_minutes=2, fails_elsewhere=after_the_update
    )
    update = updated.request("Detector", "Update", "update")
    assert update.answered_id == V2, updated
    rollback = updated.request("Detector", "Update", "rollback")
    assert (rollback.physical_id, rollback.properties["ProjectVersionArn"]) == (V2, V1), updated
    assert rollback.outcome == SUCCESS and rollback.answered_id == V1, updated
    cleanup = updated.request("Detector", "Delete", "rollback-cleanup")
    assert (cleanup.physical_id, cleanup.properties["ProjectVersionArn"]) == (V2, V2), updated
    statuses = (cloud.rekognition.status(V1), cloud.rekognition.status(V2))
    assert statuses == ("RUNNING", "STOPPED"), (
        f"(v1, v2) after the rollback's cleanup Delete of v2 ({cleanup.outcome}: {cleanup.reason}): {statuses}"
    )


def test_an_update_cancelled_by_a_failure_elsewhere_is_rolled_back_and_releases_v2(cloud: Cloud) -> None:
    """v2 is still starting when another resource fails: CloudFormation stops waiting for the Update
    (whose poll goes on) and rolls back to v1 on the old id."""
    while_v2_starts = FailureElsewhere(after=cloud.minutes(5))
    updated = v1_updated_to_v2_then_failed_elsewhere(
        cloud, "UpdateCancelled", v2_start_minutes=15, fails_elsewhere=while_v2_starts
    )
    update = updated.request("Detector", "Update", "update")
    assert update.cancelled, updated
    rollback = updated.request("Detector", "Update", "rollback")
    assert rollback.physical_id == V1 and rollback.old_properties is not None, updated
    assert rollback.old_properties["ProjectVersionArn"] == V2
    assert rollback.outcome == SUCCESS and rollback.answered_id == V1, updated
    assert updated.of("Detector", "Delete") == [], "nothing to clean up: the id never changed"
    statuses = (cloud.rekognition.status(V1), cloud.rekognition.status(V2))
    assert statuses[0] == "RUNNING" and statuses[1] not in BILLED, f"(v1, v2) once the rollback answered: {statuses}"
    rules = cloud.settle()
    assert rules == [], f"poll rules left: {rules}"
    answers = cloud.responses.answers_to(update.request_id)
    assert len(answers) == 1, f"the cancelled Update was answered {len(answers)} times"


# 4.


def test_a_cancelled_create_is_deleted_while_it_polls_and_leaves_nothing_behind(cloud: Cloud) -> None:
    cloud.rekognition.add_model(ALPHA, start_seconds=cloud.minutes(20), stop_seconds=cloud.minutes(1))
    # Beta runs already: its Create adopts it and answers at once. The resource that fails depends
    # on Beta, and fails 8 minutes after Beta is done, while Alpha is still starting.
    cloud.rekognition.add_model(BETA, status="RUNNING", stop_seconds=cloud.minutes(1))
    stack = cloud.stack("Cancelled")
    after_beta = FailureElsewhere(after=cloud.minutes(8), depends_on=("Beta",))
    operation = stack.deploy([model("Alpha", ALPHA), model("Beta", BETA)], fail_elsewhere=after_beta)
    assert operation.status == ROLLBACK_COMPLETE, operation
    assert operation.request("Beta", "Create", "create").outcome == SUCCESS, operation
    create = operation.request("Alpha", "Create", "create")
    assert create.cancelled, operation
    delete = operation.request("Alpha", "Delete", "rollback")
    assert delete.physical_id is not None and delete.physical_id.startswith(f"{stack.name}-"), "a made-up id"
    assert delete.outcome == SUCCESS, operation
    assert operation.request("Beta", "Delete", "rollback").outcome == SUCCESS, operation
    statuses = {arn: cloud.rekognition.status(arn) for arn in (ALPHA, BETA)}
    assert not [s for s in statuses.values() if s in BILLED], (
        f"after the rollback, with the handler deleted: {statuses}"
    )
    rules = cloud.settle()
    assert rules == [], f"poll rules left after the handler was deleted (they can never fire): {rules}"
    answers = cloud.responses.answers_to(create.request_id)
    assert len(answers) == 1, f"the cancelled Create was answered {len(answers)} times"


# 5.


def test_a_first_deploy_that_times_out_is_stopped_by_its_rollback_before_the_handler_goes(slow_cloud: Cloud) -> None:
    cloud = slow_cloud
    cloud.rekognition.add_model(ALPHA, start_seconds=cloud.minutes(4.5), stop_seconds=cloud.minutes(0.25))
    stack = cloud.stack("TimedOut")
    operation = stack.deploy([model("Alpha", ALPHA, timeout_minutes=5)])
    assert operation.status == ROLLBACK_COMPLETE, operation
    create = operation.request("Alpha", "Create", "create")
    assert create.outcome == FAILED, operation
    delete = operation.request("Alpha", "Delete", "rollback")
    assert delete.physical_id == create.answered_id, "the rollback deletes the id the FAILED Create answered"
    assert delete.outcome == SUCCESS, operation
    alpha = cloud.rekognition.status(ALPHA)
    assert alpha == "STOPPED", (
        f"the rollback Delete (id {delete.physical_id}) answered {delete.outcome} and left the model {alpha}; "
        "the handler is deleted now, so nothing will stop it"
    )


# 6.


def test_a_renamed_construct_adopts_the_running_model_and_the_old_names_cleanup_leaves_it_running(
    cloud: Cloud,
) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(2), stop_seconds=cloud.minutes(1))
    stack = cloud.stack("Renamed")
    created(stack, [model("Detector", V1)])
    updated = stack.deploy([model("Renamed", V1)])
    assert updated.status == UPDATE_COMPLETE, updated
    create = updated.request("Renamed", "Create", "update")
    assert create.answered_id == V1, updated
    cleanup = updated.request("Detector", "Delete", "cleanup")
    assert starts_and_stops(cloud, V1).count("StartProjectVersion") == 1, "Renamed adopts v1: no second start"
    v1 = cloud.rekognition.status(V1)
    assert v1 == "RUNNING", (
        f"the cleanup Delete of Detector answered {cleanup.outcome} and left v1 {v1}: Renamed wants it"
    )
    destroyed = stack.destroy()
    assert destroyed.status == DELETE_COMPLETE, destroyed
    assert cloud.rekognition.status(V1) == "STOPPED", f"destroy left v1 {cloud.rekognition.status(V1)}"


# 7.


def test_two_stacks_on_one_model_keep_it_running_until_the_last_is_destroyed(cloud: Cloud) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(2), stop_seconds=cloud.minutes(1))
    first, second = cloud.stack("First"), cloud.stack("Second")
    created(first, [model("Detector", V1)])
    created(second, [model("Detector", V1)])
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion"], "the second stack adopted v1"
    destroyed = first.destroy()
    assert destroyed.status == DELETE_COMPLETE, destroyed
    v1 = cloud.rekognition.status(V1)
    assert v1 == "RUNNING", f"destroying the first stack left v1 {v1}, which the second stack still declares"
    destroyed = second.destroy()
    assert destroyed.status == DELETE_COMPLETE, destroyed
    assert cloud.rekognition.status(V1) == "STOPPED", (
        f"destroying the last stack left v1 {cloud.rekognition.status(V1)}"
    )


# 8.


def test_deploying_again_after_a_timeout_keeps_the_model_running(slow_cloud: Cloud) -> None:
    """The README's way out of a start longer than the timeout: delete the rolled-back stack, deploy
    again with a longer timeout."""
    cloud = slow_cloud
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(4.5), stop_seconds=cloud.minutes(0.25))
    stack = cloud.stack("Again")
    first = stack.deploy([model("Detector", V1, timeout_minutes=5)])
    assert first.status == ROLLBACK_COMPLETE, first
    v1 = cloud.rekognition.status(V1)
    assert v1 not in BILLED, f"the stack rolled back (its handler is deleted) and v1 is {v1}"
    assert stack.destroy().status == DELETE_COMPLETE
    again = stack.deploy([model("Detector", V1, timeout_minutes=30)])
    assert again.status == CREATE_COMPLETE, again
    answered = len(starts_and_stops(cloud, V1))
    seen = cloud.watch([V1], minutes=5)[V1]
    assert seen == ["RUNNING"], f"after the second deploy answered, v1 went {' -> '.join(seen)}"
    assert starts_and_stops(cloud, V1)[answered:] == [], "nothing started or stopped v1 after the deploy"


def test_a_units_update_that_times_out_is_rolled_back_to_the_old_units_and_stays_so(slow_cloud: Cloud) -> None:
    cloud = slow_cloud
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(5), stop_seconds=cloud.minutes(0.5))
    stack = cloud.stack("Units")
    created(stack, [model("Detector", V1)])
    # Stop, then a start of 5 minutes: past the 5-minute timeout less the handler's 90 s margin.
    updated = stack.deploy([model("Detector", V1, min_inference_units=2, timeout_minutes=5)])
    assert updated.status == UPDATE_ROLLBACK_COMPLETE, updated
    assert updated.request("Detector", "Update", "update").outcome == FAILED, updated
    rollback = updated.request("Detector", "Update", "rollback")
    assert rollback.outcome == SUCCESS, updated
    state = (cloud.rekognition.status(V1), cloud.rekognition.units(V1))
    assert state == ("RUNNING", (1, 1)), f"after the rollback answered: {state}"
    seen = cloud.watch([V1], minutes=5)[V1]
    assert seen == ["RUNNING"], f"after the rollback, v1 went {' -> '.join(seen)}"
    assert cloud.rekognition.units(V1) == (1, 1)


# 8b. The promotion gate.


def test_a_blue_green_update_to_a_version_below_the_required_f1_is_rolled_back_with_v1_serving(cloud: Cloud) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1), f1_score=0.95)
    cloud.rekognition.add_model(V2, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1), f1_score=0.83)
    stack = cloud.stack("Gated")
    created(stack, [model("Detector", V1, min_f1_score=0.9)])
    updated = stack.deploy([model("Detector", V2, min_f1_score=0.9)])
    assert updated.status == UPDATE_ROLLBACK_COMPLETE, updated
    update = updated.request("Detector", "Update", "update")
    assert update.outcome == FAILED and "F1 0.83 is below the required 0.90" in update.reason, updated
    rollback = updated.request("Detector", "Update", "rollback")
    assert rollback.outcome == SUCCESS and rollback.answered_id == V1, updated
    assert updated.of("Detector", "Delete") == [], "the id never changed: nothing to clean up"
    assert (cloud.rekognition.status(V1), cloud.rekognition.status(V2)) == ("RUNNING", "TRAINING_COMPLETED")
    assert starts_and_stops(cloud, V2) == [], "the refused version was never started"


def test_a_first_deploy_of_a_version_with_no_evaluation_is_refused_and_rolled_back_with_nothing_started(
    cloud: Cloud,
) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1))  # never evaluated
    stack = cloud.stack("Unevaluated")
    operation = stack.deploy([model("Detector", V1, min_f1_score=0.9)])
    assert operation.status == ROLLBACK_COMPLETE, operation
    create = operation.request("Detector", "Create", "create")
    assert create.outcome == FAILED and "no evaluation" in create.reason and "0.90" in create.reason, operation
    assert operation.request("Detector", "Delete", "rollback").outcome == SUCCESS, operation
    assert starts_and_stops(cloud, V1) == [] and cloud.rekognition.status(V1) == "TRAINING_COMPLETED"


# 8c. Drift repair.


def test_a_model_stopped_out_of_band_is_started_again_by_the_stacks_repair_schedule(cloud: Cloud) -> None:
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1))
    cloud.rekognition.add_model(V2, status="RUNNING", stop_seconds=cloud.minutes(1))
    stack = cloud.stack("Repaired")
    created(stack, [model("Detector", V1, repair_every_minutes=15), model("Unrepaired", V2)])
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion"]
    cloud.rekognition.set_status(V1, "STOPPED")  # both stopped from the console
    cloud.rekognition.set_status(V2, "STOPPED")
    answers = len(cloud.responses.answers)
    assert stack.fire_schedules() == 1, "one schedule: only Detector asked for repair"
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion", "StartProjectVersion"]
    assert cloud.rekognition.status(V2) == "STOPPED"
    assert len(cloud.responses.answers) == answers, "a repair answers nothing to CloudFormation"
    assert stack.destroy().status == DELETE_COMPLETE
    assert cloud.rekognition.status(V1) in ("STOPPING", "STOPPED")


# 8d. Running windows, on the virtual clock: the schedules fire when EventBridge Scheduler would.

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in Berlin in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


OFFICE_HOURS = {"time_zone": "Europe/Berlin", "windows": [{"days": "MON-FRI", "start": "08:00", "end": "18:00"}]}


def test_two_owners_one_always_on_and_one_windowed_share_a_model_until_the_always_on_one_goes(cloud: Cloud) -> None:
    cloud.start_at(berlin(30, 6))  # a Monday
    cloud.rekognition.add_model(V1, start_seconds=cloud.minutes(1), stop_seconds=cloud.minutes(1))
    always = cloud.stack("AlwaysOn")
    created(always, [model("Detector", V1)])
    windowed = cloud.stack("Windowed")
    operation = windowed.deploy([model("Detector", V1, schedule=OFFICE_HOURS)])
    assert operation.status == CREATE_COMPLETE, operation
    assert operation.request("Detector", "Create", "create").answer.body["Data"]["Status"] == "RUNNING", operation
    fired = cloud.pass_time(berlin(30, 18, 30))
    assert [f.at for f in fired if f.at.hour >= 18] == [berlin(30, 18)], fired
    assert cloud.rekognition.status(V1) == "RUNNING", "the always-on stack still wants it"
    assert always.destroy().status == DELETE_COMPLETE
    assert cloud.rekognition.status(V1) in ("STOPPING", "STOPPED"), "the windowed stack holds it idle"
    assert windowed.destroy().status == DELETE_COMPLETE
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion", "StopProjectVersion"]


def test_windows_follow_local_time_across_the_spring_daylight_saving_change(cloud: Cloud) -> None:
    """Berlin's clocks go from 02:00 to 03:00 on Sunday 29 March 2026. A window from 00:30 to 02:30
    opens before the change and closes at a local time that does not exist that night, so its close
    never fires; one from 08:00 opens after it, an hour earlier in UTC than the day before."""
    cloud.start_at(berlin(28, 22))
    cloud.rekognition.add_model(V1, status="STOPPED", start_seconds=12 * 60, stop_seconds=60)
    night_and_day = {
        "time_zone": "Europe/Berlin",
        "windows": [
            {"days": "SUN", "start": "00:30", "end": "02:30"},
            {"days": "SUN", "start": "08:00", "end": "18:00"},
        ],
    }
    stack = cloud.stack("Nightly")
    operation = stack.deploy([model("Detector", V1, schedule=night_and_day)])
    assert operation.request("Detector", "Create").answer.body["Data"]["Status"] == "STOPPED", operation

    before = cloud.pass_time(berlin(29, 0, 30))
    assert cloud.rekognition.status(V1) == "RUNNING", before
    assert before[0].at == berlin(28, 23, 30) and before[-1].at.utcoffset() == timedelta(hours=1), before

    night = cloud.pass_time(berlin(29, 4))
    assert not [f for f in night if f.at.hour == 2], "no local 02:xx that night: EventBridge Scheduler skips it"
    assert cloud.rekognition.status(V1) == "STOPPED", night

    day = cloud.pass_time(berlin(29, 8))
    assert cloud.rekognition.status(V1) == "RUNNING", day
    assert day[0].at == berlin(29, 7) and day[0].at.utcoffset() == timedelta(hours=2), day
    assert cloud.pass_time(berlin(29, 18, 30)) and cloud.rekognition.status(V1) == "STOPPED"
    assert stack.destroy().status == DELETE_COMPLETE
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion", "StopProjectVersion"] * 2


def test_a_window_opening_at_03_00_on_the_spring_night_finds_the_model_running(cloud: Cloud) -> None:
    """Berlin's clocks go from 02:00 to 03:00 on Sunday 28 March 2027: the local wake-ups before a
    03:00 opening (02:00-02:55) do not exist that night. The construct's UTC schedule wakes the
    handler at their instants, from 01:00 winter time, and the model never timed is started 40
    minutes ahead (its 35-minute lead and a wake-up step); its 25-minute start ends before 03:00."""
    cloud.start_at(datetime(2027, 3, 27, 22, tzinfo=BERLIN))
    cloud.rekognition.add_model(V1, status="STOPPED", start_seconds=25 * 60, stop_seconds=60)
    sundays = {"time_zone": "Europe/Berlin", "windows": [{"days": "SUN", "start": "03:00", "end": "12:00"}]}
    stack = cloud.stack("Sundays")
    operation = stack.deploy([model("Detector", V1, schedule=sundays)])
    assert operation.request("Detector", "Create").answer.body["Data"]["Status"] == "STOPPED", operation

    opening = datetime(2027, 3, 28, 3, tzinfo=BERLIN).astimezone(UTC)  # in UTC: an hour before is 01:00 winter time
    before = cloud.pass_time(opening - timedelta(seconds=1))
    assert cloud.rekognition.status(V1) == "RUNNING", before
    assert [f.at for f in before] == [opening - timedelta(minutes=m) for m in range(60, 0, -5)], before
    assert cloud.pass_time(datetime(2027, 3, 28, 12, 30, tzinfo=BERLIN))
    assert cloud.rekognition.status(V1) == "STOPPED"
    assert stack.destroy().status == DELETE_COMPLETE
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion", "StopProjectVersion"]


def await_status(cloud: Cloud, arn: str, status: str, deploying: Future[Operation]) -> None:
    """Wait until the model is ``status``, with the deploy (which acts on it) still in progress."""
    while cloud.rekognition.status(arn) != status:
        assert deploying.running(), deploying.result()
        time.sleep(0.05)


def test_a_window_that_closes_during_a_deploy_leaves_the_model_stopped_as_the_deploy_reports(cloud: Cloud) -> None:
    """Office hours in cron. The deploy starts the model at 17:57; the window closes at 18:00 while the
    deploy waits for RUNNING: the close defers to the deploy, which stops the model and says so."""
    cloud.start_at(berlin(30, 17, 57))
    cloud.rekognition.add_model(V1, status="STOPPED", start_seconds=4 * 60, stop_seconds=cloud.minutes(1))
    office = {"time_zone": "Europe/Berlin", "start": "cron(0 8 ? * MON-FRI *)", "stop": "cron(0 18 ? * MON-FRI *)"}
    stack = cloud.stack("Office")
    with ThreadPoolExecutor(1) as pool:
        deploying = pool.submit(stack.deploy, [model("Detector", V1, schedule=office)])
        await_status(cloud, V1, "STARTING", deploying)  # the Create's first look has started it
        fired = cloud.pass_time(berlin(30, 18, 2))
        operation = deploying.result()
    assert [f.logical_id for f in fired] and all(f.at == berlin(30, 18) for f in fired), fired
    assert "a CloudFormation request of the resource is in progress" in fired[0].output, fired[0].output
    assert operation.status == CREATE_COMPLETE, operation
    assert operation.request("Detector", "Create").answer.body["Data"]["Status"] == "STOPPED", operation
    assert cloud.rekognition.status(V1) == "STOPPED"
    assert starts_and_stops(cloud, V1) == ["StartProjectVersion", "StopProjectVersion"]


def test_a_window_that_opens_during_a_deploy_has_the_deploy_run_the_model_and_say_so(cloud: Cloud) -> None:
    """At 06:50, more than an hour before 08:00, the deploy stops a model started by hand. The stop
    takes 45 minutes; at 07:20 the opening comes within the lead of a model never timed (35 minutes
    and a wake-up step) and the deploy, still waiting, wants it running. The wake-ups defer to the
    deploy, which starts the model once it has stopped and answers RUNNING, within its hour."""
    cloud.start_at(berlin(30, 6, 50))
    cloud.rekognition.add_model(V1, status="RUNNING", min_units=1, start_seconds=10 * 60, stop_seconds=45 * 60)
    stack = cloud.stack("Office")
    with ThreadPoolExecutor(1) as pool:
        deploying = pool.submit(stack.deploy, [model("Detector", V1, schedule=OFFICE_HOURS)])
        await_status(cloud, V1, "STOPPING", deploying)  # the Create's first look has stopped it
        wake_ups = cloud.pass_time(berlin(30, 7, 35))  # the model has stopped
        await_status(cloud, V1, "STARTING", deploying)  # the deploy's next look starts it
        wake_ups += cloud.pass_time(berlin(30, 7, 45))  # its start has taken 10 minutes
        operation = deploying.result()
    # 07:00 to 07:40 (at 07:45 the model reaches RUNNING, and the deploy may answer first).
    waiting = [f for f in wake_ups if f.at < berlin(30, 7, 45)]
    assert len(waiting) == 9, wake_ups
    deferred = ("a CloudFormation request of the resource is in progress", "another invocation works on the resource")
    assert all(any(why in f.output for why in deferred) for f in waiting), waiting
    assert operation.status == CREATE_COMPLETE, operation
    assert operation.request("Detector", "Create").answer.body["Data"]["Status"] == "RUNNING", operation
    assert starts_and_stops(cloud, V1) == ["StopProjectVersion", "StartProjectVersion"]
    cloud.pass_time(berlin(30, 18, 30))
    assert cloud.rekognition.status(V1) in ("STOPPING", "STOPPED"), "the close stops it"


# 9.


def test_the_policy_from_the_template_is_enforced(cloud: Cloud) -> None:
    cloud.rekognition.add_model(V1, status="RUNNING")
    cloud.rekognition.add_model(ELSEWHERE, status="STOPPED")
    stack = cloud.stack("Enforced")
    created(stack, [model("Detector", V1)])
    assert stack.handler is not None

    def rekognition(access_key_id: str) -> Any:
        return boto3.client(
            "rekognition",
            region_name="eu-west-1",
            endpoint_url=cloud.rekognition_endpoint,
            aws_access_key_id=access_key_id,
            aws_secret_access_key="example",
            config=Config(retries={"mode": "standard", "max_attempts": 1}),
        )

    as_handler = rekognition(stack.handler.access_key_id)
    with pytest.raises(ClientError) as denied:
        as_handler.stop_project_version(ProjectVersionArn=ELSEWHERE)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert ("rekognition:StopProjectVersion", ELSEWHERE) in cloud.rekognition.denials
    # The same call signed with a key that no policy holds reaches the API (which refuses to stop a
    # model that does not run): the denial came from the stack's policy.
    with pytest.raises(ClientError) as refused:
        rekognition("AKIANOPOLICYEXAMPLE1").stop_project_version(ProjectVersionArn=ELSEWHERE)
    assert refused.value.response["Error"]["Code"] == "ResourceInUseException"
    # What the policy names is allowed: the versions of the model's project.
    versions = as_handler.describe_project_versions(ProjectArn=cloud.rekognition.add_project("widgets"))
    assert [v["ProjectVersionArn"] for v in versions["ProjectVersionDescriptions"]] == [V1]
    assert stack.destroy().status == DELETE_COMPLETE
    with pytest.raises(ClientError) as gone:  # the role went with the stack
        as_handler.describe_project_versions(ProjectArn=project_arn("widgets"))
    assert gone.value.response["Error"]["Code"] == "AccessDeniedException"
