"""EventBridge Scheduler for the stacks' AWS::Scheduler::Schedule resources: when each cron schedule
fires, in its time zone, as the service documents it for daylight-saving changes: a local time the
clocks skip in spring does not fire at all, and one they repeat in autumn fires once (the first).

croniter lists the local times a cron expression names; zoneinfo says which exist.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

_CRON = re.compile(r"^cron\((?P<fields>.+)\)$")


@dataclass(frozen=True)
class CronSchedule:
    """One cron-expression schedule of a template: what fires it and what it sends."""

    logical_id: str
    expression: str
    time_zone: ZoneInfo
    event: dict[str, Any]

    def firings(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """The UTC moments in (``after``, ``until``] at which the schedule fires, in order. Days are
        days of the week (day-of-month "?"), in every month or in those the month field names."""
        match = _CRON.match(self.expression)
        assert match, f"not a cron schedule: {self.expression}"
        minute, hour, day_of_month, month, day_of_week, year = match["fields"].split()
        assert (day_of_month, year) == ("?", "*"), f"the stand-in fires days of the week only: {self.expression}"
        local_start = after.astimezone(self.time_zone).replace(tzinfo=None) - timedelta(hours=3)
        moments = croniter(f"{minute} {hour} * {month} {day_of_week}", local_start)
        while True:
            local: datetime = moments.get_next(datetime)
            moment = local.replace(tzinfo=self.time_zone)
            if moment.astimezone(UTC).astimezone(self.time_zone).replace(tzinfo=None) != local:
                continue  # the clocks skip this local time: it does not fire
            at = moment.astimezone(UTC)  # fold=0: of a repeated local time, the first
            if at > until:
                return
            if at > after:
                yield at


def schedules(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of each AWS::Scheduler::Schedule of the template."""
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Scheduler::Schedule"
    }


def scheduled_event(properties: dict[str, Any], stack_id: str) -> dict[str, Any]:
    """The event a schedule sends the handler: its Input, with the stack's id as CloudFormation
    resolves it."""
    parts = properties["Target"]["Input"]["Fn::Join"][1]
    return dict(json.loads("".join(stack_id if part == {"Ref": "AWS::StackId"} else part for part in parts)))


def cron_schedules(template: dict[str, Any], stack_id: str) -> list[CronSchedule]:
    """The template's cron schedules (running windows; drift repair's are rate schedules)."""
    return [
        CronSchedule(
            logical_id,
            properties["ScheduleExpression"],
            ZoneInfo(properties.get("ScheduleExpressionTimezone", "UTC")),
            scheduled_event(properties, stack_id),
        )
        for logical_id, properties in schedules(template).items()
        if properties["ScheduleExpression"].startswith("cron(")
    ]
