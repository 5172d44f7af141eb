"""Running windows as declared: every problem named at synth time, in RunningModel's wording."""

from __future__ import annotations

import pytest

from rekognition_running_model.schedule import RunningSchedule, RunningWindow, schedule_points, schedule_property

OFFICE = RunningWindow(days="MON-FRI", start="08:00", end="18:00")


@pytest.mark.parametrize(
    "schedule",
    [
        RunningSchedule(windows=[OFFICE], time_zone="Europe/Berlin"),
        RunningSchedule(
            windows=[RunningWindow("MON,WED,FRI", "06:00", "14:00"), RunningWindow("sat-sun", "00:00", "24:00")]
        ),
        # Touching ends do not overlap.
        RunningSchedule(windows=[RunningWindow("MON", "08:00", "12:00"), RunningWindow("MON", "12:00", "18:00")]),
    ],
)
def test_a_good_schedule_has_no_problem(schedule: RunningSchedule) -> None:
    assert schedule.problems() == []


@pytest.mark.parametrize(
    "schedule, message",
    [
        (RunningSchedule(windows=[]), "schedule.windows: received none; expected at least one RunningWindow"),
        (
            RunningSchedule(windows=[OFFICE], time_zone="Europe/Atlantis"),
            "schedule.time_zone: received 'Europe/Atlantis'; expected an IANA time zone",
        ),
        (
            RunningSchedule(windows=[RunningWindow("FRI-MON", "08:00", "18:00")]),
            "schedule.windows[0].days: received 'FRI-MON'",
        ),
        (
            RunningSchedule(windows=[RunningWindow("WEEKDAYS", "08:00", "18:00")]),
            "schedule.windows[0].days: received 'WEEKDAYS'",
        ),
        (RunningSchedule(windows=[RunningWindow("MON", "8am", "18:00")]), "schedule.windows[0].start: received '8am'"),
        (
            RunningSchedule(windows=[RunningWindow("MON", "08:00", "24:30")]),
            "schedule.windows[0].end: received '24:30'",
        ),
        (
            RunningSchedule(windows=[RunningWindow("MON", "18:00", "08:00")]),
            "schedule.windows[0].end: received '08:00'; expected after its start, 18:00",
        ),
        (
            RunningSchedule(windows=[OFFICE, RunningWindow("FRI-SUN", "17:00", "20:00")]),
            "schedule.windows[1]: received a window overlapping schedule.windows[0]; expected windows that do not",
        ),
    ],
)
def test_each_problem_is_named(schedule: RunningSchedule, message: str) -> None:
    assert any(found.startswith(message) for found in schedule.problems()), schedule.problems()


def test_every_problem_is_named_at_once() -> None:
    schedule = RunningSchedule(
        windows=[RunningWindow("MON", "18:00", "08:00"), RunningWindow("XYZ", "25:00", "26:00")], time_zone="Nowhere"
    )
    assert len(schedule.problems()) == 5


def test_each_window_wakes_the_handler_every_5_minutes_around_its_opening_and_at_its_close() -> None:
    points = schedule_points(RunningSchedule(windows=[OFFICE], time_zone="Europe/Berlin"))
    weekdays = "MON,TUE,WED,THU,FRI"
    assert [(p.kind, p.expression) for p in points] == [
        ("wake", f"cron(0,5,10,15,20,25,30,35,40,45,50,55 7 ? * {weekdays} *)"),  # the hour before 08:00
        ("wake", f"cron(0,5,10,15,20,25,30 8 ? * {weekdays} *)"),  # up to 30 minutes after it
        ("close", f"cron(0 18 ? * {weekdays} *)"),
    ]


def test_a_moment_on_another_day_moves_the_days_with_it() -> None:
    night = RunningSchedule(windows=[RunningWindow("SAT-SUN", "00:30", "24:00")])
    assert [(p.kind, p.expression) for p in schedule_points(night)] == [
        ("wake", "cron(30,35,40,45,50,55 23 ? * FRI,SAT *)"),  # before Saturday's and Sunday's 00:30
        ("wake", "cron(0,5,10,15,20,25,30,35,40,45,50,55 0 ? * SAT,SUN *)"),
        ("wake", "cron(0 1 ? * SAT,SUN *)"),
        ("close", "cron(0 0 ? * MON,SUN *)"),  # midnight after Sunday is Monday 00:00
    ]


def test_the_property_lists_each_windows_days() -> None:
    schedule = RunningSchedule(windows=[OFFICE, RunningWindow("sat-sun", "10:00", "12:00")], time_zone="Europe/Berlin")
    assert schedule_property(schedule) == {
        "TimeZone": "Europe/Berlin",
        "Windows": [
            {"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"},
            {"Days": "SAT,SUN", "Start": "10:00", "End": "12:00"},
        ],
    }
