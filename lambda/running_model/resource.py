"""crhelper's CfnResource, adjusted for models that take minutes to start.

What changes from crhelper as shipped:

- A request already satisfied (or failed) on its first look is answered at once, with no
  EventBridge rule set up. Otherwise the rule is set up right after that first look and before
  any start or stop, and the invocation goes on looking until shortly before the rule first
  fires (no blind minute). A rule that cannot be set up fails the request with the real reason.
- No Lambda permission per request while it is polled: the construct grants EventBridge one
  permission for every rule with the handler's prefix, so the function's 20 KB resource policy
  never fills up. Only while an answer is being sent does the handler hold one statement, as a
  lock against a second invocation answering the same request (``_lock_answer``).
- Rule names start with the prefix the handler's IAM is scoped to and fit EventBridge's 64
  characters whatever the LogicalResourceId. They derive from the RequestId, so a request
  delivered twice is polled once, and a later request of the same resource can find the rule
  of an earlier one, end it and answer it (``end_request``).
- Removing a rule comes before the answer: if it fails, nothing is answered and the next poll
  tries again, so an error while removing a rule never changes the answer, and every request
  gets exactly one.
- Reasons are cut at the end, never the beginning; Data holds only the resource's attributes.
- Answers are delivered with bounded retries that treat an HTTP error as a failure (response.py).
- The EventBridge client uses the same explicit retries and timeouts as Rekognition's.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from crhelper import FAILED, CfnResource

from .lifecycle import REGISTERED, PollingSetupError
from .reasons import shorten
from .response import put_answer
from .settings import CLIENT_CONFIG

logger = logging.getLogger(__name__)

_RULE_NAME_LIMIT = 64
_SUFFIX = 8
_TARGET_ID = "1"
_ANSWER_LOCK_SUFFIX = "-answer"
_AWS_ERRORS = (ClientError, BotoCoreError)


def poll_rule_name(prefix: str, logical_id: str, request_id: str) -> str:
    """prefix + LogicalResourceId (cut to fit) + a suffix derived from the RequestId."""
    room = _RULE_NAME_LIMIT - len(prefix) - 1 - _SUFFIX
    suffix = hashlib.sha256(request_id.encode()).hexdigest()[:_SUFFIX]
    return f"{prefix}{logical_id[: max(room, 0)]}-{suffix}"


class PollingResource(CfnResource):  # type: ignore[misc]
    """A CfnResource for long operations. Functions registered on it return the
    PhysicalResourceId when finished and None to poll again; to fail they call ``fail``.
    """

    # crhelper's own attributes, as this class uses them.
    _event: dict[str, Any]
    PhysicalResourceId: str | None
    # This invocation's: the answer's attributes, whether to answer at all, the answer lock held.
    attributes: dict[str, str]
    _silent: bool
    _duplicate: bool
    _answer_lock: str | None

    def __init__(self, *, rule_prefix: str, polling_interval_minutes: int, schedule_expression: str) -> None:
        super().__init__(
            json_logging=False,
            log_level="INFO",
            boto_level="WARNING",
            polling_interval=polling_interval_minutes,
            sleep_on_delete=0,
        )
        self._rule_prefix = rule_prefix
        self._schedule_expression = schedule_expression
        self._forget_last_invocation()
        if not self._init_failed:
            try:
                self._events_client = boto3.client("events", region_name=self._region, config=CLIENT_CONFIG)
                self._lambda_client = boto3.client("lambda", region_name=self._region, config=CLIENT_CONFIG)
            except Exception as error:  # crhelper answers FAILED with this on every request
                self.init_failure(error)

    # What the registered functions call.

    def fail(self, reason: str) -> None:
        """Answer FAILED with ``reason``."""
        self.Status = FAILED
        self.Reason = reason

    def finish_silently(self) -> None:
        """Remove the poll rule without answering: a later request has answered this one."""
        self._silent = True

    def start_polling(self) -> bool:
        """Set up the poll rule now, with Data as it is; this invocation may go on looking.

        False when another delivery of this request has set it up already: this one then
        leaves the request to it and does not answer. Raises PollingSetupError when the rule
        cannot be set up.
        """
        name = self._rule_name(self._event["LogicalResourceId"], self._event["RequestId"])
        try:
            polled_already = self._targets_of(name) is not None
        except _AWS_ERRORS as error:
            raise PollingSetupError(f"Could not set up polling with EventBridge: {_describe(error)}") from error
        if polled_already:
            logger.info("This request is being polled already (it was delivered twice)")
            self._duplicate = True
            return False
        try:
            self._setup_polling()
        except _AWS_ERRORS as error:
            for key in ("CrHelperData", "CrHelperPoll", "CrHelperRule"):
                self._event.pop(key, None)
            self._delete_rule_quietly(name)
            raise PollingSetupError(f"Could not set up polling with EventBridge: {_describe(error)}") from error
        logger.info("Polling every %s minute(s) until the model is ready", self._polling_interval)
        return True

    def request_in_progress(self, logical_id: str, request_id: str) -> bool:
        """True while that request of ``logical_id`` is being polled (its poll rule exists)."""
        return self._targets_of(self._rule_name(logical_id, request_id)) is not None

    def end_request(self, logical_id: str, request_id: str, reason: str, physical_id: str) -> bool:
        """Stop polling an earlier request (of ``logical_id``) and answer it FAILED with ``reason``.

        False, and nothing done, when that request is not being polled (it was answered already).
        """
        name = self._rule_name(logical_id, request_id)
        targets = self._targets_of(name)
        if not targets or not self._lock_answer(
            name, str(json.loads(targets[0].get("Input", "{}")).get("CrHelperRule"))
        ):
            return False
        try:
            targets = self._remove_rule(name)
            if targets is None:  # its own poll answered it meanwhile
                return False
            for target in targets:
                earlier = json.loads(target.get("Input", "{}"))
                if earlier.get("RequestId") == request_id and "ResponseURL" in earlier:
                    logger.info("Ending %s's earlier %s request", logical_id, earlier.get("RequestType"))
                    put_answer(
                        earlier["ResponseURL"],
                        answer_body(
                            earlier,
                            status=FAILED,
                            physical_id=str(earlier.get("PhysicalResourceId") or physical_id),
                            reason=reason,
                        ),
                    )
        finally:
            self._unlock_answer()
        return True

    # crhelper hooks.

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self._forget_last_invocation()
        if not self._init_failed and "CrHelperPoll" not in event:  # a request's first invocation
            self._release_stale_answer_locks(context.function_name)
        return bool(super()._crhelper_init(event, context))  # runs the registered function

    def _forget_last_invocation(self) -> None:
        self.attributes = {}
        self._silent = False
        self._duplicate = False
        self._answer_lock = None

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self._duplicate:
            return
        finished = bool(self.PhysicalResourceId) or self.Status == FAILED or self._silent
        polling = "CrHelperRule" in self._event
        if not finished:
            if not polling:
                self.start_polling()
            return
        if polling:
            if not self._lock_answer(self._polled_rule_name(), str(self._event["CrHelperRule"])):
                logger.info("Another invocation is answering this request")
                return
            try:
                removed = self._remove_polling()
            except _AWS_ERRORS as error:
                logger.error("Could not remove the poll rule (%s); the next poll answers", _describe(error))
                removed = False
            else:
                if not removed:
                    logger.info("Another invocation has answered this request already")
            if not removed or self._silent:
                self._unlock_answer()
                return
        elif self.Status != FAILED and self._delivered_again():
            # Lambda delivered the event again once the model ran: the request's poll answers it.
            logger.info("This request is being polled already (it was delivered twice)")
            return
        self._send_response = not self._silent

    def _delivered_again(self) -> bool:
        """True when this request's poll rule exists, set up by an earlier delivery. False on an
        error: this delivery then answers, as it would without the check."""
        try:
            return self.request_in_progress(self._event["LogicalResourceId"], self._event["RequestId"])
        except _AWS_ERRORS as error:
            logger.warning("Could not tell whether an earlier delivery polls this request (%s)", _describe(error))
            return False

    def _setup_polling(self) -> None:
        self._event["CrHelperData"] = self.Data
        self._event["CrHelperPoll"] = True
        self._event["CrHelperRule"] = self._put_rule()
        self._put_targets(self._context.function_name)

    def _put_rule(self) -> str:
        response = self._events_client.put_rule(
            Name=self._rule_name(self._event["LogicalResourceId"], self._event["RequestId"]),
            ScheduleExpression=self._schedule_expression,
            State="ENABLED",
            Description=shorten(f"Polls {self._event['LogicalResourceId']} of {self._event['StackId']}", 512),
        )
        return str(response["RuleArn"])

    def _remove_polling(self) -> bool:
        """Remove this request's rule. True when this invocation removed it (and so answers)."""
        return self._remove_rule(self._polled_rule_name()) is not None

    def _polled_rule_name(self) -> str:
        """The name of this request's poll rule, from the ARN its poll carries."""
        return str(self._event["CrHelperRule"]).split("/")[-1]

    def _send(self, status: str | None = None, reason: str = "") -> None:
        body = answer_body(
            self._event,
            status=status or self.Status,
            physical_id=str(self.PhysicalResourceId),
            reason=reason or self.Reason,
            data=self.attributes,
        )
        detail = f" ({body['Reason']})" if body["Reason"] else ""
        logger.info("Answering %s: %s%s", body["LogicalResourceId"], body["Status"], detail)
        try:
            put_answer(self._response_url, body)
        finally:
            self._unlock_answer()

    def _timeout(self) -> None:
        """crhelper's timer, just before the Lambda times out. Once a poll rule is set up, the
        next scheduled poll carries on; before, only a FAILED answer keeps the stack from hanging."""
        if "CrHelperRule" in self._event:
            logger.error("This invocation ran out of time; the next scheduled poll carries on")
            return
        # An Update or Delete keeps its id; a Create that registered its resource answers with the
        # version, for its rollback Delete to stop.
        self.PhysicalResourceId = (
            self._event.get("PhysicalResourceId") or self.Data.get(REGISTERED) or self.generate_physical_id(self._event)
        )
        self._send(FAILED, "The handler ran out of time before it could answer; see its log group for why.")

    # The answer lock: two overlapping invocations (EventBridge fires on schedule whatever runs)
    # must not both answer. Lambda refuses a second statement with the same id, so adding one is
    # an atomic test-and-set; it is held only while a rule is removed and the answer sent.

    def _lock_answer(self, rule_name: str, rule_arn: str) -> bool:
        """True when this invocation may answer the request polled by ``rule_name``."""
        statement_id = f"{rule_name}{_ANSWER_LOCK_SUFFIX}"
        try:
            self._lambda_client.add_permission(
                FunctionName=self._context.function_name,
                StatementId=statement_id,
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
                SourceArn=rule_arn,
            )
        except self._lambda_client.exceptions.ResourceConflictException:
            return False  # another invocation answers, or the policy is busy: the next poll decides
        except _AWS_ERRORS as error:
            logger.error("Could not take the answer lock (%s); the next poll answers", _describe(error))
            return False
        self._answer_lock = statement_id
        return True

    def _unlock_answer(self) -> None:
        statement_id, self._answer_lock = self._answer_lock, None
        if statement_id is None:
            return
        try:
            self._lambda_client.remove_permission(FunctionName=self._context.function_name, StatementId=statement_id)
        except self._lambda_client.exceptions.ResourceNotFoundException:
            pass
        except _AWS_ERRORS as error:
            logger.error("Could not remove the answer lock %s (%s): remove it by hand", statement_id, _describe(error))

    def _release_stale_answer_locks(self, function_name: str) -> None:
        """Remove the answer locks whose rule is gone: an invocation that Lambda killed while it
        held one never released it, and once its rule is gone the lock guards nothing (a poll
        that gets the lock then finds no rule and does not answer). Failures are only logged."""
        try:
            policy = json.loads(self._lambda_client.get_policy(FunctionName=function_name)["Policy"])
            locks = [
                str(statement["Sid"])
                for statement in policy.get("Statement", [])
                if str(statement.get("Sid", "")).startswith(self._rule_prefix)
                and str(statement["Sid"]).endswith(_ANSWER_LOCK_SUFFIX)
            ]
            for lock in locks:
                if self._targets_of(lock.removesuffix(_ANSWER_LOCK_SUFFIX)) is None:
                    logger.warning("Removing the answer lock %s, left by an invocation that did not finish", lock)
                    self._lambda_client.remove_permission(FunctionName=function_name, StatementId=lock)
        except self._lambda_client.exceptions.ResourceNotFoundException:
            pass  # no resource policy, or another invocation removed the lock first
        except _AWS_ERRORS as error:
            logger.warning("Could not look for answer locks left behind (%s)", _describe(error))

    # EventBridge.

    def _rule_name(self, logical_id: str, request_id: str) -> str:
        return poll_rule_name(self._rule_prefix, logical_id, request_id)

    def _targets_of(self, name: str) -> list[dict[str, Any]] | None:
        """The targets of rule ``name``; None when there is no such rule."""
        try:
            return list(self._events_client.list_targets_by_rule(Rule=name).get("Targets", []))
        except self._events_client.exceptions.ResourceNotFoundException:
            return None

    def _remove_rule(self, name: str) -> list[dict[str, Any]] | None:
        """Remove rule ``name`` and its target; return the targets it had, None when there was no rule.

        An error is raised when the rule stays in place: the next poll then decides and answers
        instead, so a failed removal never changes the answer nor gives a second one. A rule
        whose target is gone cannot fire again, so a target removed but a rule that cannot be
        deleted gets its target back; only if that fails too does the removal count as done,
        leaving an empty rule behind (logged).
        """
        targets = self._targets_of(name)
        if targets is None:
            return None
        self._events_client.remove_targets(Rule=name, Ids=[_TARGET_ID])
        try:
            self._events_client.delete_rule(Name=name)
        except self._events_client.exceptions.ResourceNotFoundException:
            pass
        except _AWS_ERRORS:
            try:
                self._events_client.put_targets(Rule=name, Targets=targets)
            except _AWS_ERRORS as error:
                logger.error("Could not delete the empty poll rule %s (%s): delete it by hand", name, _describe(error))
                return targets
            raise
        return targets

    def _delete_rule_quietly(self, name: str) -> None:
        try:
            self._events_client.delete_rule(Name=name)
        except self._events_client.exceptions.ResourceNotFoundException:
            pass
        except _AWS_ERRORS as error:
            logger.error("Could not delete the empty poll rule %s (%s): delete it by hand", name, _describe(error))


def answer_body(
    request: dict[str, Any], *, status: str, physical_id: str, reason: str, data: dict[str, str] | None = None
) -> dict[str, Any]:
    """CloudFormation's answer to ``request`` (its event, or a poll's Input)."""
    return {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": request.get("StackId"),
        "RequestId": request.get("RequestId"),
        "LogicalResourceId": request.get("LogicalResourceId"),
        "Reason": shorten(reason),
        "Data": data or {},
        "NoEcho": False,
    }


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code', 'Unknown')}: {details.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"
