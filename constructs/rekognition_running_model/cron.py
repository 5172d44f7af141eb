"""``RunningSchedule.cron``: a start and a stop EventBridge cron expression, read as running windows.

Only weekly expressions can be windows: day-of-month "?" (or "*" with day-of-week "?"), month "*"
and year "*". The model runs from each moment ``start`` fires until the next moment ``stop`` fires;
a run that passes midnight becomes one window per day, as RunningWindow ends on the day it starts.
croniter lists the moments; EventBridge numbers the days 1 (SUN) to 7 (SAT), which it is given
as names.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from croniter import CroniterError, croniter

from . import contract
from .validation import problem

_MINUTES_A_DAY = 24 * 60
_MINUTES_A_WEEK = 7 * _MINUTES_A_DAY
# EventBridge's day-of-week numbers: 1 is Sunday.
_EVENTBRIDGE_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_WRAPPED = re.compile(r"^\s*cron\((?P<fields>.*)\)\s*$", re.IGNORECASE)
_EXAMPLE = "e.g. 'cron(0 8 ? * MON-FRI *)'"
# A Monday at midnight: the week the moments are listed in (weekly moments are the same every week).
_MONDAY = datetime(2024, 1, 1)


def weekly_minutes(expression: object, name: str, problems: list[str]) -> set[int]:
    """The minutes of the week (0 = Monday 00:00) at which ``expression`` fires; the problems with it
    are added to ``problems``, named ``name``, and then the set is empty."""
    fields = _fields(expression)
    if fields is None:
        problems.append(
            problem(
                name,
                repr(expression),
                f"EventBridge's six fields (minutes hours day-of-month month day-of-week year), {_EXAMPLE}",
            )
        )
        return set()
    minute, hour, day_of_month, month, day_of_week, year = fields
    weekly_days = (day_of_month == "?" and day_of_week != "?") or (day_of_month in ("?", "*") and day_of_week == "?")
    if not weekly_days or month != "*" or year != "*" or any(mark in day_of_week for mark in "L#"):
        problems.append(
            problem(
                name,
                repr(expression),
                "a weekly expression (day-of-month '?', month '*', year '*', days of the week without L or #), "
                + _EXAMPLE,
            )
        )
        return set()
    days = _named_days(day_of_week)
    if days is None:
        problems.append(problem(name, repr(expression), f"days of the week 1-7 or SUN-SAT, {_EXAMPLE}"))
        return set()
    try:
        moments = croniter(f"{minute} {hour} * * {days}", _MONDAY - timedelta(minutes=1))
        found: set[int] = set()
        while (moment := moments.get_next(datetime)) < _MONDAY + timedelta(days=7):
            found.add(int((moment - _MONDAY).total_seconds()) // 60)
    except CroniterError as error:
        problems.append(problem(name, repr(expression), f"a valid EventBridge cron expression ({error})"))
        return set()
    return found


def running_spans(starts: set[int], stops: set[int], problems: list[str]) -> list[tuple[int, int]]:
    """Minutes of the week (start, end) in which the model runs: from each start until the next stop
    (a start while it runs changes nothing). ``end`` may pass the week's end; the problems (a start
    and a stop at one moment) are added to ``problems``."""
    both = starts & stops
    if both:
        moments = ", ".join(_describe(minute) for minute in sorted(both)[:3])
        problems.append(
            problem("schedule.stop", f"moments schedule.start fires at too ({moments})", "none in common with it")
        )
        return []
    if not starts or not stops:
        return []
    events = sorted([(minute, True) for minute in starts] + [(minute, False) for minute in stops])
    first_stop = next(index for index, (_, is_start) in enumerate(events) if not is_start)
    spans = []
    opened: int | None = None
    for offset in range(1, len(events) + 1):  # one turn of the week, from just after a stop
        index = first_stop + offset
        minute, is_start = events[index % len(events)]
        minute += _MINUTES_A_WEEK * (index // len(events))
        if is_start and opened is None:
            opened = minute
        elif not is_start and opened is not None:
            spans.append((opened, minute))
            opened = None
    return spans


def daily_pieces(spans: list[tuple[int, int]]) -> dict[tuple[int, int], set[int]]:
    """The spans cut at midnights: (start, end) minutes of the day -> the weekdays (0 = Monday) with
    that piece; an end at midnight is 1440 ("24:00")."""
    pieces: dict[tuple[int, int], set[int]] = {}
    for start, end in spans:
        day = start // _MINUTES_A_DAY
        while day * _MINUTES_A_DAY < end:
            low = max(start, day * _MINUTES_A_DAY) - day * _MINUTES_A_DAY
            high = min(end, (day + 1) * _MINUTES_A_DAY) - day * _MINUTES_A_DAY
            pieces.setdefault((low, high), set()).add(day % 7)
            day += 1
    return pieces


def local_time(minute: int) -> str:
    """Minutes after midnight as "HH:MM" (1440 as "24:00")."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _fields(expression: object) -> list[str] | None:
    if not isinstance(expression, str):
        return None
    wrapped = _WRAPPED.match(expression)
    fields = (wrapped["fields"] if wrapped else expression).split()
    return [field.upper() for field in fields] if len(fields) == 6 else None


def _named_days(field: str) -> str | None:
    """The day-of-week field with EventBridge's numbers as names ("2-6" -> "MON-FRI"); "?" is every
    day. None when a number is not 1-7."""
    if field == "?":
        return "*"
    parts = []
    for part in field.split(","):
        days, slash, step = part.partition("/")
        names = []
        for day in days.split("-"):
            if day.isdigit():
                if not 1 <= int(day) <= 7:
                    return None
                day = _EVENTBRIDGE_DAYS[int(day) - 1]
            names.append(day)
        parts.append("-".join(names) + slash + step)
    return ",".join(parts)


def _describe(minute: int) -> str:
    day, rest = divmod(minute, _MINUTES_A_DAY)
    return f"{contract.WEEKDAYS[day]} {local_time(rest)}"
