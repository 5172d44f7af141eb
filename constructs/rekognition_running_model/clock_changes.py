"""Running windows on the nights the clocks change: the moments the zone-local schedules miss.

EventBridge Scheduler fires a cron schedule at local times of its time zone: a local time the clocks
skip does not fire at all, and one they repeat fires once, at its first occurrence. The handler
decides on absolute time: its windows.py reads an opening or a close as a UTC instant (a skipped
local time with the offset before the change, a repeated one at its first occurrence), and wants
its wake-ups at fixed minutes from that instant. On an ordinary night the local schedules fire at
exactly those instants; on a night the clocks change, some never fire (an opening at 03:00 after a
skipped 02:00-03:00 has no wake-up before it) or fire an hour early (after a repeated hour, the
wake-ups of its real last hour). This module finds them from the time-zone database, as minutes of
the week in UTC in the months of the changes, for the schedule to add in UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The years whose clock changes are read: a fixed span, so that synth output does not depend on the
# day it runs, in which every date falls on every weekday. A zone's rule (the last Sunday of March,
# 01:00 UTC) gives the same weekday and UTC time every year, on a date that moves within a week: in
# these years it falls on each date it can, so a change on the 1st or the 31st of a month is seen too.
# Until the rule changes: synthesize again with the new time-zone database then.
YEARS = range(2026, 2038)


@dataclass(frozen=True)
class LocalWindow:
    """A window as the schedule declares it: on ``days`` (0 = Monday), from ``start`` to ``end``
    minutes after local midnight (``end`` 1440 is the next midnight)."""

    days: Collection[int]
    start: int
    end: int


@dataclass(frozen=True, order=True)
class WeeklyMoment:
    """A minute of the week in UTC in one month: ``month`` 1-12, ``day`` (0 = Monday), ``hour``, ``minute``."""

    month: int
    day: int
    hour: int
    minute: int


def missed_moments(
    time_zone: str, windows: Sequence[LocalWindow], wakes: Sequence[int], closes: Sequence[int]
) -> set[WeeklyMoment]:
    """The moments, on the nights the clocks change in ``time_zone`` (in YEARS), at which the handler
    must be invoked but no zone-local schedule fires.

    The handler must be invoked ``wakes`` minutes from each opening's instant and at each close's
    instant; the zone-local schedules fire at the local times ``wakes`` minutes from each opening and
    ``closes`` minutes from each close (as EventBridge Scheduler fires them). Empty for a zone
    without clock changes (UTC), and for windows whose wake-ups and closes never meet one.
    """
    zone = ZoneInfo(time_zone)
    missed: set[WeeklyMoment] = set()
    for changes in alike_changes(time_zone):
        # The instants missed around one change, from it: the same around each change alike.
        first = changes[0]
        after_change = [moment - first for moment in _missed_around(first, windows, wakes, closes, zone)]
        missed.update(
            WeeklyMoment(moment.month, moment.weekday(), moment.hour, moment.minute)
            for change in changes
            for moment in (change + offset for offset in after_change)
        )
    return missed


@functools.cache
def alike_changes(time_zone: str) -> tuple[tuple[datetime, ...], ...]:
    """The instants (UTC) in YEARS at which ``time_zone``'s offset from UTC changes, in groups of
    changes alike (on the same weekday at the same UTC time, between the same offsets): a yearly rule
    is one group, or two when it changes the clocks forward and back."""
    zone = ZoneInfo(time_zone)
    groups: dict[tuple[object, ...], list[datetime]] = {}
    day = datetime(YEARS.start, 1, 1, tzinfo=UTC)
    while day.year < YEARS.stop:  # at most one change a day
        after = day + timedelta(days=1)
        before, since = _offset(day, zone), _offset(after, zone)
        if before != since:
            change = _first_with_offset_of(after, day, zone)
            groups.setdefault((change.weekday(), change.time(), before, since), []).append(change)
        day = after
    return tuple(tuple(changes) for changes in groups.values())


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``minute`` after midnight on ``day``, as the handler's windows.py
    reads it: a local time the clocks skip with the offset before the change, a repeated one at
    its first occurrence."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _firing(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """When a zone-local schedule at local ``minute`` after midnight on ``day`` fires, in UTC: at the
    first occurrence of a repeated local time, never (None) at one the clocks skip."""
    moment = _instant(day, minute, zone)
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    return moment if moment.astimezone(zone).replace(tzinfo=None) == naive else None


def _missed_around(
    change: datetime, windows: Sequence[LocalWindow], wakes: Sequence[int], closes: Sequence[int], zone: ZoneInfo
) -> set[datetime]:
    """The instants the handler needs and no local schedule fires at, of the windows within a day of ``change``."""
    # The local dates just before and at the change: a window's instants lie within a day of its date.
    dates = sorted({(change - timedelta(seconds=seconds)).astimezone(zone).date() for seconds in (0, 1)})
    fired = {
        moment
        for day in _dates(dates[0] - timedelta(days=2), dates[-1] + timedelta(days=2))
        for window in windows
        if day.weekday() in window.days
        for moment in _local_firings(day, window, wakes, closes, zone)
    }
    return {
        moment
        for day in _dates(dates[0] - timedelta(days=1), dates[-1] + timedelta(days=1))
        for window in windows
        if day.weekday() in window.days
        for moment in _needed(day, window, wakes, zone)
        if moment not in fired
    }


def _needed(day: date, window: LocalWindow, wakes: Iterable[int], zone: ZoneInfo) -> Iterator[datetime]:
    opening = _instant(day, window.start, zone)
    yield from (opening + timedelta(minutes=minutes) for minutes in wakes)
    yield _instant(day, window.end, zone)


def _local_firings(
    day: date, window: LocalWindow, wakes: Iterable[int], closes: Iterable[int], zone: ZoneInfo
) -> Iterator[datetime]:
    local = [window.start + minutes for minutes in wakes] + [window.end + minutes for minutes in closes]
    return (moment for minute in local if (moment := _firing(day, minute, zone)) is not None)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _first_with_offset_of(late: datetime, early: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second after ``early`` with ``late``'s offset (one change between them)."""
    while late - early > timedelta(seconds=1):
        middle = early + (late - early) / 2
        middle -= timedelta(microseconds=middle.microsecond)
        if _offset(middle, zone) == _offset(late, zone):
            late = middle
        else:
            early = middle
    return late
