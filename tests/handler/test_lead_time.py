"""The lead ahead of a window's opening, from a model's own measured starts (pure)."""

from __future__ import annotations

from running_model.lead_time import DEFAULT_LEAD_SECONDS, HISTORY, lead_seconds, remember


def test_with_nothing_measured_the_documented_default_covers_a_30_minute_start() -> None:
    assert lead_seconds([]) == DEFAULT_LEAD_SECONDS >= 30 * 60


def test_the_lead_covers_the_longest_recent_start_with_a_margin() -> None:
    lead = lead_seconds([600, 900, 720])
    assert 900 * 1.1 < lead < 900 * 1.5 + 120


def test_only_the_most_recent_starts_count() -> None:
    old_slow = [1800.0] + [600.0] * HISTORY
    assert lead_seconds(old_slow) == lead_seconds([600.0] * HISTORY) < 1800


def test_remember_keeps_the_most_recent() -> None:
    starts: list[float] = []
    for measured in range(1, 9):
        starts = remember(starts, float(measured))
    assert starts == [4.0, 5.0, 6.0, 7.0, 8.0]
