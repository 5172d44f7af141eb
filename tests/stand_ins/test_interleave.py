"""The interleaving scheduler (support/interleave.py) on toy paths: DynamoDB calls to a moto server."""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.fakes.aws import client, moto_server
from support.interleave import (
    Explicit,
    Fault,
    NoProgressError,
    PathError,
    Run,
    ScheduleError,
    Seeded,
    explore,
    interleave,
    pause,
    through,
    to_end,
    until,
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def table(endpoint: str) -> str:
    name = f"interleave-{uuid.uuid4().hex[:8]}"
    client("dynamodb", endpoint).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def writer(endpoint: str, table: str, name: str, count: int) -> Callable[[], None]:
    """A path that writes ``count`` items, one PutItem each."""
    dynamodb = client("dynamodb", endpoint)

    def write() -> None:
        for index in range(count):
            dynamodb.put_item(TableName=table, Item={"id": {"S": f"{name}-{index}"}})

    return write


def paths(endpoint: str, table: str, **counts: int) -> dict[str, Callable[[], None]]:
    return {name: writer(endpoint, table, name, count) for name, count in counts.items()}


def items(endpoint: str, table: str) -> dict[str, dict[str, Any]]:
    scanned = client("dynamodb", endpoint).scan(TableName=table)["Items"]
    return {item["id"]["S"]: item for item in scanned}


def enumerate_traces(endpoint: str, table: str, max_preemptions: int | None, **counts: int) -> list[tuple[str, ...]]:
    traces = []
    for schedule in explore(max_preemptions):
        run = interleave(paths(endpoint, table, **counts), schedule)
        traces.append(tuple(run.schedule))
    return traces


def test_two_paths_of_n_and_m_calls_interleave_in_every_one_of_the_binomial_ways(endpoint: str, table: str) -> None:
    traces = enumerate_traces(endpoint, table, None, a=3, b=2)
    assert len(traces) == len(set(traces)) == math.comb(5, 2)
    assert all(sorted(trace) == ["a", "a", "a", "b", "b"] for trace in traces)


def test_a_preemption_bound_keeps_fewer_schedules(endpoint: str, table: str) -> None:
    """Without preempting: one order per first path. One preemption: n + m in all (switch once, and
    the path switched to runs to its end)."""
    none = enumerate_traces(endpoint, table, 0, a=3, b=2)
    one = enumerate_traces(endpoint, table, 1, a=3, b=2)
    assert sorted(none) == [("a", "a", "a", "b", "b"), ("b", "b", "a", "a", "a")]
    assert len(one) == len(set(one)) == 3 + 2 and set(none) < set(one)


def test_three_paths_interleave_in_every_multinomial_way(endpoint: str, table: str) -> None:
    traces = enumerate_traces(endpoint, table, None, a=1, b=1, c=2)
    assert len(traces) == len(set(traces)) == math.factorial(4) // math.factorial(2)


def test_an_explicit_schedule_gives_its_trace_and_again_the_same(endpoint: str, table: str) -> None:
    schedule = ["b", "a", "a", "b", "a"]
    first = interleave(paths(endpoint, table, a=3, b=2), Explicit(schedule))
    second = interleave(paths(endpoint, table, a=3, b=2), Explicit(first.schedule))
    assert first.schedule == schedule
    assert first.trace == second.trace
    assert [str(call) for call in first.trace][:2] == ["b: dynamodb PutItem #1", "a: dynamodb PutItem #1"]


def test_steps_name_a_paths_calls_by_operation(endpoint: str, table: str) -> None:
    dynamodb = client("dynamodb", endpoint)

    def reader_writer() -> None:
        dynamodb.get_item(TableName=table, Key={"id": {"S": "x"}})
        dynamodb.put_item(TableName=table, Item={"id": {"S": "x"}})
        dynamodb.get_item(TableName=table, Key={"id": {"S": "x"}})

    def run(*steps: Any) -> list[str]:
        found = interleave({"r": reader_writer, "w": writer(endpoint, table, "w", 2)}, Explicit(steps))
        return [f"{call.path} {call.operation}" for call in found.trace]

    assert run(through("r", "PutItem"), to_end("w")) == [
        "r GetItem",
        "r PutItem",
        "w PutItem",
        "w PutItem",
        "r GetItem",
    ]
    assert run(until("r", "PutItem"), "w", "r") == ["r GetItem", "w PutItem", "r PutItem", "r GetItem", "w PutItem"]
    assert run(through("r", "GetItem", occurrence=2), "w")[:4] == ["r GetItem", "r PutItem", "r GetItem", "w PutItem"]


def test_a_schedule_that_names_a_finished_path_says_so(endpoint: str, table: str) -> None:
    with pytest.raises(ScheduleError, match=r"step 3 of the schedule, 'b', cannot be followed: 'b' has finished"):
        interleave(paths(endpoint, table, a=2, b=1), Explicit(["b", "a", "b"]))
    with pytest.raises(ScheduleError, match=r"through\('a', 'GetItem'\).*'a' finished before its call of GetItem"):
        interleave(paths(endpoint, table, a=2, b=1), Explicit([through("a", "GetItem")]))
    with pytest.raises(ScheduleError, match=r"'c' is not a path of this run \(the paths: a, b\)"):
        interleave(paths(endpoint, table, a=1, b=1), Explicit(["c"]))


def test_seeded_schedules_repeat_themselves(endpoint: str, table: str) -> None:
    runs = [interleave(paths(endpoint, table, a=4, b=4), Seeded(seed)).trace for seed in (7, 7, 8)]
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_a_lost_reply_takes_effect_once_while_the_client_retries(endpoint: str, table: str) -> None:
    """The first attempt's write lands; the client, answered HTTP 500, tries again and is refused by
    the condition its own first attempt now fails."""
    dynamodb = client("dynamodb", endpoint)

    def create_once() -> None:
        dynamodb.put_item(TableName=table, Item={"id": {"S": "once"}}, ConditionExpression="attribute_not_exists(id)")

    run = interleave({"a": create_once}, Explicit([]), faults=[Fault.lost_reply("a", "PutItem")], raise_errors=False)
    assert [str(call) for call in run.trace] == ["a: dynamodb PutItem #1 [reply lost]", "a: dynamodb PutItem #2"]
    error = run.errors["a"]
    assert isinstance(error, ClientError) and error.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert list(items(endpoint, table)) == ["once"]


def test_an_error_fault_never_reaches_the_server(endpoint: str, table: str) -> None:
    run = interleave(
        paths(endpoint, table, a=2),
        Explicit([]),
        faults=[Fault.error("a", "PutItem", "AccessDeniedException", occurrence=2)],
        raise_errors=False,
    )
    assert [str(call) for call in run.trace] == [
        "a: dynamodb PutItem #1",
        "a: dynamodb PutItem #1 [AccessDeniedException, not sent]",
    ]
    error = run.errors["a"]
    assert isinstance(error, ClientError) and error.response["Error"]["Code"] == "AccessDeniedException"
    assert list(items(endpoint, table)) == ["a-0"]


def test_a_retryable_error_fault_is_retried_by_the_client(endpoint: str, table: str) -> None:
    run = interleave(
        paths(endpoint, table, a=1), Explicit([]), faults=[Fault.error("a", "PutItem", "ThrottlingException")]
    )
    assert [call.attempt for call in run.trace] == [1, 2] and list(items(endpoint, table)) == ["a-0"]


def test_a_path_that_makes_no_progress_fails_the_run_with_the_trace(endpoint: str, table: str) -> None:
    released = threading.Event()
    write = writer(endpoint, table, "a", 1)

    def stuck() -> None:
        write()
        released.wait()

    try:
        with pytest.raises(NoProgressError) as raised:
            interleave({"a": stuck, "b": writer(endpoint, table, "b", 1)}, Explicit([]), no_progress_seconds=0.5)
    finally:
        released.set()
    assert "no progress for 0.5 s: a neither reached a gate nor finished" in str(raised.value)
    assert "  1  a: dynamodb PutItem #1" in str(raised.value)


def test_calls_from_threads_of_no_path_pass_ungated(endpoint: str, table: str) -> None:
    helper_write = writer(endpoint, table, "helper", 2)

    def spawner() -> None:
        helper = threading.Thread(target=helper_write)
        helper.start()
        helper.join()
        writer(endpoint, table, "a", 1)()

    run = interleave({"a": spawner}, Explicit([]))
    assert run.schedule == ["a"] and sorted(items(endpoint, table)) == ["a-0", "helper-0", "helper-1"]


def test_a_path_that_raises_fails_the_run_with_the_trace(endpoint: str, table: str) -> None:
    def broken() -> None:
        writer(endpoint, table, "a", 1)()
        raise ValueError("broken path")

    with pytest.raises(PathError, match=r"(?s)path 'a' raised ValueError\('broken path'\).*a: dynamodb PutItem #1"):
        interleave({"a": broken}, Explicit([]))


def test_a_run_prints_its_trace_and_the_schedule_that_plays_it_again(endpoint: str, table: str) -> None:
    run: Run = interleave(paths(endpoint, table, a=2, b=1), Explicit(["a", "b"]))
    assert str(run).splitlines() == [
        "  1  a: dynamodb PutItem #1",
        "  2  b: dynamodb PutItem #1",
        "  3  a: dynamodb PutItem #1",
        "schedule: a, b, a",
        "as a list: ['a', 'b', 'a']",
    ]


def test_switching_away_from_a_pausing_path_preempts_nothing(endpoint: str, table: str) -> None:
    """a writes, pauses (a minute passes), writes again; b writes once. Without preempting, b goes
    before a or at a's pause; a's pause ending while b could go is one preemption."""
    write_a, write_b = writer(endpoint, table, "a", 1), writer(endpoint, table, "b", 1)

    def pausing() -> None:
        write_a()
        pause()
        write_a()

    def traces(max_preemptions: int | None) -> list[tuple[str, ...]]:
        return [tuple(interleave({"a": pausing, "b": write_b}, s).schedule) for s in explore(max_preemptions)]

    assert sorted(traces(0)) == [("a", "b", "a", "a"), ("b", "a", "a", "a")]
    assert sorted(traces(1)) == [("a", "a", "a", "b"), ("a", "b", "a", "a"), ("b", "a", "a", "a")]
    assert len(set(traces(None))) == 4
    run = interleave({"a": pausing, "b": write_b}, Explicit([until("a", "NextPoll"), "b"]))
    assert [str(call) for call in run.trace] == [
        "a: dynamodb PutItem #1",
        "b: dynamodb PutItem #1",
        "a: pause NextPoll #1",
        "a: dynamodb PutItem #1",
    ]
