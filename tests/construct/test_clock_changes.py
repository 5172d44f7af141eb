"""Running windows on the nights the clocks change, as EventBridge Scheduler fires the stack's schedules.

The handler decides on absolute time (windows.py reads an opening or a close as a UTC instant), so on
every night the wake-ups must come every 5 minutes from an hour before an opening's instant to 30
minutes after it, and a close at (or within a minute after) its instant. EventBridge Scheduler fires
a local time the clocks skip not at all, and one they repeat once, at its first occurrence
(tests/e2e/scheduler.py): on those nights the zone-local schedules alone would miss some.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from e2e.scheduler import CronSchedule, cron_schedules

from rekognition_running_model import RunningModel, RunningSchedule, RunningWindow
from running_model.windows import Schedule

from support.testdata import version_arn

WINDOW_EVENT = "RunningModelWindow"
# The nights of 2027 on which the clocks go forward (02:00-03:00 skipped) and back (repeated).
NIGHTS = {
    ("Europe/Berlin", "spring"): date(2027, 3, 28),
    ("Europe/Berlin", "autumn"): date(2027, 10, 31),
    ("America/New_York", "spring"): date(2027, 3, 14),
    ("America/New_York", "autumn"): date(2027, 11, 7),
}
# An ordinary week (no clock change anywhere near it), Monday to Monday.
ORDINARY_WEEK = (date(2027, 6, 7), date(2027, 6, 14))
# Every day, so that the openings and closes of the days either side of each night count too.
WINDOWS = [
    RunningWindow("MON-SUN", "01:30", "12:00"),
    RunningWindow("MON-SUN", "02:30", "12:00"),
    RunningWindow("MON-SUN", "03:00", "12:00"),
    RunningWindow("MON-SUN", "03:30", "12:00"),
    RunningWindow("MON-SUN", "04:00", "12:00"),
    RunningWindow("MON-SUN", "00:30", "02:30"),
    RunningWindow("MON-SUN", "00:30", "03:00"),
]
OFFICE = RunningWindow("MON-FRI", "08:00", "18:00")  # the README's example
WAKES = range(-60, 31, 5)  # minutes from an opening
CLOSE_AGAIN = 60  # minutes after a close: it fires again then (a close the clocks skip)


def construct_id(zone: str, window: RunningWindow) -> str:
    place = zone.split("/")[1].replace("_", "")
    return f"{place}{window.start.replace(':', '')}to{window.end.replace(':', '')}{window.days.replace('-', '')}"


# Zones whose clocks change otherwise: by half an hour at 02:00 local (Lord Howe; the first Sunday of
# October is a Saturday in UTC, 30 September in 2028), at midnight local (Santiago). Each with an
# opening and a close at times the changes skip or repeat.
ODD_ZONES = {
    zone: RunningSchedule(
        windows=[RunningWindow("MON-SUN", "00:30", "02:00"), RunningWindow("MON-SUN", "02:30", "23:30")],
        time_zone=zone,
    )
    for zone in ("Australia/Lord_Howe", "America/Santiago")
}


@pytest.fixture(scope="module")
def stack_schedules() -> dict[str, list[CronSchedule]]:
    """One stack with a RunningModel for each zone and window, the example's and the odd zones': the
    window schedules of each, by construct id (the odd zones' by zone)."""
    cases = {
        construct_id(zone, window): RunningSchedule(windows=[window], time_zone=zone)
        for zone, window in [(zone, w) for zone in ("Europe/Berlin", "America/New_York") for w in WINDOWS]
        + [("Europe/Berlin", OFFICE)]
    }
    cases.update({zone.split("/")[1].replace("_", ""): schedule for zone, schedule in ODD_ZONES.items()})
    stack = cdk.Stack(cdk.App(), "Windows")
    for index, (name, schedule) in enumerate(cases.items()):
        RunningModel(stack, name, project_version_arn=version_arn("widgets", f"v{index}"), schedule=schedule)
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    by_resource: dict[str, list[CronSchedule]] = {}
    for schedule in cron_schedules(template, "STACK-ID"):
        by_resource.setdefault(schedule.event[WINDOW_EVENT]["LogicalResourceId"], []).append(schedule)
    found = {name: [s for lid, s in by_resource.items() if lid.startswith(name)] for name in cases}
    assert all(len(schedules) == 1 for schedules in found.values()), "one resource per name"
    by_name = {name: schedules[0] for name, schedules in found.items()}
    by_name.update({zone: by_name[zone.split("/")[1].replace("_", "")] for zone in ODD_ZONES})
    return by_name


def fired(schedules: list[CronSchedule], after: datetime, until: datetime) -> list[datetime]:
    """Every moment in (after, until] at which one of the schedules fires, as often as it fires."""
    return sorted(moment for schedule in schedules for moment in schedule.firings(after, until))


def edges(schedule: Schedule, after: datetime, until: datetime) -> Iterator[tuple[datetime, bool]]:
    """Each window edge in (after, until] as windows.py reads it: (UTC instant, True for an opening)."""
    moment = after
    while (moment := schedule.next_edge(moment)) <= until:
        yield moment, schedule.next_opening(moment - timedelta(seconds=1)) == moment


def handler_schedule(schedules: list[CronSchedule]) -> Schedule:
    return Schedule.from_property(schedules[0].event[WINDOW_EVENT]["ResourceProperties"]["Schedule"])


def local_midnight(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def missed(schedules: list[CronSchedule], first: date, last: date, zone: str) -> list[str]:
    """What the schedules miss from the local midnight before ``first`` to the one after ``last``: each
    wake-up of an opening (a step of WAKES) that does not fire at its instant, each close that does not
    fire within a minute after its instant."""
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    moments = set(fired(schedules, start - timedelta(hours=3), end + timedelta(hours=3)))
    problems = []
    for edge, opening in edges(handler_schedule(schedules), start, end):
        local = edge.astimezone(ZoneInfo(zone))
        if opening:
            absent = [minutes for minutes in WAKES if edge + timedelta(minutes=minutes) not in moments]
            if absent:
                problems.append(f"opening {local}: no wake-up at {absent} minutes from it")
        elif not any(edge <= moment <= edge + timedelta(minutes=1) for moment in moments):
            problems.append(f"close {local}: nothing fires")
    return problems


@pytest.mark.parametrize(
    "zone, season, window",
    [(zone, season, window) for zone, season in NIGHTS for window in WINDOWS],
    ids=lambda value: value.split("/")[-1] if isinstance(value, str) else f"{value.start}-{value.end}",
)
def test_on_a_clock_change_night_every_wake_up_and_close_comes_at_its_absolute_instant(
    stack_schedules: dict[str, list[CronSchedule]], zone: str, season: str, window: RunningWindow
) -> None:
    night = NIGHTS[(zone, season)]
    schedules = stack_schedules[construct_id(zone, window)]
    assert missed(schedules, night - timedelta(days=1), night + timedelta(days=1), zone) == []


def expected_firings(schedules: list[CronSchedule], first: date, last: date, zone: str) -> list[datetime]:
    """On days without a clock change: the wake-ups of each opening and each close, and again an hour later."""
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    expected = []
    for edge, opening in edges(handler_schedule(schedules), start - timedelta(hours=3), end + timedelta(hours=3)):
        steps = WAKES if opening else (0, CLOSE_AGAIN)
        expected += [edge + timedelta(minutes=minutes) for minutes in steps]
    return sorted(moment for moment in expected if start < moment <= end)


@pytest.mark.parametrize(
    "zone, window",
    [("Europe/Berlin", OFFICE)]
    + [(zone, window) for zone in ("Europe/Berlin", "America/New_York") for window in WINDOWS],
    ids=lambda value: value if isinstance(value, str) else f"{value.days}-{value.start}-{value.end}",
)
def test_in_an_ordinary_week_the_schedules_fire_only_around_the_windows_edges(
    stack_schedules: dict[str, list[CronSchedule]], zone: str, window: RunningWindow
) -> None:
    schedules = stack_schedules[construct_id(zone, window)]
    first, last = ORDINARY_WEEK
    start, end = local_midnight(first, zone), local_midnight(last + timedelta(days=1), zone)
    assert fired(schedules, start, end) == expected_firings(schedules, first, last, zone)
    assert missed(schedules, first, last, zone) == []


def test_the_example_windows_need_no_schedule_beyond_the_three_local_ones(
    stack_schedules: dict[str, list[CronSchedule]],
) -> None:
    schedules = stack_schedules[construct_id("Europe/Berlin", OFFICE)]
    assert [(s.expression, s.time_zone.key) for s in schedules] == [
        ("cron(0,5,10,15,20,25,30,35,40,45,50,55 7 ? * MON,TUE,WED,THU,FRI *)", "Europe/Berlin"),
        ("cron(0,5,10,15,20,25,30 8 ? * MON,TUE,WED,THU,FRI *)", "Europe/Berlin"),
        ("cron(0 18,19 ? * MON,TUE,WED,THU,FRI *)", "Europe/Berlin"),
    ]


def test_a_window_that_meets_a_clock_change_adds_a_schedule_in_utc_for_each_night_it_misses(
    stack_schedules: dict[str, list[CronSchedule]],
) -> None:
    """At most three for any of these windows (a stack may hold 500 resources)."""
    schedules = stack_schedules[construct_id("Europe/Berlin", RunningWindow("MON-SUN", "03:00", "12:00"))]
    every_5 = "0,5,10,15,20,25,30,35,40,45,50,55"
    assert [(s.expression, s.time_zone.key) for s in schedules if s.time_zone.key == "Etc/UTC"] == [
        (f"cron({every_5} 0 ? 3 SUN *)", "Etc/UTC"),
        (f"cron({every_5} 1 ? 10 SUN *)", "Etc/UTC"),
    ]
    added = {name: sum(s.time_zone.key == "Etc/UTC" for s in found) for name, found in stack_schedules.items()}
    assert max(added.values()) == 3, added


def clock_change_days(zone: str, first: date, last: date) -> list[date]:
    """The local days from ``first`` to ``last`` on which the offset from UTC at noon is not the day before's."""
    tz = ZoneInfo(zone)
    noons = [
        datetime(first.year, first.month, first.day, 12, tzinfo=tz) + timedelta(days=n)
        for n in range((last - first).days + 1)
    ]
    return [
        today.date()
        for yesterday, today in zip(noons, noons[1:], strict=False)
        if yesterday.utcoffset() != today.utcoffset()
    ]


@pytest.mark.parametrize("zone", list(ODD_ZONES), ids=lambda zone: zone.split("/")[1])
def test_every_clock_change_of_the_years_read_is_covered_in_a_zone_with_odd_changes(
    stack_schedules: dict[str, list[CronSchedule]], zone: str
) -> None:
    """Each of 2026-2037 (clock_changes.YEARS): a yearly rule falls on every date it can in them."""
    schedules = stack_schedules[zone]
    days = clock_change_days(zone, date(2026, 1, 1), date(2037, 12, 31))
    assert len(days) == 24, days
    assert [
        problem for day in days for problem in missed(schedules, day - timedelta(days=1), day + timedelta(days=1), zone)
    ] == []
