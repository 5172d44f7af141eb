"""Running windows in the handler, as Lambda runs it (real crhelper and boto3, AWS stood in).

Deploys answer with the model in the state the schedule wants when they answer; the schedules'
window events start a model ahead of an opening (by its measured start time) and stop it at a
close, unless another owner wants it running. The handler reads the real clock here, so each
schedule is built around the present moment: one always open, one that opens soon, one that stays
shut for more than a day. An event made later than now runs on a clock moved on (``later``): what
it re-asserts is the schedule the deploy declared.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from running_model.repair import Repairer

from support.fakes.cloudformation import STACK_ID, event
from support.testdata import version_arn
from support.world import World

ARN = version_arn("widgets", "v1")
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
ALWAYS_OPEN = {"TimeZone": "UTC", "Windows": [{"Days": ",".join(DAYS), "Start": "00:00", "End": "24:00"}]}


def shut() -> dict[str, Any]:
    """A window two days from now: shut now, and not opening within any lead."""
    day = DAYS[(datetime.now(UTC).weekday() + 2) % 7]
    return {"TimeZone": "UTC", "Windows": [{"Days": day, "Start": "10:00", "End": "11:00"}]}


def opening_soon(minutes: int = 10) -> dict[str, Any]:
    """A window that opens in about ``minutes`` (10: within the 35-minute lead of a model never timed)."""
    opens = datetime.now(UTC) + timedelta(minutes=minutes)
    start = opens.hour * 60 + opens.minute
    end = min(start + 60, 24 * 60)
    clock = lambda minutes: "24:00" if minutes == 24 * 60 else f"{minutes // 60:02d}:{minutes % 60:02d}"  # noqa: E731
    return {"TimeZone": "UTC", "Windows": [{"Days": DAYS[opens.weekday()], "Start": clock(start), "End": clock(end)}]}


def properties(schedule: dict[str, Any] | None) -> dict[str, Any]:
    return {"ProjectVersionArn": ARN, **({"Schedule": schedule} if schedule else {})}


def window_event(schedule: dict[str, Any], logical_id: str = "Detector") -> dict[str, Any]:
    body = {"StackId": STACK_ID, "LogicalResourceId": logical_id, "ResourceProperties": properties(schedule)}
    return {"RunningModelWindow": body}


def later(world: World, minutes: float) -> None:
    """Have the window events that follow run ``minutes`` from now (the handler's repairer, on a moved clock)."""
    handler = world.handler
    handler.repairer = Repairer(
        ledger=handler.helper.ledger,
        request_in_progress=handler.helper.request_in_progress,
        timing=handler.timing,
        clock=lambda: time.time() + minutes * 60,
    )


def open_for(minutes: int, *, since: int = 10) -> dict[str, Any]:
    """A window of today that opened ``since`` minutes ago (at midnight at the earliest) and closes
    ``minutes`` from now (at midnight at the latest); it opens again a week later."""
    now = datetime.now(UTC)
    since = min(since, now.hour * 60 + now.minute)
    opened = now - timedelta(minutes=since)
    start = opened.hour * 60 + opened.minute
    end = min(start + since + minutes, 24 * 60)
    clock = lambda minutes: "24:00" if minutes == 24 * 60 else f"{minutes // 60:02d}:{minutes % 60:02d}"  # noqa: E731
    return {"TimeZone": "UTC", "Windows": [{"Days": DAYS[opened.weekday()], "Start": clock(start), "End": clock(end)}]}


WEEK_MINUTES = 7 * 24 * 60


def create(world: World, schedule: dict[str, Any] | None, logical_id: str = "Detector") -> Any:
    return world.run(event("Create", world.responses, properties(schedule), logical_id=logical_id))


def owner_values(world: World) -> list[str]:
    return [value for key, value in world.rekognition.tags(ARN).items() if key.startswith("running-model:owner:")]


def starts(world: World) -> int:
    return sum(1 for c in world.rekognition.calls if c.operation == "StartProjectVersion" and c.error is None)


def test_a_create_outside_its_windows_answers_stopped_and_starts_nothing(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    answer = create(world, shut())
    assert answer.status == "SUCCESS", answer.reason
    assert answer.body["Data"]["Status"] == "TRAINING_COMPLETED" or answer.body["Data"]["Status"] == "STOPPED"
    assert starts(world) == 0
    (value,) = owner_values(world)
    assert value.split()[1] == "idle", "the resource holds the version idle"


def test_a_create_outside_its_windows_stops_a_model_nobody_else_wants(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", stop_seconds=0.1)  # started by hand
    answer = create(world, shut())
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "STOPPED"
    assert world.rekognition.status(ARN) == "STOPPED"


def test_a_create_outside_its_windows_leaves_running_a_model_another_owner_wants(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, None, logical_id="AlwaysOn").status == "SUCCESS"
    answer = create(world, shut(), logical_id="Windowed")
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "RUNNING"
    assert world.rekognition.status(ARN) == "RUNNING"


def test_a_create_inside_its_windows_runs_the_model(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1)
    answer = create(world, ALWAYS_OPEN)
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "RUNNING"
    (value,) = owner_values(world)
    assert value.split()[1] != "idle"


def test_a_close_stops_the_model_and_an_opening_soon_starts_it_and_times_the_start(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    schedule = open_for(20)
    assert create(world, schedule).status == "SUCCESS"
    with_history(world, "1500")  # a 25-minute start: a lead of 31 minutes
    later(world, 30)
    world.invoke(window_event(schedule))  # the window has closed
    assert world.rekognition.status(ARN) in ("STOPPING", "STOPPED")
    assert owner_values(world)[0].split()[1] == "idle"
    world.rekognition.set_status(ARN, "STOPPED")
    later(world, WEEK_MINUTES - 30)  # it opens again in 20 minutes, within the model's lead
    world.invoke(window_event(schedule))
    assert starts(world) == 2 and "running-model:started-at" in world.rekognition.tags(ARN)
    assert owner_values(world)[0].split()[1] != "idle"
    world.rekognition.set_status(ARN, "RUNNING")
    later(world, WEEK_MINUTES - 25)
    world.invoke(window_event(schedule))  # the next wake-up sees it RUNNING: the start is timed
    tags = world.rekognition.tags(ARN)
    assert "running-model:started-at" not in tags and len(tags["running-model:starts"].split()) == 2
    assert starts(world) == 2


def test_a_close_logs_that_it_stopped_the_model_outside_the_windows(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    schedule = open_for(20)
    assert create(world, schedule).status == "SUCCESS"
    later(world, 30)
    with caplog.at_level(logging.WARNING):
        world.invoke(window_event(schedule))
    logged = [record.getMessage() for record in caplog.records]
    assert "Detector: model widgets/v1 was RUNNING; stopped it (outside the resource's running windows)" in logged


def test_a_close_made_for_an_older_declaration_leaves_an_always_on_model_running(world: World) -> None:
    """The user removed ``schedule=``: the old close schedule is deleted only in the cleanup phase,
    after the update, and may fire in between. It carries the old windows; the ledger says always."""
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    schedule = open_for(20)
    assert create(world, schedule).status == "SUCCESS"
    update = event("Update", world.responses, properties(None), physical_id=ARN)
    update["OldResourceProperties"] = properties(schedule)
    assert world.run(update).status == "SUCCESS"
    later(world, 30)
    world.invoke(window_event(schedule))  # the old close
    assert world.rekognition.status(ARN) == "RUNNING" and stops(world) == 0
    assert owner_values(world)[0].split()[1] != "idle"


def with_history(world: World, recent_starts: str | None) -> None:
    """Replace the start times the version's tags hold (the Create timed its own start) with
    ``recent_starts``, or none."""
    tags = {key: value for key, value in world.rekognition.tags(ARN).items() if key != "running-model:starts"}
    world.rekognition.set_tags(ARN, tags if recent_starts is None else {**tags, "running-model:starts": recent_starts})


def started_seconds_ago(world: World, seconds: int, *, seen_starting: int = 60) -> None:
    """Tag the model as this handler tags a start it made ``seconds`` ago, last seen STARTING
    ``seen_starting`` seconds ago."""
    tags = world.rekognition.tags(ARN)
    now = int(time.time())
    value = f"{now - seconds} {now - seen_starting}"
    world.rekognition.set_tags(ARN, {**tags, "running-model:started-at": value})


def test_a_timed_start_is_remembered_as_the_seconds_it_took(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    with_history(world, None)
    started_seconds_ago(world, 600)
    world.invoke(window_event(ALWAYS_OPEN))  # finds the model RUNNING: the start took 600 s
    assert 600 <= int(world.rekognition.tags(ARN)["running-model:starts"]) <= 660, "600 s, and the test's own time"


def test_a_start_first_seen_running_hours_later_is_timed_by_the_last_look_that_saw_it_starting(
    world: World,
) -> None:
    """Started at the last wake-up before an opening, last seen STARTING at the last wake-up after
    it, and seen RUNNING only at the close: the start took at least until that last look, not hours."""
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    with_history(world, None)
    started_seconds_ago(world, 9 * 3600, seen_starting=9 * 3600 - 1500)
    world.invoke(window_event(ALWAYS_OPEN))
    assert world.rekognition.tags(ARN)["running-model:starts"] == "1500"


def test_a_look_that_sees_a_start_still_starting_records_when(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", min_units=1, start_seconds=3600)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    started_seconds_ago(world, 600, seen_starting=300)
    world.rekognition.set_status(ARN, "STARTING")
    world.invoke(window_event(ALWAYS_OPEN))
    made, seen = world.rekognition.tags(ARN)["running-model:started-at"].split()
    assert int(seen) - int(made) >= 600 and "running-model:starts" not in world.rekognition.tags(ARN)


@pytest.mark.parametrize("value", ["yesterday", "1767600000 ²", "²"])
def test_a_start_time_tag_that_is_no_number_measures_nothing_and_is_removed(world: World, value: str) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    with_history(world, None)
    tags = world.rekognition.tags(ARN)
    world.rekognition.set_tags(ARN, {**tags, "running-model:started-at": value})
    world.invoke(window_event(ALWAYS_OPEN))
    tags = world.rekognition.tags(ARN)
    assert "running-model:starts" not in tags and "running-model:started-at" not in tags


@pytest.mark.parametrize("status", ["FAILED", "STOPPED"])
def test_a_start_that_did_not_end_running_is_not_timed(world: World, status: str) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    with_history(world, None)
    started_seconds_ago(world, 600)
    world.rekognition.set_status(ARN, status, "capacity")
    world.invoke(window_event(ALWAYS_OPEN))  # starts it again; the start before measured nothing
    assert "running-model:starts" not in world.rekognition.tags(ARN)
    assert starts(world) == 2


def test_a_close_leaves_the_model_running_for_an_owner_that_registers_while_it_looks(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    schedule = open_for(20)
    assert create(world, schedule).status == "SUCCESS"
    later(world, 30)

    def registers_while_looking(action: str, resource: str, context: Any) -> bool:
        if action == "rekognition:DescribeProjectVersions":  # another stack deploys the same model meanwhile
            tags = world.rekognition.tags(ARN)
            world.rekognition.set_tags(ARN, {**tags, "running-model:owner:other": "req-9 Other/Detector"})
        return True

    world.rekognition.set_authorizer(registers_while_looking)
    world.invoke(window_event(schedule))
    assert world.rekognition.status(ARN) == "RUNNING"


def test_a_wake_up_that_changes_nothing_tags_nothing(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, shut()).status == "SUCCESS"
    tagged = world.rekognition.call_count("TagResource")
    world.invoke(window_event(shut()))  # still shut: the resource holds the version idle, as recorded
    assert world.rekognition.call_count("TagResource") == tagged


def test_a_close_leaves_running_a_model_another_owner_wants_and_its_delete_then_stops_it(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, None, logical_id="AlwaysOn").status == "SUCCESS"
    schedule = open_for(20)
    assert create(world, schedule, logical_id="Windowed").status == "SUCCESS"
    later(world, 30)
    world.invoke(window_event(schedule, logical_id="Windowed"))
    assert world.rekognition.status(ARN) == "RUNNING", "the always-on owner still wants it"
    delete = event("Delete", world.responses, properties(None), logical_id="AlwaysOn", physical_id=ARN)
    assert world.run(delete).status == "SUCCESS"
    assert world.rekognition.status(ARN) == "STOPPED", "the only owner left is idle"


def test_a_window_event_of_a_resource_that_no_longer_holds_the_model_does_nothing(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    assert world.run(event("Delete", world.responses, properties(ALWAYS_OPEN), physical_id=ARN)).status == "SUCCESS"
    world.invoke(window_event(opening_soon()))
    assert starts(world) == 1 and world.rekognition.status(ARN) == "STOPPED"


def test_a_window_opening_beyond_the_models_lead_does_not_start_it_yet(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    schedule = opening_soon(minutes=50)  # the lead of a model never timed: 35 minutes
    assert create(world, schedule).status == "SUCCESS"
    assert starts(world) == 0
    world.rekognition.set_tags(ARN, {**world.rekognition.tags(ARN), "running-model:starts": "300 240 280"})
    later(world, 30)
    world.invoke(window_event(schedule))
    assert starts(world) == 0, "a 5-minute start need not begin 20 minutes ahead"
    later(world, 42)
    world.invoke(window_event(schedule))
    assert starts(world) == 1


def test_a_deploy_shortly_before_an_opening_runs_the_model_as_the_wake_ups_would(world: World) -> None:
    """A deploy must not stop a model that the wake-ups have started for the coming window."""
    world.rekognition.add_model(ARN, start_seconds=0.1)
    answer = create(world, opening_soon(minutes=10))  # within the 35-minute lead of a model never timed
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "RUNNING"
    (value,) = owner_values(world)
    assert value.split()[1] != "idle"


def stops(world: World) -> int:
    return sum(1 for c in world.rekognition.calls if c.operation == "StopProjectVersion" and c.error is None)


def test_a_model_started_for_an_opening_keeps_running_when_its_timed_start_shortens_the_lead(world: World) -> None:
    """Started 35 minutes ahead (the lead of a model never timed), the model turns out to start in
    5 minutes: 25 minutes before the opening the new lead says "not yet", but stopping it now would
    only mean starting it again within the hour."""
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1, min_units=1)
    schedule = opening_soon(minutes=85)
    assert create(world, schedule).status == "SUCCESS"
    world.rekognition.set_status(ARN, "RUNNING")
    world.rekognition.set_tags(ARN, {**world.rekognition.tags(ARN), "running-model:starts": "300"})
    later(world, 60)
    world.invoke(window_event(schedule))
    assert world.rekognition.status(ARN) == "RUNNING" and stops(world) == 0
    assert owner_values(world)[0].split()[1] != "idle", "the resource wants it running for the opening"


def test_a_deploy_within_the_hour_before_an_opening_keeps_a_running_model_running(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", stop_seconds=0.1)
    world.rekognition.set_tags(ARN, {"running-model:starts": "300"})
    answer = create(world, opening_soon(minutes=25))
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "RUNNING", answer.reason
    assert stops(world) == 0


def test_a_model_running_more_than_an_hour_before_an_opening_is_stopped(world: World) -> None:
    world.rekognition.add_model(ARN, status="RUNNING", stop_seconds=0.1)
    answer = create(world, opening_soon(minutes=90))
    assert answer.status == "SUCCESS" and answer.body["Data"]["Status"] == "STOPPED", answer.reason


def test_the_last_owner_to_leave_takes_the_start_times_with_it(world: World) -> None:
    """They count toward Rekognition's 50 tags a version, and no owner is left to use them."""
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN).status == "SUCCESS"
    started_seconds_ago(world, 600)
    world.rekognition.set_tags(ARN, {**world.rekognition.tags(ARN), "running-model:starts": "600"})
    assert world.run(event("Delete", world.responses, properties(ALWAYS_OPEN), physical_id=ARN)).status == "SUCCESS"
    assert world.rekognition.tags(ARN) == {}


def test_an_owner_that_leaves_others_behind_leaves_the_start_times_to_them(world: World) -> None:
    world.rekognition.add_model(ARN, start_seconds=0.1, stop_seconds=0.1)
    assert create(world, ALWAYS_OPEN, logical_id="Windowed").status == "SUCCESS"
    assert create(world, None, logical_id="AlwaysOn").status == "SUCCESS"
    world.rekognition.set_tags(ARN, {**world.rekognition.tags(ARN), "running-model:starts": "600"})
    delete = event("Delete", world.responses, properties(ALWAYS_OPEN), logical_id="Windowed", physical_id=ARN)
    assert world.run(delete).status == "SUCCESS"
    assert world.rekognition.tags(ARN)["running-model:starts"] == "600" and len(owner_values(world)) == 1
