"""Running windows: which local times of the week a model should run, in an IANA time zone.

Pure: the caller gives the moment. Days and times are local, so a window opens at 08:00 in Berlin
in winter and in summer alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import contract

WEEKDAYS = contract.WEEKDAYS
_LOCAL_TIME = re.compile(contract.LOCAL_TIME_PATTERN)
_MINUTES_A_DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    """One weekly window: on ``days`` (0 = Monday), from ``start`` to ``end`` minutes after local midnight."""

    days: frozenset[int]
    start: int
    end: int


@dataclass(frozen=True)
class Schedule:
    """The windows in which a model should run, and the time zone their days and times are in."""

    windows: tuple[Window, ...]
    time_zone: ZoneInfo

    @classmethod
    def from_property(cls, raw: object) -> Schedule:
        """The Schedule property, ``{"TimeZone": ..., "Windows": [...]}``; ValueError naming each problem."""
        if not isinstance(raw, Mapping) or not isinstance(raw.get("Windows"), list):
            raise ValueError(f"received {raw!r}; expected {{'TimeZone': ..., 'Windows': [...]}}")
        windows = [w if isinstance(w, Mapping) else {} for w in raw["Windows"]]
        return cls.of(windows, str(raw.get("TimeZone", "UTC")))

    @classmethod
    def of(cls, windows: Sequence[Mapping[str, str]], time_zone: str) -> Schedule:
        """Windows as ``{"Days": "MON,TUE", "Start": "08:00", "End": "18:00"}``; ValueError naming each problem."""
        problems: list[str] = []
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"TimeZone: received {time_zone!r}; expected an IANA time zone such as 'Europe/Berlin'")
            zone = ZoneInfo("UTC")
        parsed = [_window(index, raw, problems) for index, raw in enumerate(windows)]
        if not windows:
            problems.append("Windows: received none; expected at least one")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(tuple(w for w in parsed if w is not None), zone)

    def wants_running(self, at: datetime, *, lead_seconds: float = 0.0) -> bool:
        """True when ``at`` (an aware datetime) falls inside a window, or a window opens within
        ``lead_seconds`` after it (a model that takes that long to start must start now)."""
        local = at.astimezone(self.time_zone)
        minute = local.hour * 60 + local.minute
        if any(local.weekday() in w.days and w.start <= minute < w.end for w in self.windows):
            return True
        return lead_seconds > 0 and (self.next_opening(at) - at).total_seconds() <= lead_seconds

    def next_opening(self, after: datetime) -> datetime:
        """The first moment after ``after`` at which a window opens, in UTC."""
        return self._next(after, closes=False)

    def next_edge(self, after: datetime) -> datetime:
        """The first moment after ``after`` at which a window opens or closes, in UTC."""
        return self._next(after, closes=True)

    def _next(self, after: datetime, *, closes: bool) -> datetime:
        local = after.astimezone(self.time_zone)
        for days_ahead in range(8):
            day = local.date() + timedelta(days=days_ahead)
            windows = [w for w in self.windows if day.weekday() in w.days]
            for minute in sorted({w.start for w in windows} | ({w.end for w in windows} if closes else set())):
                moment = _moment(day, minute, self.time_zone)
                if moment > after:
                    return moment
        raise AssertionError("a schedule with a window opens within a week")


def _moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC moment of local ``minute`` on ``day``. A local time that a clock change skips is read
    with the offset before the change: 02:30 on a spring-forward night opens at 03:30 summer time."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _window(index: int, raw: Mapping[str, str], problems: list[str]) -> Window | None:
    name = f"Windows[{index}]"
    named = str(raw.get("Days", "")).split(",")
    days = {WEEKDAYS.index(day) for day in named if day in WEEKDAYS}
    if not days or len(days) != len(named):
        problems.append(f"{name}.Days: received {raw.get('Days')!r}; expected days such as 'MON,TUE'")
    start, end = _minute(f"{name}.Start", raw.get("Start"), problems), _minute(f"{name}.End", raw.get("End"), problems)
    if start is not None and end is not None and end <= start:
        problems.append(f"{name}: ends at {raw.get('End')}, not after it starts at {raw.get('Start')}")
        return None
    if start is None or end is None or not days:
        return None
    return Window(frozenset(days), start, end)


def _minute(name: str, raw: object, problems: list[str]) -> int | None:
    match = _LOCAL_TIME.fullmatch(raw) if isinstance(raw, str) else None
    if not match:
        problems.append(f"{name}: received {raw!r}; expected a local time 'HH:MM' from 00:00 to 24:00")
        return None
    return _MINUTES_A_DAY if raw == "24:00" else int(match["hour"]) * 60 + int(match["minute"])
