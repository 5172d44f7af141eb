"""The ledger on its own, against moto's DynamoDB: what each write stores, when each item expires,
and that every failure of the table reaches the caller as a LedgerError."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from running_model import contract
from running_model.ledger import Ledger, LedgerError
from running_model.ownership import Owner

from support.fakes.aws import CREDENTIALS, REGION, client, create_ledger

NOW = 1_800_000_000.123_456
DAY = 86_400
OWNER = Owner("arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1", "Model")


@pytest.fixture
def table(aws_endpoint: str) -> str:
    return create_ledger(aws_endpoint, f"Ledger-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def dynamodb(aws_endpoint: str) -> Any:
    return client("dynamodb", aws_endpoint)


@pytest.fixture
def ledger(dynamodb: Any, table: str) -> Ledger:
    return Ledger(dynamodb, table, clock=lambda: NOW)


def stored(dynamodb: Any, table: str, key: str) -> dict[str, Any]:
    return dict(dynamodb.get_item(TableName=table, Key={contract.LEDGER_KEY: {"S": key}})["Item"])


def expires(item: dict[str, Any]) -> float:
    return float(item[contract.LEDGER_EXPIRES_AT]["N"])


def test_a_lease_expires_a_day_after_it_ends_and_stores_milliseconds(ledger: Ledger, dynamodb: Any, table: str) -> None:
    assert ledger.take_lease(OWNER, "holder-1", NOW + 60)
    item = stored(dynamodb, table, f"lease|{OWNER.stack_id}|{OWNER.logical_id}")
    assert item["LeaseHolder"] == {"S": "holder-1"}
    assert item["LeaseUntil"] == {"N": "1800000060.123"}
    assert expires(item) == pytest.approx(NOW + 60 + DAY, abs=0.001)


def test_a_lease_is_taken_once_until_it_ends_or_is_given_back(dynamodb: Any, table: str) -> None:
    now = [NOW]
    ledger = Ledger(dynamodb, table, clock=lambda: now[0])
    assert ledger.take_lease(OWNER, "first", NOW + 60)
    assert ledger.take_lease(OWNER, "first", NOW + 60), "a retried take by the holder must succeed"
    assert not ledger.take_lease(OWNER, "second", NOW + 120)
    now[0] = NOW + 61
    assert ledger.take_lease(OWNER, "second", NOW + 120), "an ended lease is free"
    ledger.give_back_lease(OWNER, "first")  # ended already: changes nothing
    assert not ledger.take_lease(OWNER, "third", NOW + 180)
    ledger.give_back_lease(OWNER, "second")
    assert ledger.take_lease(OWNER, "third", NOW + 180)


def test_a_registration_is_read_back_as_recorded(ledger: Ledger) -> None:
    assert ledger.resource(OWNER) is None
    ledger.record_registration(OWNER, "req-1", "Update", "arn:version/1", {"b": "2", "a": "1"})
    record = ledger.resource(OWNER)
    assert record is not None
    assert (record.request_id, record.request_type, record.version_arn) == ("req-1", "Update", "arn:version/1")
    assert record.declaration == {"a": "1", "b": "2"}
    assert not record.released


def test_a_declaration_is_stored_the_same_whatever_the_order_of_its_keys(
    ledger: Ledger, dynamodb: Any, table: str
) -> None:
    key = f"resource|{OWNER.stack_id}|{OWNER.logical_id}"
    ledger.record_registration(OWNER, "req-1", "Create", "arn:version/1", {"b": "2", "a": "1"})
    first = stored(dynamodb, table, key)["Declaration"]
    ledger.record_registration(OWNER, "req-1", "Create", "arn:version/1", {"a": "1", "b": "2"})
    assert stored(dynamodb, table, key)["Declaration"] == first == {"S": '{"a": "1", "b": "2"}'}


def test_a_live_registration_never_expires_and_a_release_two_days_after_it(
    ledger: Ledger, dynamodb: Any, table: str
) -> None:
    key = f"resource|{OWNER.stack_id}|{OWNER.logical_id}"
    ledger.record_registration(OWNER, "req-1", "Create", "arn:version/1", {})
    assert contract.LEDGER_EXPIRES_AT not in stored(dynamodb, table, key)
    ledger.record_release(OWNER, "req-2", "arn:version/1")
    assert expires(stored(dynamodb, table, key)) == pytest.approx(NOW + 2 * DAY, abs=0.001)
    record = ledger.resource(OWNER)
    assert record is not None
    assert record.released and record.request_type == "Delete" and record.request_id == "req-2"


def test_a_request_is_opened_once_and_expires_two_days_after_it_arrives(
    ledger: Ledger, dynamodb: Any, table: str
) -> None:
    assert ledger.request("req-1") is None
    assert ledger.open_request("req-1", {"ResponseURL": "https://example/answer"})
    assert not ledger.open_request("req-1", {"ResponseURL": "https://example/other"}), "a second delivery"
    assert expires(stored(dynamodb, table, "request|req-1")) == pytest.approx(NOW + 2 * DAY, abs=0.001)
    record = ledger.request("req-1")
    assert record is not None
    assert record.target == {"ResponseURL": "https://example/answer"}
    assert (record.answer, record.answered, record.sent) == (None, False, False)


def test_the_first_answer_recorded_is_the_one_kept_and_sent(ledger: Ledger, dynamodb: Any, table: str) -> None:
    ledger.open_request("req-1", {"ResponseURL": "https://example/answer"})
    first = {"Status": "SUCCESS", "Reason": "RUNNING"}
    assert ledger.record_answer("req-1", first) == first
    assert ledger.record_answer("req-1", {"Status": "FAILED", "Reason": "later"}) == first
    record = ledger.request("req-1")
    assert record is not None and record.answer == first and record.answered and not record.sent
    ledger.mark_sent("req-1")
    record = ledger.request("req-1")
    assert record is not None and record.sent
    assert expires(stored(dynamodb, table, "request|req-1")) == pytest.approx(NOW + 2 * DAY, abs=0.001)


def test_an_answer_to_a_request_never_opened_still_expires(dynamodb: Any, table: str) -> None:
    ledger = Ledger(dynamodb, table, clock=lambda: NOW + DAY)
    ledger.record_answer("req-9", {"Status": "SUCCESS"})
    assert expires(stored(dynamodb, table, "request|req-9")) == pytest.approx(NOW + 3 * DAY, abs=0.001)


def test_every_read_is_consistent(ledger: Ledger, dynamodb: Any) -> None:
    """An eventually consistent read could miss a lease or an answer written a moment before."""
    reads: list[dict[str, Any]] = []
    dynamodb.meta.events.register("provide-client-params.dynamodb.GetItem", lambda params, **_: reads.append(params))
    ledger.resource(OWNER)
    ledger.request("req-1")
    assert len(reads) == 2 and all(read.get("ConsistentRead") is True for read in reads)


def _every_call(ledger: Ledger) -> dict[str, Callable[[], object]]:
    return {
        "take_lease": lambda: ledger.take_lease(OWNER, "holder", NOW + 60),
        "give_back_lease": lambda: ledger.give_back_lease(OWNER, "holder"),
        "resource": lambda: ledger.resource(OWNER),
        "record_registration": lambda: ledger.record_registration(OWNER, "req", "Create", "arn:v", {}),
        "record_release": lambda: ledger.record_release(OWNER, "req", "arn:v"),
        "open_request": lambda: ledger.open_request("req", {}),
        "request": lambda: ledger.request("req"),
        "record_answer": lambda: ledger.record_answer("req", {"Status": "SUCCESS"}),
        "mark_sent": lambda: ledger.mark_sent("req"),
    }


@pytest.mark.parametrize("call", list(_every_call(Ledger(None, ""))))
def test_a_table_that_is_not_there_fails_every_call_with_a_ledger_error(dynamodb: Any, call: str) -> None:
    ledger = Ledger(dynamodb, "NoSuchLedger", clock=lambda: NOW)
    with pytest.raises(LedgerError, match="NoSuchLedger|ResourceNotFound"):
        _every_call(ledger)[call]()


@pytest.fixture
def unreachable() -> Iterator[Any]:
    """A DynamoDB client whose endpoint refuses connections, tried once."""
    yield boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1),
        **CREDENTIALS,
    )


@pytest.mark.parametrize("call", list(_every_call(Ledger(None, ""))))
def test_a_table_that_cannot_be_reached_fails_every_call_with_a_ledger_error(unreachable: Any, call: str) -> None:
    ledger = Ledger(unreachable, "Ledger", clock=lambda: NOW)
    with pytest.raises(LedgerError):
        _every_call(ledger)[call]()
