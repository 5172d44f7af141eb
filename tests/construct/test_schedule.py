"""Running windows as declared: every problem named at synth time, in RunningModel's wording."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from croniter import croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rekognition_running_model.clock_changes import YEARS, WeeklyMoment
from rekognition_running_model.schedule import (
    WEEKDAYS,
    RunningSchedule,
    RunningWindow,
    clock_points,
    schedule_points,
    schedule_property,
)

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
            RunningSchedule(windows=[RunningWindow("MON", "08:00\n", "18:00")]),
            "schedule.windows[0].start: received '08:00\\n'",
        ),
        (
            RunningSchedule(windows=[RunningWindow("MON", "08:00", "24:00\n")]),
            "schedule.windows[0].end: received '24:00\\n'",
        ),
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


def test_each_window_wakes_the_handler_every_5_minutes_around_its_opening_and_at_its_close_and_an_hour_later() -> None:
    points = schedule_points(RunningSchedule(windows=[OFFICE], time_zone="Europe/Berlin"))
    weekdays = "MON,TUE,WED,THU,FRI"
    assert [(p.kind, p.expression) for p in points] == [
        ("wake", f"cron(0,5,10,15,20,25,30,35,40,45,50,55 7 ? * {weekdays} *)"),  # the hour before 08:00
        ("wake", f"cron(0,5,10,15,20,25,30 8 ? * {weekdays} *)"),  # up to 30 minutes after it
        ("close", f"cron(0 18,19 ? * {weekdays} *)"),  # again an hour later: a close the clocks skip
    ]


def test_a_moment_on_another_day_moves_the_days_with_it() -> None:
    night = RunningSchedule(windows=[RunningWindow("SAT-SUN", "00:30", "24:00")])
    assert [(p.kind, p.expression) for p in schedule_points(night)] == [
        ("wake", "cron(30,35,40,45,50,55 23 ? * FRI,SAT *)"),  # before Saturday's and Sunday's 00:30
        ("wake", "cron(0,5,10,15,20,25,30,35,40,45,50,55 0 ? * SAT,SUN *)"),
        ("wake", "cron(0 1 ? * SAT,SUN *)"),
        ("close", "cron(0 0,1 ? * MON,SUN *)"),  # midnight after Sunday is Monday 00:00
    ]


def test_a_close_again_on_the_next_day_is_a_schedule_of_its_own() -> None:
    evening = RunningSchedule(windows=[RunningWindow("FRI", "21:00", "23:30")])
    closes = [p.expression for p in schedule_points(evening) if p.kind == "close"]
    assert closes == ["cron(30 23 ? * FRI *)", "cron(30 0 ? * SAT *)"]


def test_a_window_that_meets_a_clock_change_adds_utc_points_for_what_its_local_ones_miss() -> None:
    """Berlin's clocks skip 02:00-03:00 on the last Sunday of March (01:00 UTC) and repeat it on the
    last Sunday of October: a 03:00 opening's local wake-ups, 02:00-02:55, never fire on the first
    night and fire an hour early on the second. In UTC, on the Sundays of those months only."""
    points = schedule_points(
        RunningSchedule(windows=[RunningWindow("SUN", "03:00", "12:00")], time_zone="Europe/Berlin")
    )
    every_5 = "0,5,10,15,20,25,30,35,40,45,50,55"
    assert [(p.kind, p.expression, p.utc) for p in points] == [
        ("wake", f"cron({every_5} 2 ? * SUN *)", False),
        ("wake", "cron(0,5,10,15,20,25,30 3 ? * SUN *)", False),
        ("close", "cron(0 12,13 ? * SUN *)", False),
        ("clock", f"cron({every_5} 0 ? 3 SUN *)", True),  # 01:00-01:55 winter time: the real hour before
        ("clock", f"cron({every_5} 1 ? 10 SUN *)", True),  # 02:00-02:55 winter time, the repeated hour's second
    ]
    assert points[-1].description == "running window (clock change, UTC)"


def test_utc_points_are_as_few_as_cron_allows() -> None:
    moments = [WeeklyMoment(month, 6, hour, minute) for month in (3, 10) for hour in (1, 2) for minute in (0, 30)]
    moments += [WeeklyMoment(3, 5, 23, 55), WeeklyMoment(10, 5, 23, 55), WeeklyMoment(3, 6, 4, 5)]
    assert [p.expression for p in clock_points(moments)] == [
        "cron(5 4 ? 3 SUN *)",
        "cron(55 23 ? 3,10 SAT *)",
        "cron(0,30 1,2 ? 3,10 SUN *)",
    ]
    assert clock_points([]) == []


def test_the_years_read_for_clock_changes_put_every_date_on_every_weekday() -> None:
    """So a yearly rule shows every date it can fall on (a change on the 31st, on the 1st)."""
    for day in range(365):
        moment = date(2027, 1, 1) + timedelta(days=day)
        assert {date(year, moment.month, moment.day).weekday() for year in YEARS} == set(range(7)), moment


def test_the_property_lists_each_windows_days() -> None:
    schedule = RunningSchedule(windows=[OFFICE, RunningWindow("sat-sun", "10:00", "12:00")], time_zone="Europe/Berlin")
    assert schedule_property(schedule) == {
        "TimeZone": "Europe/Berlin",
        "Windows": [
            {"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"},
            {"Days": "SAT,SUN", "Start": "10:00", "End": "12:00"},
        ],
    }


# RunningSchedule.cron: a start and a stop expression, read as windows.


def test_cron_office_hours_are_the_office_window() -> None:
    schedule = RunningSchedule.cron(
        start="cron(0 8 ? * MON-FRI *)", stop="cron(0 18 ? * MON-FRI *)", time_zone="Europe/Berlin"
    )
    assert schedule_property(schedule) == schedule_property(
        RunningSchedule(windows=[OFFICE], time_zone="Europe/Berlin")
    )


def test_cron_numbers_days_as_eventbridge_does_from_sunday() -> None:
    by_number = RunningSchedule.cron(start="cron(0 8 ? * 2-6 *)", stop="cron(0 18 ? * 2-6 *)")
    assert schedule_property(by_number)["Windows"] == [
        {"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"}
    ]


def test_a_cron_run_past_midnight_is_a_window_on_each_side_of_it() -> None:
    nights = RunningSchedule.cron(start="cron(0 22 ? * MON-FRI *)", stop="cron(0 6 ? * TUE-SAT *)")
    assert nights.windows == [
        RunningWindow("MON,TUE,WED,THU,FRI", "22:00", "24:00"),
        RunningWindow("TUE,WED,THU,FRI,SAT", "00:00", "06:00"),
    ]
    assert nights.problems() == []


def test_a_cron_run_past_the_end_of_the_week_goes_on_on_monday() -> None:
    weekend = RunningSchedule.cron(start="cron(0 18 ? * FRI *)", stop="cron(30 7 ? * MON *)")
    assert weekend.windows == [
        RunningWindow("MON", "00:00", "07:30"),
        RunningWindow("FRI", "18:00", "24:00"),
        RunningWindow("SAT,SUN", "00:00", "24:00"),
    ]


def test_a_cron_start_while_running_changes_nothing() -> None:
    daily = RunningSchedule.cron(start="cron(0 8,12 * * ? *)", stop="cron(0 18 ? * * *)")
    assert daily.windows == [RunningWindow("MON,TUE,WED,THU,FRI,SAT,SUN", "08:00", "18:00")]


@pytest.mark.parametrize(
    "start, stop, message",
    [
        (
            "0 8 * * 1-5",
            "cron(0 18 ? * MON-FRI *)",
            "schedule.start: received '0 8 * * 1-5'; expected EventBridge's six fields",
        ),
        (
            "cron(0 8 1 * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "schedule.start: received 'cron(0 8 1 * ? *)'; expected a weekly",
        ),
        ("cron(0 8 ? * MON-FRI 2027)", "cron(0 18 ? * MON-FRI *)", "expected a weekly expression"),
        ("cron(0 8 ? * 6L *)", "cron(0 18 ? * MON-FRI *)", "expected a weekly expression"),
        (
            "cron(0 8 ? * MON-FRI *)",
            "cron(0 18 ? * 8 *)",
            "schedule.stop: received 'cron(0 18 ? * 8 *)'; expected days",
        ),
        ("cron(61 8 ? * MON-FRI *)", "cron(0 18 ? * MON-FRI *)", "expected a valid EventBridge cron expression"),
        (
            "cron(0 8 ? * MON *)",
            "cron(0 8,18 ? * MON *)",
            "schedule.stop: received moments schedule.start fires at too (MON 08:00)",
        ),
    ],
)
def test_cron_names_each_problem(start: str, stop: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        RunningSchedule.cron(start=start, stop=stop)
    assert message in str(raised.value)


def test_cron_names_every_problem_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        RunningSchedule.cron(start="0 8 * * 1-5", stop="cron(0 18 1 * ? *)", time_zone="Mars/Base")
    assert str(raised.value).count("\n  - ") == 3, raised.value


_QUARTERS = range(0, 7 * 24 * 60, 15)


def _fires(expression: str) -> set[int]:
    """Quarter-hours of the week (0 = Monday 00:00) at which a weekly cron fires, by croniter.match."""
    minute, hour, _, _, days, _ = expression.removeprefix("cron(").removesuffix(")").split()
    monday = datetime(2024, 1, 1)
    return {q for q in _QUARTERS if croniter.match(f"{minute} {hour} * * {days}", monday + timedelta(minutes=q))}


def _inside(schedule: RunningSchedule, quarter: int) -> bool:
    day, minute = divmod(quarter, 24 * 60)
    for window in schedule.windows:
        end = 24 * 60 if window.end == "24:00" else int(window.end[:2]) * 60 + int(window.end[3:])
        start = int(window.start[:2]) * 60 + int(window.start[3:])
        if WEEKDAYS[day] in window.days.split(",") and start <= minute < end:
            return True
    return False


_cron_moments = st.builds(
    lambda minute, hours, days: f"cron({minute} {','.join(map(str, sorted(hours)))} ? * {','.join(days)} *)",
    st.sampled_from([0, 15, 30, 45]),
    st.sets(st.integers(0, 23), min_size=1, max_size=3),
    st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
)


@settings(max_examples=40, deadline=None)
@given(start=_cron_moments, stop=_cron_moments)
def test_cron_windows_hold_the_model_running_from_each_start_to_the_next_stop(start: str, stop: str) -> None:
    starts, stops = _fires(start), _fires(stop)
    assume(not starts & stops)
    schedule = RunningSchedule.cron(start=start, stop=stop)
    assert schedule.problems() == []
    week = len(_QUARTERS) * 15
    for quarter in _QUARTERS:
        # The last moment at or before this one at which either fires (going back round the week).
        last = next(m for m in ((quarter - 15 * k) % week for k in range(len(_QUARTERS))) if m in starts | stops)
        assert _inside(schedule, quarter) == (last in starts), (quarter, schedule.windows)
