"""Answering CloudFormation exactly once per request, whoever answers.

An answer is recorded in the ledger before it is sent: the first one recorded is the answer, and an
invocation that comes later (the request's next poll, a later request of the resource ending it,
a second delivery) sends that same one again if it was not delivered, and nothing once it was. So a
request gets one answer, however many invocations decide one, and an answer that could not be
delivered is not lost: the request's poll rule stays, and its next poll delivers it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .ledger import Ledger, LedgerError, RequestRecord
from .reasons import shorten
from .response import put_answer

logger = logging.getLogger(__name__)

# What an answer's target keeps of the request: where to answer, and the ids the answer repeats.
TARGET_KEYS = ("ResponseURL", "StackId", "RequestId", "LogicalResourceId", "RequestType", "PhysicalResourceId")


def answer_body(
    request: Mapping[str, Any],
    *,
    status: str,
    physical_id: str,
    reason: str,
    data: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """CloudFormation's answer to ``request`` (its event, a poll's Input, or its target)."""
    return {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": request.get("StackId"),
        "RequestId": request.get("RequestId"),
        "LogicalResourceId": request.get("LogicalResourceId"),
        "Reason": shorten(reason),
        "Data": dict(data or {}),
        "NoEcho": False,
    }


def target_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """What the ledger keeps of a request to answer it later: its response URL and ids."""
    return {key: event[key] for key in TARGET_KEYS if key in event}


class Answers:
    """Delivers answers through ``ledger`` (once per request) with ``put``. Default: response.put_answer."""

    def __init__(self, ledger: Ledger, *, put: Callable[[str, dict[str, Any]], bool] | None = None) -> None:
        self._ledger = ledger
        self._put = put

    def deliver(self, response_url: str, body: Mapping[str, Any]) -> bool:
        """Record ``body`` as the request's answer unless one is recorded, and deliver the recorded
        one unless it was delivered already; True once the request's answer is delivered."""
        request_id = str(body["RequestId"])
        try:
            recorded = self._ledger.record_answer(request_id, body)
        except LedgerError as error:  # still answer: a request nobody answers fails only at ServiceTimeout
            logger.error("Could not record the answer in the ledger (%s); sending it anyway", error)
            return self._send(response_url, body)
        if recorded != body:
            logger.info("%s was answered already (%s): sending that answer", body["LogicalResourceId"], _what(recorded))
        return self._send_recorded(request_id, response_url, recorded)

    def redeliver(self, request_id: str, record: RequestRecord) -> bool:
        """Deliver ``record``'s answer, unless it was delivered; True once it is."""
        if record.sent or record.answer is None:
            return record.sent
        return self._send_recorded(request_id, str(record.target.get("ResponseURL", "")), record.answer)

    def _send_recorded(self, request_id: str, response_url: str, recorded: Mapping[str, Any]) -> bool:
        try:
            if (record := self._ledger.request(request_id)) is not None and record.sent:
                return True
        except LedgerError as error:
            logger.warning("Could not tell whether the answer was delivered (%s); sending it", error)
        if not self._send(response_url, recorded):
            return False
        try:
            self._ledger.mark_sent(request_id)
        except LedgerError as error:  # a later poll then sends the same answer again
            logger.warning("Could not record the answer as delivered (%s)", error)
        return True

    def _send(self, response_url: str, body: Mapping[str, Any]) -> bool:
        logger.info("Answering %s: %s", body["LogicalResourceId"], _what(body))
        return (self._put or put_answer)(response_url, dict(body))


def _what(body: Mapping[str, Any]) -> str:
    return f"{body['Status']} ({body['Reason']})" if body.get("Reason") else str(body["Status"])
