"""The handler's ledger: the stack's DynamoDB table (the construct makes it), for what tags and
EventBridge cannot give: writes that fail when someone else wrote first.

- **A lease per resource** (StackId and LogicalResourceId): one invocation at a time acts for a
  resource, whatever brought it (a request's first look, a poll, a window or repair event, a
  Delete). A lease lasts until its holder's Lambda times out, so a holder that died frees it then.
- **The resource's latest request**: the request that registered it last, the version and the
  properties it declared, or that a Delete released it. Polls and events read it under the lease.
- **Each request's answer**, recorded before it is sent: whoever finds it recorded but not yet
  delivered sends the same answer again; once delivered, nobody sends another.

Items expire by DynamoDB's TTL (``contract.LEDGER_EXPIRES_AT``): leases a day after they end, requests two days
after they arrive, a released resource two days after its release; a live resource's record never.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from . import contract
from .errors import describe
from .ownership import Owner

_KEY = contract.LEDGER_KEY
_CONDITION_FAILED = "ConditionalCheckFailedException"
_EXPIRES = contract.LEDGER_EXPIRES_AT
_DAY = 24 * 3600.0
LEASE_KEPT_SECONDS = _DAY
REQUEST_KEPT_SECONDS = 2 * _DAY
RELEASE_KEPT_SECONDS = 2 * _DAY


class LedgerError(Exception):
    """A call to the ledger's table failed (after botocore's retries)."""


@dataclass(frozen=True)
class ResourceRecord:
    """What the ledger holds about a resource: its latest registering request, or its release."""

    request_id: str
    request_type: str
    version_arn: str
    declaration: Mapping[str, Any]
    released: bool


@dataclass(frozen=True)
class RequestRecord:
    """A request as its first invocation opened it: where to answer, and the answer once recorded."""

    target: Mapping[str, Any]
    answer: Mapping[str, Any] | None
    sent: bool

    @property
    def answered(self) -> bool:
        return self.answer is not None


class Ledger:
    """The ledger's table, through a boto3 DynamoDB client."""

    def __init__(self, client: Any, table: str, *, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    # Leases.

    def take_lease(self, owner: Owner, holder: str, until: float) -> bool:
        """One try at the resource's lease for ``holder`` until ``until`` (epoch seconds): True when
        it is free, ended, or held by ``holder`` already (a retried write whose first reply was lost)."""
        return self._written_unless_taken(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=_key("lease", owner),
                UpdateExpression=f"SET LeaseHolder = :holder, LeaseUntil = :until, {_EXPIRES} = :expires",
                ConditionExpression="attribute_not_exists(LeaseHolder) OR LeaseUntil < :now OR LeaseHolder = :holder",
                ExpressionAttributeValues={
                    ":holder": {"S": holder},
                    ":until": {"N": _number(until)},
                    ":now": {"N": _number(self._clock())},
                    ":expires": {"N": _number(until + LEASE_KEPT_SECONDS)},
                },
            )
        )

    def give_back_lease(self, owner: Owner, holder: str) -> None:
        """End ``holder``'s lease; nothing when another holds it (``holder``'s had ended)."""
        self._written_unless_taken(
            lambda: self._client.update_item(
                TableName=self._table,
                Key=_key("lease", owner),
                UpdateExpression="REMOVE LeaseHolder, LeaseUntil",
                ConditionExpression="LeaseHolder = :holder",
                ExpressionAttributeValues={":holder": {"S": holder}},
            )
        )

    # Resources.

    def resource(self, owner: Owner) -> ResourceRecord | None:
        """The resource's record; None when no request of this handler has registered it."""
        item = self._get(_key("resource", owner))
        if item is None or "Request" not in item:
            return None
        return ResourceRecord(
            request_id=item["Request"]["S"],
            request_type=item.get("RequestType", {}).get("S", ""),
            version_arn=item.get("Version", {}).get("S", ""),
            declaration=json.loads(item.get("Declaration", {}).get("S", "{}")),
            released=item.get("Released", {}).get("BOOL", False),
        )

    def record_registration(
        self, owner: Owner, request_id: str, request_type: str, version_arn: str, declaration: Mapping[str, Any]
    ) -> None:
        """Record ``request_id`` as the resource's latest request, declaring ``declaration`` for the version."""
        self._put(
            {
                **_key("resource", owner),
                "Request": {"S": request_id},
                "RequestType": {"S": request_type},
                "Version": {"S": version_arn},
                "Declaration": {"S": json.dumps(dict(declaration), sort_keys=True)},
            }
        )

    def record_release(self, owner: Owner, request_id: str, version_arn: str) -> None:
        """Record that Delete ``request_id`` released the resource from ``version_arn``, its version."""
        self._put(
            {
                **_key("resource", owner),
                "Request": {"S": request_id},
                "RequestType": {"S": "Delete"},
                "Version": {"S": version_arn},
                "Released": {"BOOL": True},
                _EXPIRES: {"N": _number(self._clock() + RELEASE_KEPT_SECONDS)},
            }
        )

    # Requests and their answers.

    def open_request(self, request_id: str, target: Mapping[str, Any]) -> bool:
        """Record a request as it arrives, with ``target`` (where and how to answer it). False when
        it was opened already: this is another delivery of it."""
        return self._written_unless_taken(
            lambda: self._client.put_item(
                TableName=self._table,
                Item={
                    **_request_key(request_id),
                    "Target": {"S": json.dumps(dict(target))},
                    _EXPIRES: {"N": _number(self._clock() + REQUEST_KEPT_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": _KEY},
            )
        )

    def request(self, request_id: str) -> RequestRecord | None:
        item = self._get(_request_key(request_id))
        if item is None:
            return None
        answer = item.get("AnswerBody", {}).get("S")
        return RequestRecord(
            target=json.loads(item.get("Target", {}).get("S", "{}")),
            answer=json.loads(answer) if answer else None,
            sent=item.get("AnswerSent", {}).get("BOOL", False),
        )

    def record_answer(self, request_id: str, answer: Mapping[str, Any]) -> Mapping[str, Any]:
        """Record ``answer`` unless the request has one already; return the one recorded."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_request_key(request_id),
                UpdateExpression=f"SET AnswerBody = :answer, {_EXPIRES} = if_not_exists({_EXPIRES}, :expires)",
                ConditionExpression="attribute_not_exists(AnswerBody)",
                ExpressionAttributeValues={
                    ":answer": {"S": json.dumps(dict(answer))},
                    ":expires": {"N": _number(self._clock() + REQUEST_KEPT_SECONDS)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if _code(error) == _CONDITION_FAILED:
                recorded = error.response.get("Item", {}).get("AnswerBody", {}).get("S")
                if recorded:
                    return dict(json.loads(recorded))
            raise LedgerError(describe(error)) from error
        except BotoCoreError as error:
            raise LedgerError(describe(error)) from error
        return answer

    def mark_sent(self, request_id: str) -> None:
        """Record that the request's answer was delivered."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_request_key(request_id),
                UpdateExpression="SET AnswerSent = :sent",
                ExpressionAttributeValues={":sent": {"BOOL": True}},
            )
        except (ClientError, BotoCoreError) as error:
            raise LedgerError(describe(error)) from error

    # DynamoDB.

    @staticmethod
    def _written_unless_taken(write: Callable[[], Any]) -> bool:
        """Make a conditional ``write``: False when its condition failed (someone wrote first)."""
        try:
            write()
        except ClientError as error:
            if _code(error) == _CONDITION_FAILED:
                return False
            raise LedgerError(describe(error)) from error
        except BotoCoreError as error:
            raise LedgerError(describe(error)) from error
        return True

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise LedgerError(describe(error)) from error
        item = response.get("Item")
        return dict(item) if item else None

    def _put(self, item: dict[str, Any]) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as error:
            raise LedgerError(describe(error)) from error


def _key(kind: str, owner: Owner) -> dict[str, Any]:
    return {_KEY: {"S": f"{kind}|{owner.stack_id}|{owner.logical_id}"}}


def _request_key(request_id: str) -> dict[str, Any]:
    return {_KEY: {"S": f"request|{request_id}"}}


def _number(value: float) -> str:
    return str(round(value, 3))


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
