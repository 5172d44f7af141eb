"""How a request and a scheduled event wait for their resource's lease, on a simulated clock: how
long, in which steps, and until when the lease they take lasts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest

from running_model import contract
from running_model.ledger import LEASE_KEPT_SECONDS, Ledger
from running_model.ownership import Owner
from running_model.repair import Repairer
from running_model.resource import PollingResource
from running_model.settings import Timing

from support.fakes.aws import client
from support.fakes.cloudformation import STACK_ID, event
from support.testdata import version_arn
from support.world import World

START = 1_800_000_000.0
OWNER = Owner(STACK_ID, "Detector")


@dataclass
class SimulatedTime:
    """A clock that moves only when the code under test sleeps."""

    now: float = START
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Context:
    """Lambda's context with a fixed time left (the simulated clock does not move it)."""

    remaining_millis: int = 120_000
    aws_request_id: str = "invocation"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


def lease_item(world: World) -> dict[str, Any]:
    dynamodb = client("dynamodb", world.aws_endpoint)
    key = {contract.LEDGER_KEY: {"S": f"lease|{OWNER.stack_id}|{OWNER.logical_id}"}}
    return dict(dynamodb.get_item(TableName=os.environ[contract.LEDGER_TABLE_ENV], Key=key)["Item"])


def resource(time_: SimulatedTime, lease_waits: tuple[float, float]) -> PollingResource:
    """The handler's resource as lambda/index.py makes it, with a create that answers at once."""
    made = PollingResource(
        rule_prefix=os.environ[contract.POLL_RULE_PREFIX_ENV],
        polling_interval_minutes=1,
        schedule_expression="rate(1 minute)",
        ledger_table=os.environ[contract.LEDGER_TABLE_ENV],
        lease_waits=lease_waits,
        clock=time_.clock,
        sleep=time_.sleep,
    )
    made.create(lambda request, context: "made-it")
    made.poll_create(lambda request, context: "made-it")
    return made


@pytest.mark.parametrize(
    ("wait", "steps"),
    [(5.0, [0.5] * 10), (20.0, [1.0] * 20), (0.04, [0.01] * 4)],
    ids=["a tenth of the wait", "at most a second", "at least 10 ms"],
)
def test_a_first_look_waits_for_a_held_lease_in_steps_then_answers_why_it_did_nothing(
    world: World, wait: float, steps: list[float]
) -> None:
    time_ = SimulatedTime()
    handler = resource(time_, lease_waits=(wait, 99.0))
    assert handler.ledger.take_lease(OWNER, "another-invocation", START + 600)
    request = event("Create", world.responses, {"ProjectVersionArn": version_arn("widgets", "v1")})
    handler(request, Context())
    assert time_.sleeps == pytest.approx(steps) and time_.now == pytest.approx(START + wait)
    (answer,) = world.responses.answers_to(request["RequestId"])
    assert answer.status == "FAILED"
    assert answer.reason == "Another invocation of the handler kept working on this resource; nothing was done"


def test_a_poll_waits_its_own_time_for_a_held_lease_and_leaves_the_request_to_the_next(world: World) -> None:
    time_ = SimulatedTime()
    handler = resource(time_, lease_waits=(99.0, 2.0))
    request = event("Create", world.responses, {"ProjectVersionArn": version_arn("widgets", "v1")})
    assert handler.ledger.open_request(request["RequestId"], {"ResponseURL": request["ResponseURL"]})
    assert handler.ledger.take_lease(OWNER, "another-invocation", START + 600)
    handler({**request, "CrHelperPoll": True, "CrHelperData": {}}, Context())
    assert time_.sleeps == [0.2] * 10
    assert world.responses.answers_to(request["RequestId"]) == []


def test_a_lease_taken_lasts_until_the_invocation_times_out(world: World) -> None:
    time_ = SimulatedTime()
    handler = resource(time_, lease_waits=(5.0, 5.0))
    request = event("Create", world.responses, {"ProjectVersionArn": version_arn("widgets", "v1")})
    handler(request, Context(remaining_millis=120_000))
    assert lease_item(world)["LeaseUntil"] == {"N": str(START + 120)}
    handler.give_back_lease()
    item = lease_item(world)
    assert "LeaseHolder" not in item
    assert float(item[contract.LEDGER_EXPIRES_AT]["N"]) == START + 120 + LEASE_KEPT_SECONDS
    assert time_.sleeps == [] and world.responses.answers_to(request["RequestId"])[0].status == "SUCCESS"


def ledger(world: World, time_: SimulatedTime) -> Ledger:
    return Ledger(client("dynamodb", world.aws_endpoint), os.environ[contract.LEDGER_TABLE_ENV], clock=time_.clock)


def repairer(world: World, time_: SimulatedTime, timing: Timing) -> Repairer:
    return Repairer(
        ledger=ledger(world, time_),
        request_in_progress=lambda logical_id, request_id: False,
        timing=timing,
        clock=time_.clock,
        sleep=time_.sleep,
    )


def repair_event() -> dict[str, Any]:
    return {
        contract.REPAIR_EVENT: {
            "StackId": STACK_ID,
            "LogicalResourceId": OWNER.logical_id,
            "ResourceProperties": {"ProjectVersionArn": version_arn("widgets", "v1")},
        }
    }


@pytest.mark.parametrize(("step", "pause"), [(5.0, 0.5), (20.0, 1.0)])
def test_a_scheduled_event_waits_one_step_for_a_held_lease_then_leaves_it_to_the_next_event(
    world: World, step: float, pause: float
) -> None:
    time_ = SimulatedTime()
    repair = repairer(world, time_, Timing(step_seconds=step))
    assert ledger(world, time_).take_lease(OWNER, "another-invocation", START + 600)
    done = repair.handle(repair_event(), Context())
    assert done.why_not == "another invocation works on the resource"
    assert time_.sleeps == [pause] * round(step / pause)
    assert world.rekognition.calls == []


@pytest.mark.parametrize(
    ("context", "lasts"), [(Context(remaining_millis=90_000), 90.0), (None, 180.0)], ids=["Lambda", "no context"]
)
def test_a_scheduled_event_holds_the_lease_until_its_invocation_times_out(
    world: World, context: Context | None, lasts: float
) -> None:
    time_ = SimulatedTime()
    repair = repairer(world, time_, Timing(lambda_timeout_seconds=180.0))
    ledger(world, time_).record_release(OWNER, "a-delete", version_arn("widgets", "v1"))
    done = repair.handle(repair_event(), context)
    assert done.why_not == "the resource was deleted"
    item = lease_item(world)
    assert "LeaseHolder" not in item, "given back"
    assert float(item[contract.LEDGER_EXPIRES_AT]["N"]) == START + lasts + LEASE_KEPT_SECONDS


def test_a_first_look_waits_for_the_lease_what_its_invocation_can_spare_beside_its_own_window() -> None:
    assert Timing(lambda_timeout_seconds=180, reserve_seconds=60, window_seconds=50).first_lease_wait_seconds == 70
    assert Timing(lambda_timeout_seconds=100, reserve_seconds=60, window_seconds=50).first_lease_wait_seconds == 0
