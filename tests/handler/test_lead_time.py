"""The lead ahead of a window's opening, from a model's own measured starts (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from running_model.lead_time import (
    HISTORY,
    MAX_LEAD_SECONDS,
    STARTS_TAG,
    format_history,
    history_in,
    lead_seconds,
    remember,
    seconds_until_change,
    started_at,
    started_at_value,
    time_taken,
    wanted_running,
)
from running_model.windows import Schedule

# Monday 2026-01-12, 08:00-18:00 UTC.
OFFICE = Schedule.of([{"Days": "MON", "Start": "08:00", "End": "18:00"}], "UTC")
OPENING = datetime(2026, 1, 12, 8, tzinfo=UTC)


def test_with_nothing_measured_the_lead_is_35_minutes_for_a_start_of_up_to_30() -> None:
    assert lead_seconds([]) == 35 * 60


def test_the_lead_is_the_longest_recent_start_and_a_fifth_plus_a_minute_to_be_invoked() -> None:
    assert lead_seconds([600, 900, 720]) == 900 * 1.2 + 60


def test_no_lead_is_longer_than_the_hour_the_handler_is_woken_ahead() -> None:
    assert MAX_LEAD_SECONDS == 3600
    assert lead_seconds([4000.0]) == 3600


def test_only_the_most_recent_starts_count() -> None:
    old_slow = [1800.0] + [600.0] * HISTORY
    assert lead_seconds(old_slow) == lead_seconds([600.0] * HISTORY) < 1800


def test_the_starts_tag_gives_its_most_recent_numbers_and_leaves_out_the_rest() -> None:
    assert history_in({STARTS_TAG: "1 2 x 3 4 5 6 7.5 8"}) == [3.0, 4.0, 5.0, 6.0, 8.0]
    assert history_in({}) == []


def test_digits_other_than_ascii_in_the_starts_tag_are_left_out_not_a_crash() -> None:
    """str.isdigit() holds for "²" and "٣", which float() refuses."""
    assert history_in({STARTS_TAG: "600 ² ٣ 900"}) == [600.0, 900.0]


def test_a_start_is_recorded_with_when_it_was_made_and_last_seen_starting() -> None:
    assert started_at_value(1000.9) == "1000 1000"
    assert started_at_value(1000, 1600.2) == "1000 1600"
    assert started_at("1000 1600") == (1000.0, 1600.0)
    assert started_at("1000") == (1000.0, 1000.0), "as a handler wrote it before the last look was kept"
    assert started_at("1000 900") == (1000.0, 1000.0)
    for unreadable in (None, "", "soon", "1000 ²", "1 2 3", "-5"):
        assert started_at(unreadable) is None, unreadable


def test_a_start_seen_running_within_two_wake_up_steps_of_being_seen_starting_took_until_then() -> None:
    assert time_taken((1000.0, 1600.0), 1600.0 + 600) == 1200.0
    assert time_taken((1000.0, 1600.0), 1600.0 + 599) == 1199.0


def test_a_start_seen_running_long_after_it_was_seen_starting_took_at_least_until_that_look() -> None:
    assert time_taken((1000.0, 1600.0), 1600.0 + 601) == 600.0
    assert time_taken((1000.0, 1000.0), 9 * 3600.0) is None, "never seen starting: nothing measured"
    assert time_taken((1000.0, 1000.0), 1000.5) == 0.5, "a start seen running within a second took that long"
    assert time_taken((1000.0, 1000.0), 1000.0) is None, "seen running as it was made: nothing measured"
    assert time_taken((1000.0, 1000.0), 999.5) is None, "a clock behind the one that made it: nothing measured"


def test_the_starts_tag_is_written_with_the_most_recent_in_whole_seconds() -> None:
    assert format_history([1.0, 2.0, 3.0, 4.0, 5.4, 6.0, 7.6]) == "3 4 5 6 8"


def test_remember_keeps_the_most_recent() -> None:
    starts: list[float] = []
    for measured in range(1, 9):
        starts = remember(starts, float(measured))
    assert starts == [4.0, 5.0, 6.0, 7.0, 8.0]


def test_a_model_is_wanted_once_the_next_wake_up_would_leave_less_than_its_lead() -> None:
    five_minute_starts = [300.0]  # lead 7 minutes, plus a 5-minute wake step: 720 s
    assert not wanted_running(OFFICE, five_minute_starts, OPENING - timedelta(seconds=721))
    assert wanted_running(OFFICE, five_minute_starts, OPENING - timedelta(seconds=720))


def test_a_running_model_stays_wanted_from_the_hour_before_an_opening() -> None:
    at = OPENING - timedelta(minutes=25)
    assert not wanted_running(OFFICE, [300.0], at)
    assert wanted_running(OFFICE, [300.0], at, running=True)
    assert not wanted_running(OFFICE, [300.0], OPENING - timedelta(seconds=MAX_LEAD_SECONDS + 1), running=True)


def test_without_a_schedule_a_model_is_always_wanted_and_never_changes() -> None:
    assert wanted_running(None, [], OPENING)
    assert seconds_until_change(None, [], OPENING) == float("inf")


def test_inside_a_window_the_next_change_is_its_close() -> None:
    assert seconds_until_change(OFFICE, [300.0], OPENING + timedelta(hours=9)) == 3600


def test_before_an_opening_the_next_change_is_when_a_running_model_would_be_wanted() -> None:
    two_hours_before = OPENING - timedelta(hours=2)
    assert seconds_until_change(OFFICE, [300.0], two_hours_before) == 2 * 3600 - MAX_LEAD_SECONDS
    assert seconds_until_change(OFFICE, [300.0], OPENING - timedelta(minutes=30)) == 30 * 60


def test_the_next_change_is_never_now() -> None:
    """At the moment a running model becomes wanted, the next change to wait for is the opening."""
    at = OPENING - timedelta(seconds=MAX_LEAD_SECONDS)
    assert seconds_until_change(OFFICE, [300.0], at) == MAX_LEAD_SECONDS
