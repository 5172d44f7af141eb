"""Lambda entry point of the Custom::RekognitionRunningModel handler (handler: index.handler)."""

from __future__ import annotations

import os
from typing import Any

from running_model import contract
from running_model.lifecycle import Lifecycle
from running_model.repair import Repairer, is_repair
from running_model.resource import PollingResource
from running_model.settings import Timing

timing = Timing.from_environment()
helper = PollingResource(
    rule_prefix=os.environ.get(contract.POLL_RULE_PREFIX_ENV, "RunningModel-"),
    polling_interval_minutes=timing.poll_interval_minutes,
    schedule_expression=timing.schedule_expression,
    ledger_table=os.environ.get(contract.LEDGER_TABLE_ENV, ""),
    lease_waits=(timing.first_lease_wait_seconds, timing.step_seconds),
)
timing_problems = timing.problems()
if timing_problems:  # every request is then answered FAILED with this, rather than mistimed
    helper.init_failure(ValueError("The handler's timing does not fit: " + "; ".join(timing_problems)))
lifecycle = Lifecycle(timing)
repairer = Repairer(
    ledger=getattr(helper, "ledger", None),
    request_in_progress=helper.request_in_progress,
    timing=timing,
)


@helper.create
@helper.update
@helper.delete
def on_request(event: dict[str, Any], context: Any) -> str | None:
    """First look at a request: answered now if it is already satisfied, else polled."""
    return _handle(event, context, polling=False)


@helper.poll_create
@helper.poll_update
@helper.poll_delete
def on_poll(event: dict[str, Any], context: Any) -> str | None:
    """A scheduled look at a request in progress."""
    return _handle(event, context, polling=True)


def _handle(event: dict[str, Any], context: Any, *, polling: bool) -> str | None:
    answer = lifecycle.handle(
        event,
        helper.Data,
        polling=polling,
        remaining_seconds=context.get_remaining_time_in_millis() / 1000,
        polls=helper,
        records=helper.ledger,
    )
    if answer.failure_reason:
        helper.fail(answer.failure_reason)
        return answer.physical_id
    helper.attributes = dict(answer.attributes)
    if not answer.finished:
        return None
    # crhelper reads a falsy id as "poll again": a finished answer always carries one.
    return answer.physical_id or event.get("PhysicalResourceId") or helper.generate_physical_id(event)


def handler(event: dict[str, Any], context: Any) -> None:
    if is_repair(event):  # the schedules' events, not CloudFormation's: nothing to answer
        repairer.handle(event, context)
        return
    try:
        helper(event, context)
    finally:
        helper.give_back_lease()
