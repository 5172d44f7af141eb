"""Ready on time: over a simulated month of running windows, how often a model is RUNNING when its
window opens, and what the lead costs in extra running time; and a week's billed hours.

The windows are the README's example (MON-FRI 08:00-18:00, Europe/Berlin, over March 2026, which
has a daylight-saving change), enumerated by the handler's own windows.py. Each model has a typical
start time drawn like the main benchmark's longer starts (10 to 30 minutes), and each start varies
around it. As the construct's schedules do, the handler is woken every 5 minutes from an hour before
each opening's instant to 30 minutes after it, and at the close, on the nights the clocks change too
(the construct adds in UTC what its local schedules miss then): it starts the model at the last wake-up
that still leaves the lead (the handler's lead_time.py, from the model's own timed starts), and a start is
timed as the handler times it (lead_time.time_taken): by the first wake-up, or the close, that sees it
RUNNING, or, when that comes long after the last look that saw it STARTING, by that last look.

Some starts can be first seen late (``seen_late``): made by a repair, or by the last wake-up, and seen
RUNNING only at the close, hours on. They must not drift the lead up: the report prints the mean lead
at the month's end with a fifth of the starts seen late, beside the same with none.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from running_model.lead_time import INVOCATION_SECONDS, lead_seconds, remember, time_taken
from running_model.windows import Schedule

EXAMPLE = [{"Days": "MON,TUE,WED,THU,FRI", "Start": "08:00", "End": "18:00"}]
TIME_ZONE = "Europe/Berlin"
MONTH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
WEEK_HOURS = 7 * 24.0
# The construct's wake-ups around an opening's instant (schedule.py, WAKES), in minutes.
WAKE_AHEAD, WAKE_AFTER, WAKE_STEP = 60, 30, 5
# A model's typical start (seconds, uniform) and how much one start varies around it (lognormal sigma).
TYPICAL_START = (600.0, 1800.0)
SPREAD = 0.12


def typical_start(rng: random.Random) -> float:
    """A model's typical start duration, in seconds: 10 to 30 minutes."""
    return rng.uniform(*TYPICAL_START)


def one_start(rng: random.Random, typical: float, spread: float = SPREAD) -> float:
    """One start of a model whose typical start is ``typical`` seconds."""
    return typical * rng.lognormvariate(0.0, spread)


@dataclass(frozen=True)
class Readiness:
    windows: int
    on_time: int
    extra_seconds: float  # RUNNING before the window opened, summed
    window_seconds: float  # length of the windows, summed
    final_lead_seconds: float = 0.0  # the lead at the month's end, mean over the models

    @property
    def on_time_percent(self) -> float:
        return 100.0 * self.on_time / self.windows

    @property
    def extra_percent(self) -> float:
        return 100.0 * self.extra_seconds / self.window_seconds

    def line(self) -> str:
        return (
            f"RUNNING at window open: {self.on_time_percent:.1f}% of {self.windows} windows; "
            f"extra running time {self.extra_percent:.1f}% of window time"
        )


def openings(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    found, moment = [], start
    while (moment := schedule.next_opening(moment)) < end:
        found.append(moment)
    return found


def simulate_month(
    models: int,
    seed: int,
    *,
    lead: Callable[[Sequence[float]], float] = lead_seconds,
    spread: float = SPREAD,
    seen_late: float = 0.0,
) -> Readiness:
    """Every window of the month for ``models`` models; ``spread``: how much one start varies (lognormal
    sigma); ``seen_late``: the share of starts whose wake-ups after the start miss it (seen at the close)."""
    rng = random.Random(seed)
    late_rng = random.Random(seed + 1)  # its own draws: the starts are the same whatever seen_late is
    schedule = Schedule.of(EXAMPLE, TIME_ZONE)
    window_seconds = (schedule.windows[0].end - schedule.windows[0].start) * 60.0
    total = on_time = 0
    extra = final_leads = 0.0
    for _ in range(models):
        typical = typical_start(rng)
        history: list[float] = []
        for opening in openings(schedule, *MONTH):
            wakes = [opening + timedelta(minutes=minute) for minute in range(-WAKE_AHEAD, WAKE_AFTER + 1, WAKE_STEP)]
            ahead = timedelta(seconds=lead(history) + WAKE_STEP * 60)  # the last wake-up leaving the lead
            started = next((wake for wake in wakes if opening - wake <= ahead), opening)
            started += timedelta(seconds=rng.uniform(0.0, INVOCATION_SECONDS))  # the invocation's own delay
            running_at = started + timedelta(seconds=one_start(rng, typical, spread))
            early = (opening - running_at).total_seconds()
            total += 1
            on_time += early >= 0
            extra += max(early, 0.0)
            looks = [] if late_rng.random() < seen_late else [wake for wake in wakes if wake > started]
            seen = next((wake for wake in looks if wake >= running_at), opening + timedelta(seconds=window_seconds))
            last_starting = max((wake for wake in looks if wake < running_at), default=started)
            took = time_taken((started.timestamp(), last_starting.timestamp()), seen.timestamp())
            if took is not None:
                history = remember(history, took)
        final_leads += lead(history)
    return Readiness(total, on_time, extra, total * window_seconds, final_leads / models)


def weekly_hours(readiness: Readiness) -> tuple[float, float]:
    """Hours a week the example model is RUNNING (and billed, per inference unit): always on, and
    windowed including the extra time before each opening."""
    schedule = Schedule.of(EXAMPLE, TIME_ZONE)
    per_window = (schedule.windows[0].end - schedule.windows[0].start) / 60.0
    windows_a_week = len(schedule.windows[0].days)
    extra_per_window = readiness.extra_seconds / readiness.windows / 3600.0
    return WEEK_HOURS, windows_a_week * (per_window + extra_per_window)


def report(models: int, seed: int) -> str:
    readiness = simulate_month(models, seed)
    late = simulate_month(models, seed, seen_late=0.2)
    always, windowed = weekly_hours(readiness)
    return (
        f"{readiness.line()}\n"
        f"Inference-unit hours a week (RUNNING, 1 unit): always on {always:.1f}; windowed MON-FRI "
        f"08:00-18:00 {TIME_ZONE} {windowed:.1f} ({100 * (1 - windowed / always):.0f}% less)\n"
        f"With a fifth of the starts first seen late (at the close): {late.line()}; lead at the month's "
        f"end {late.final_lead_seconds / 60:.1f} min (every start seen on time: "
        f"{readiness.final_lead_seconds / 60:.1f} min)"
    )
