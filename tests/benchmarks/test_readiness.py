"""The running-window benchmark's simulation (benchmarks/readiness.py): what it counts, on a small run.
No target here: `make bench` prints the figures."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from support.paths import BENCHMARKS

sys.path.insert(0, str(BENCHMARKS))

from rekognition_running_model.schedule import WAKES  # noqa: E402
from running_model.windows import Schedule  # noqa: E402

from readiness import (  # noqa: E402
    EXAMPLE,
    MONTH,
    TIME_ZONE,
    WAKE_AFTER,
    WAKE_AHEAD,
    WAKE_STEP,
    openings,
    simulate_month,
    weekly_hours,
)


def test_the_handler_is_woken_where_the_constructs_schedules_wake_it() -> None:
    """At the same minutes from an opening's instant, on every night (tests/construct/test_clock_changes.py)."""
    assert range(-WAKE_AHEAD, WAKE_AFTER + 1, WAKE_STEP) == WAKES


def test_the_month_has_each_weekdays_opening_at_08_00_berlin_time_across_the_clock_change() -> None:
    found = openings(Schedule.of(EXAMPLE, TIME_ZONE), *MONTH)
    assert len(found) == 22  # the weekdays of March 2026
    assert found[0] == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # winter time, UTC+1
    assert found[-1] == datetime(2026, 3, 31, 6, 0, tzinfo=UTC)  # summer time, UTC+2


def test_without_a_lead_no_window_opens_on_a_running_model() -> None:
    readiness = simulate_month(2, seed=1, lead=lambda history: 0.0)
    assert (readiness.windows, readiness.on_time, readiness.extra_seconds) == (44, 0, 0.0)


def test_a_lead_beyond_the_first_wake_up_starts_an_hour_ahead_on_time_and_costs_the_difference() -> None:
    readiness = simulate_month(2, seed=1, lead=lambda history: 3 * 3600.0)
    assert readiness.on_time_percent == 100.0, "every start (at most 30 minutes and a spread) fits in an hour"
    mean_early = readiness.extra_seconds / readiness.windows
    assert 3600 - 1800 * 1.6 - 60 < mean_early < 3600 - 600 * 0.6
    always, windowed = weekly_hours(readiness)
    assert always == 168.0 and 50.0 + 5 * 0.15 < windowed < 50.0 + 5 * 1.0


def test_starts_first_seen_late_never_make_the_lead_longer_than_the_starts_took() -> None:
    """A start first seen at the close, hours on, is timed by the last look that saw it STARTING (or not
    at all): the lead learned from the same starts stays within seconds of the one learned on time."""
    on_time = simulate_month(4, seed=3)
    late = simulate_month(4, seed=3, seen_late=0.3)
    assert late.on_time_percent == on_time.on_time_percent == 100.0
    assert late.final_lead_seconds <= on_time.final_lead_seconds + 60.0
    assert late.extra_seconds <= on_time.extra_seconds * 1.05


def test_with_every_start_seen_late_nothing_is_measured_and_the_lead_is_the_default() -> None:
    assert simulate_month(2, seed=1, seen_late=1.0).final_lead_seconds == 35 * 60.0
