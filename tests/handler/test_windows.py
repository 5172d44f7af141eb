"""Running windows: local days and times in an IANA time zone, across daylight-saving changes (pure)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from running_model.windows import Schedule

OFFICE = [{"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"}]


def berlin(*windows: dict[str, str]) -> Schedule:
    return Schedule.of(list(windows) or OFFICE, "Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def berlin_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize(
    "moment, running",
    [
        ("2026-01-12T06:59", False),  # Monday 07:59 in Berlin (UTC+1)
        ("2026-01-12T07:00", True),  # 08:00
        ("2026-01-12T16:59", True),
        ("2026-01-12T17:00", False),  # 18:00: the end is not inside
        ("2026-07-13T06:00", True),  # Monday 08:00 in summer (UTC+2)
        ("2026-07-13T05:59", False),
        ("2026-01-17T10:00", False),  # Saturday
    ],
)
def test_a_window_is_in_local_time_in_winter_and_summer(moment: str, running: bool) -> None:
    assert berlin().wants_running(utc(moment)) is running


def test_the_next_opening_is_local_08_00_on_either_side_of_a_clock_change() -> None:
    # Clocks go forward on Sunday 2026-03-29: Friday opens at 07:00 UTC, the Monday after at 06:00 UTC.
    assert berlin().next_opening(utc("2026-03-27T05:00")) == utc("2026-03-27T07:00")
    assert berlin().next_opening(utc("2026-03-27T07:00")) == utc("2026-03-30T06:00")
    # ...and back on Sunday 2026-10-25.
    assert berlin().next_opening(utc("2026-10-23T12:00")) == utc("2026-10-26T07:00")


def test_a_local_time_the_clock_change_skips_opens_at_the_same_offset_after_it() -> None:
    night = berlin({"Days": "SUN", "Start": "02:30", "End": "04:00"})
    assert night.next_opening(utc("2026-03-28T12:00")) == utc("2026-03-29T01:30")  # 03:30 summer time


def test_a_window_may_end_at_midnight() -> None:
    evening = berlin({"Days": "SAT", "Start": "20:00", "End": "24:00"})
    assert evening.wants_running(utc("2026-01-17T22:59")) and not evening.wants_running(utc("2026-01-17T23:00"))


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        Schedule.of(
            [
                {"Days": "MON,FUNDAY", "Start": "8:00", "End": "18:00"},
                {"Days": "SAT", "Start": "18:00", "End": "08:00"},
            ],
            "Mars/Olympus",
        )
    message = str(raised.value)
    assert "TimeZone: received 'Mars/Olympus'; expected an IANA time zone" in message
    assert "Windows[0].Days: received 'MON,FUNDAY'" in message
    assert "Windows[0].Start: received '8:00'; expected a local time 'HH:MM'" in message
    assert "Windows[1]: ends at 08:00, not after it starts at 18:00" in message
    with pytest.raises(ValueError, match="Windows: received none"):
        Schedule.of([], "UTC")


def test_the_next_edge_is_the_next_opening_or_close_in_local_time() -> None:
    assert berlin().next_edge(utc("2026-01-12T06:00")) == utc("2026-01-12T07:00")  # 08:00 opens
    assert berlin().next_edge(utc("2026-01-12T07:00")) == utc("2026-01-12T17:00")  # 18:00 closes
    assert berlin().next_edge(utc("2026-07-10T16:30")) == utc("2026-07-13T06:00")  # Friday after 18:00 (summer)


@pytest.mark.parametrize(
    "local, running",
    [
        ("08:29:59", False),
        ("08:30", True),
        ("08:45", True),
        ("09:44:59", True),
        ("09:45", False),
        ("12:00", False),  # later the same day
    ],
)
def test_a_window_runs_from_its_start_minute_up_to_but_not_including_its_end_minute(local: str, running: bool) -> None:
    late_morning = berlin({"Days": "MON", "Start": "08:30", "End": "09:45"})
    assert late_morning.wants_running(berlin_time(f"2026-01-12T{local}")) is running


@pytest.mark.parametrize(
    "moment, lead_seconds, running",
    [
        ("2026-01-12T07:30", 30 * 60.0, True),  # 08:00 opens exactly the lead after
        ("2026-01-12T07:29:59", 30 * 60.0, False),
        ("2026-01-12T07:59:59", 1.0, True),
        ("2026-01-12T07:59:58", 1.0, False),
        ("2026-01-12T07:59:59", 0.0, False),
    ],
)
def test_a_window_opening_within_the_lead_is_wanted_up_to_exactly_the_lead(
    moment: str, lead_seconds: float, running: bool
) -> None:
    assert berlin().wants_running(berlin_time(moment), lead_seconds=lead_seconds) is running


def test_a_window_ending_at_24_00_closes_at_the_next_local_midnight() -> None:
    evening = berlin({"Days": "SAT", "Start": "20:00", "End": "24:00"})
    assert evening.next_edge(berlin_time("2026-01-17T21:00")) == berlin_time("2026-01-18T00:00")


def test_a_window_opening_as_another_closes_is_an_edge() -> None:
    split_day = berlin(
        {"Days": "MON", "Start": "08:00", "End": "12:00"}, {"Days": "MON", "Start": "12:00", "End": "18:00"}
    )
    assert split_day.next_edge(berlin_time("2026-01-12T09:00")) == berlin_time("2026-01-12T12:00")


@pytest.mark.parametrize("start, end", [("08:00", "08:00"), ("24:00", "24:00"), ("18:00", "08:00")])
def test_a_window_must_end_after_it_starts(start: str, end: str) -> None:
    with pytest.raises(ValueError, match=rf"Windows\[0\]: ends at {end}, not after it starts at {start}"):
        Schedule.of([{"Days": "MON", "Start": start, "End": end}], "UTC")


@pytest.mark.parametrize(
    "raw", [None, "MON 08:00-18:00", [], {"TimeZone": "UTC"}, {"TimeZone": "UTC", "Windows": "MON 08:00-18:00"}]
)
def test_a_schedule_property_without_a_list_of_windows_is_refused_as_a_whole(raw: object) -> None:
    with pytest.raises(ValueError, match=r"expected \{'TimeZone': \.\.\., 'Windows': \[\.\.\.\]\}"):
        Schedule.from_property(raw)


@pytest.mark.parametrize("field", ["Start", "End"])
@pytest.mark.parametrize("time", ["08:00\n", "24:00\n"])
def test_a_local_time_with_a_trailing_newline_is_refused_by_name(field: str, time: str) -> None:
    window = {"Days": "MON", "Start": "00:00", "End": "24:00", field: time}
    with pytest.raises(ValueError, match=rf"Windows\[0\]\.{field}: received {re.escape(repr(time))}"):
        Schedule.of([window], "UTC")
