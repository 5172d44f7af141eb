"""Running windows as a user declares them: checked at synth time, and turned into the resource's
Schedule property and the moments EventBridge Scheduler invokes the handler at.

``RunningSchedule(windows=[RunningWindow(days="MON-FRI", start="08:00", end="18:00")],
time_zone="Europe/Berlin")``: the model runs inside the windows. Days and times are local to the
time zone, which EventBridge Scheduler keeps across daylight-saving changes; on the nights the
clocks change, schedules in UTC add the moments the local ones miss (clock_changes.py).
``RunningSchedule.cron(start="cron(0 8 ? * MON-FRI *)", stop="cron(0 18 ? * MON-FRI *)")`` says
the same in cron.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import contract
from .clock_changes import LocalWindow, WeeklyMoment, missed_moments
from .cron import daily_pieces, local_time, running_spans, weekly_minutes
from .validation import problem

WEEKDAYS = contract.WEEKDAYS
# The wake-ups go on up to WAKE_AFTER_MINUTES after an opening: those after the start the handler
# made see the model RUNNING, which times the start.
WAKE_AFTER_MINUTES = 30
# EventBridge Scheduler does not fire at a local time that the clocks skip in spring, so a close at
# such a time never comes: the close fires again this much later, when that time exists again.
CLOSE_AGAIN_MINUTES = 60
# Minutes from an opening at which the handler is woken, and from a close at which it fires.
WAKES = range(-contract.WAKE_AHEAD_MINUTES, WAKE_AFTER_MINUTES + 1, contract.WAKE_STEP_MINUTES)
CLOSES = (0, CLOSE_AGAIN_MINUTES)
_LOCAL_TIME = re.compile(contract.LOCAL_TIME_PATTERN)
_MINUTES_A_DAY = 24 * 60


@dataclass(frozen=True)
class RunningWindow:
    """A weekly window: ``days`` as "MON-FRI", "MON,WED,FRI" or "SAT-SUN"; ``start`` and ``end`` as
    local times "HH:MM" ("24:00" ends at midnight). A window ends on the day it starts."""

    days: str
    start: str
    end: str


@dataclass(frozen=True)
class RunningSchedule:
    """The windows in which the model runs, in the IANA ``time_zone``. Default time zone: UTC."""

    windows: Sequence[RunningWindow]
    time_zone: str = "UTC"

    @classmethod
    def cron(cls, *, start: str, stop: str, time_zone: str = "UTC") -> RunningSchedule:
        """The model runs from each moment ``start`` fires until the next moment ``stop`` fires.

        Both are weekly EventBridge cron expressions, local to the IANA ``time_zone`` (default UTC):
        ``start="cron(0 8 ? * MON-FRI *)", stop="cron(0 18 ? * MON-FRI *)"``. A run past midnight is
        fine (``cron(0 22 ? * MON-FRI *)`` to ``cron(0 6 ? * TUE-SAT *)``). Raises ValueError naming
        every problem: not six fields, not weekly, a start and a stop at one moment, a bad time zone.
        """
        problems: list[str] = []
        starts = weekly_minutes(start, "schedule.start", problems)
        stops = weekly_minutes(stop, "schedule.stop", problems)
        pieces = daily_pieces(running_spans(starts, stops, problems))
        problems += _time_zone_problems(time_zone)
        if problems:
            raise ValueError("RunningSchedule.cron: invalid schedule\n  - " + "\n  - ".join(problems))
        windows = [
            RunningWindow(
                days=",".join(WEEKDAYS[day] for day in sorted(days)), start=local_time(low), end=local_time(high)
            )
            for (low, high), days in sorted(pieces.items(), key=lambda piece: (min(piece[1]), piece[0]))
        ]
        return cls(windows=windows, time_zone=time_zone)

    def problems(self) -> list[str]:
        """One line per problem, as RunningModel words them: empty, unknown days, bad times, an end
        not after its start, two windows that overlap, an unknown time zone."""
        problems = _time_zone_problems(self.time_zone)
        if not self.windows:
            problems.append(problem("schedule.windows", "none", "at least one RunningWindow"))
        spans: list[tuple[int, int, int, int]] = []  # (day, start, end, window index)
        for index, window in enumerate(self.windows):
            name = f"schedule.windows[{index}]"
            days = _days(window.days)
            if days is None:
                problems.append(problem(f"{name}.days", repr(window.days), "'MON-FRI', 'MON,WED,FRI' or 'SAT-SUN'"))
            start, end = _minute(window.start), _minute(window.end)
            for part, value, minute in (("start", window.start, start), ("end", window.end, end)):
                if minute is None:
                    problems.append(problem(f"{name}.{part}", repr(value), "a local time 'HH:MM', 00:00 to 24:00"))
            if start is not None and end is not None and end <= start:
                problems.append(problem(f"{name}.end", repr(window.end), f"after its start, {window.start}"))
            elif days is not None and start is not None and end is not None:
                spans += [(day, start, end, index) for day in days]
        problems += _overlaps(spans)
        return problems


@dataclass(frozen=True)
class SchedulePoint:
    """Weekly moments the handler is invoked at, as one cron expression: ``kind`` "wake" (around an
    opening: the handler starts the model when its measured start time says so, and times the start),
    "close", or "clock" (the instants the others miss on the nights the clocks change, in UTC); at
    each of ``minutes`` past each of ``hours`` on ``days``, in ``months`` (default: empty, every
    month). ``utc``: in UTC rather than the schedule's time zone (default: False)."""

    kind: str
    days: tuple[str, ...]
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    months: tuple[int, ...] = ()
    utc: bool = False

    @property
    def description(self) -> str:
        """What the schedule is for, in its description: "running window (wake)", "running window
        (close)", "running window (clock change, UTC)"."""
        return f"running window ({'clock change, UTC' if self.kind == 'clock' else self.kind})"

    @property
    def expression(self) -> str:
        """EventBridge Scheduler's cron form (its time zone is set on the schedule)."""
        minutes, hours, months = (
            ",".join(str(number) for number in numbers) for numbers in (self.minutes, self.hours, self.months)
        )
        return f"cron({minutes} {hours} ? {months or '*'} {','.join(self.days)} *)"


def schedule_points(schedule: RunningSchedule) -> list[SchedulePoint]:
    """For each window: wake-ups every contract.WAKE_STEP_MINUTES from contract.WAKE_AHEAD_MINUTES
    before its opening to WAKE_AFTER_MINUTES after it, and its close and CLOSE_AGAIN_MINUTES after
    it; local to the schedule's time zone. A moment that falls on another day (around a 00:30
    opening, a 24:00 close) moves its days. Then, in UTC, the instants of those the local ones miss
    on the nights the clocks change (clock_points), for windows that meet a change only."""
    points = []
    windows = [_local_window(window) for window in schedule.windows]
    for window in windows:
        by_hour: dict[tuple[int, int], list[int]] = {}
        for moment in (window.start + minutes for minutes in WAKES):
            shift, minute = divmod(moment, _MINUTES_A_DAY)
            by_hour.setdefault((shift, minute // 60), []).append(minute % 60)
        points += [
            SchedulePoint("wake", _shifted(window.days, shift), (hour,), tuple(m))
            for (shift, hour), m in by_hour.items()
        ]
        by_day: dict[int, list[int]] = {}
        for moment in (window.end + minutes for minutes in CLOSES):
            shift, minute = divmod(moment, _MINUTES_A_DAY)
            by_day.setdefault(shift, []).append(minute // 60)
        points += [
            SchedulePoint("close", _shifted(window.days, shift), tuple(hours), (window.end % 60,))
            for shift, hours in by_day.items()
        ]
    return points + clock_points(missed_moments(schedule.time_zone, windows, WAKES, CLOSES))


def clock_points(moments: Iterable[WeeklyMoment]) -> list[SchedulePoint]:
    """Points in UTC (kind "clock") that fire at each of ``moments``: each a product of months, days
    of the week, hours and minutes, so that it fires at no other minute of those days and only in
    those months. The moments of one hour of a day in a month are one point; points that differ in
    one field only (the days, then the months, then the hours) are merged."""
    by_hour: dict[tuple[int, int, int], set[int]] = {}
    for moment in moments:
        by_hour.setdefault((moment.month, moment.day, moment.hour), set()).add(moment.minute)
    products: set[tuple[tuple[int, ...], ...]] = {
        ((month,), (day,), (hour,), tuple(sorted(minutes))) for (month, day, hour), minutes in by_hour.items()
    }
    for field in (1, 0, 2):
        merged: dict[tuple[tuple[int, ...], ...], set[int]] = {}
        for product in products:
            merged.setdefault(product[:field] + product[field + 1 :], set()).update(product[field])
        products = {rest[:field] + (tuple(sorted(values)),) + rest[field:] for rest, values in merged.items()}
    return [
        SchedulePoint("clock", tuple(WEEKDAYS[day] for day in days), hours, minutes, months, utc=True)
        for months, days, hours, minutes in sorted(products)
    ]


def schedule_property(schedule: RunningSchedule) -> dict[str, object]:
    """The resource's Schedule property: the time zone, and each window with its days listed."""
    return {
        "TimeZone": schedule.time_zone,
        "Windows": [
            {"Days": ",".join(WEEKDAYS[day] for day in sorted(_days(w.days) or [])), "Start": w.start, "End": w.end}
            for w in schedule.windows
        ],
    }


def _time_zone_problems(time_zone: str) -> list[str]:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return [problem("schedule.time_zone", repr(time_zone), "an IANA time zone, e.g. 'Europe/Berlin'")]
    return []


def _local_window(window: RunningWindow) -> LocalWindow:
    days, start, end = _days(window.days), _minute(window.start), _minute(window.end)
    if days is None or start is None or end is None:
        raise ValueError(f"not a valid window: {window}; check RunningSchedule.problems() first")
    return LocalWindow(frozenset(days), start, end)


def _shifted(days: Collection[int], shift: int) -> tuple[str, ...]:
    return tuple(WEEKDAYS[(day + shift) % 7] for day in sorted(days, key=lambda d: (d + shift) % 7))


def _days(text: str) -> set[int] | None:
    """The weekday numbers (0 = Monday) that "MON-FRI" or "MON,WED" names; None when it names none."""
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.strip().upper().partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            return None
        low, high = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if high < low:  # "FRI-MON" would wrap the week: write "FRI-SUN,MON"
            return None
        days.update(range(low, high + 1))
    return days


def _minute(text: str) -> int | None:
    match = _LOCAL_TIME.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    return _MINUTES_A_DAY if text == "24:00" else int(match["hour"]) * 60 + int(match["minute"])


def _overlaps(spans: list[tuple[int, int, int, int]]) -> list[str]:
    """A problem for each pair of windows that share a moment (touching ends do not overlap)."""
    found: set[tuple[int, int]] = set()
    for day, start, end, index in spans:
        for other_day, other_start, other_end, other in spans:
            if other > index and other_day == day and start < other_end and other_start < end:
                found.add((index, other))
    return [
        problem(f"schedule.windows[{b}]", f"a window overlapping schedule.windows[{a}]", "windows that do not overlap")
        for a, b in sorted(found)
    ]
