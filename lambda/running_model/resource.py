"""crhelper's CfnResource, adjusted for models that take minutes to start (DESIGN.md, crhelper).

What changes from crhelper as shipped:

- A request already satisfied (or failed) on its first look is answered at once, with no
  EventBridge rule set up. Otherwise the rule is set up right after that first look, and the
  invocation goes on looking until shortly before the rule first fires (no blind minute).
- Rule names and statement ids start with the prefix the handler's IAM is scoped to, and fit
  EventBridge's 64 and Lambda's 100 characters whatever the LogicalResourceId. They derive
  from the RequestId, so a request delivered twice is polled once.
- Removing the rule tolerates a rule already removed, and only the invocation that removed the
  rule's Lambda permission answers: two overlapping polls never both answer.
- After a failure, polling can go on silently to stop a model that was still starting.
- Reasons are cut at the end, never the beginning; Data holds only the resource's attributes.
- Answers are delivered with bounded retries that treat an HTTP error as a failure (response.py).
- The EventBridge and Lambda clients use the same explicit retries and timeouts as Rekognition's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

import boto3
from crhelper import FAILED, CfnResource

from .reasons import shorten
from .rekognition import CLIENT_CONFIG
from .response import put_answer

logger = logging.getLogger(__name__)

_RULE_NAME_LIMIT = 64
_STATEMENT_ID_LIMIT = 100
_SUFFIX = 8
# Marks the poll events of a cleanup that goes on after the answer.
_CLEANUP_MARK = "RunningModelCleanup"


class PollingResource(CfnResource):  # type: ignore[misc]
    """A CfnResource for long operations. Functions registered on it return the
    PhysicalResourceId when finished and None to poll again; to fail they call ``fail``.
    """

    # crhelper's own attributes, as this class uses them.
    _event: dict[str, Any]
    PhysicalResourceId: str | None

    def __init__(self, *, rule_prefix: str, polling_interval_minutes: int = 1) -> None:
        super().__init__(
            json_logging=False,
            log_level="INFO",
            boto_level="WARNING",
            polling_interval=polling_interval_minutes,
            sleep_on_delete=0,
        )
        self._rule_prefix = rule_prefix
        self.attributes: dict[str, str] = {}
        self._cleanup: dict[str, Any] | None = None
        self._silent = False
        self._duplicate = False
        if not self._init_failed:
            try:
                self._lambda_client = boto3.client("lambda", region_name=self._region, config=CLIENT_CONFIG)
                self._events_client = boto3.client("events", region_name=self._region, config=CLIENT_CONFIG)
            except Exception as error:  # crhelper answers FAILED with this on every request
                self.init_failure(error)

    # What the registered functions call.

    def fail(self, reason: str) -> None:
        """Answer FAILED with ``reason``."""
        self.Status = FAILED
        self.Reason = reason

    def keep_polling_after_answer(self, data: Mapping[str, Any]) -> None:
        """After answering, go on polling with ``data`` as Data (to clean up)."""
        self._cleanup = dict(data)

    def finish_silently(self) -> None:
        """Remove the poll rule without answering: CloudFormation already has its answer."""
        self._silent = True

    # crhelper hooks.

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self.attributes = {}
        self._cleanup = None
        self._silent = False
        self._duplicate = False
        return bool(super()._crhelper_init(event, context))

    def start_polling(self) -> bool:
        """Set up the poll rule now, with Data as it is; this invocation may go on looking.

        False when another delivery of this request has set it up already: this one then
        leaves the request to it and does not answer.
        """
        try:
            self._setup_polling()
        except self._lambda_client.exceptions.ResourceConflictException:
            logger.info("This request is being polled already (it was delivered twice)")
            self._duplicate = True
            return False
        logger.info("Polling every %s minute(s) until the model is ready", self._polling_interval)
        return True

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self._duplicate:
            return
        finished = bool(self.PhysicalResourceId) or self.Status == FAILED or self._silent
        polling = "CrHelperRule" in self._event
        if not finished:
            if not polling:
                self.start_polling()
            return
        if polling and not self._remove_polling():
            logger.info("Another invocation has answered this request already")
            return
        if self._cleanup is not None:
            self._start_cleanup_polling(self._cleanup)
        self._send_response = not self._silent

    def _start_cleanup_polling(self, data: dict[str, Any]) -> None:
        """After the answer, poll on a rule of its own (named apart from the request's) to clean up."""
        self._event = {k: v for k, v in self._event.items() if not k.startswith("CrHelper")}
        self._event[_CLEANUP_MARK] = True
        self.Data = data
        if self.start_polling():
            logger.info("Polling goes on to stop the model once it can be stopped")

    def _put_rule(self) -> str:
        response = self._events_client.put_rule(
            Name=self._poll_name(_RULE_NAME_LIMIT),
            ScheduleExpression=f"rate({self._polling_interval} minute{'s' if self._polling_interval != 1 else ''})",
            State="ENABLED",
            Description=shorten(f"Polls {self._event['LogicalResourceId']} of {self._event['StackId']}", 512),
        )
        return str(response["RuleArn"])

    def _add_permission(self, rule_arn: str) -> str:
        statement_id = self._poll_name(_STATEMENT_ID_LIMIT)
        self._lambda_client.add_permission(
            FunctionName=self._context.function_name,
            StatementId=statement_id,
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
        return statement_id

    def _remove_polling(self) -> bool:
        """Remove permission, target and rule. True when this invocation removed the permission."""
        rule_name = str(self._event.get("CrHelperRule", "")).split("/")[-1]
        statement_id = self._event.get("CrHelperPermission")
        owner = True
        try:
            self._lambda_client.remove_permission(FunctionName=self._context.function_name, StatementId=statement_id)
        except self._lambda_client.exceptions.ResourceNotFoundException:
            owner = False
        try:
            self._events_client.remove_targets(Rule=rule_name, Ids=["1"])
            self._events_client.delete_rule(Name=rule_name)
        except self._events_client.exceptions.ResourceNotFoundException:
            pass
        return owner

    def _send(self, status: str | None = None, reason: str = "") -> None:
        body = {
            "Status": status or self.Status,
            "PhysicalResourceId": str(self.PhysicalResourceId),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Reason": shorten(reason or self.Reason),
            "Data": self.attributes,
            "NoEcho": False,
        }
        detail = f" ({body['Reason']})" if body["Reason"] else ""
        logger.info("Answering %s: %s%s", body["LogicalResourceId"], body["Status"], detail)
        put_answer(self._response_url, body)

    def _timeout(self) -> None:
        """crhelper's timer, just before the Lambda times out. Once a poll rule is set up, the
        next scheduled poll carries on; before, only a FAILED answer keeps the stack from hanging."""
        if "CrHelperRule" in self._event:
            logger.error("This invocation ran out of time; the next scheduled poll carries on")
            return
        self.PhysicalResourceId = self._event.get("PhysicalResourceId") or self.generate_physical_id(self._event)
        self._send(FAILED, "The handler ran out of time before it could answer; see its log group for why.")

    def _poll_name(self, limit: int) -> str:
        """prefix + LogicalResourceId (cut to fit) + a suffix derived from the RequestId.

        One name per request: a second delivery of the same request meets the first one's
        Lambda permission and leaves the polling to it.
        """
        room = limit - len(self._rule_prefix) - 1 - _SUFFIX
        logical_id = self._event["LogicalResourceId"][: max(room, 0)]
        seed = self._event["RequestId"] + ("/cleanup" if self._event.get(_CLEANUP_MARK) else "")
        suffix = hashlib.sha256(seed.encode()).hexdigest()[:_SUFFIX]
        return f"{self._rule_prefix}{logical_id}-{suffix}"
