"""The EventBridge rules that poll a request in progress: one per request, named from it.

Rule names start with the prefix the handler's IAM is scoped to and fit EventBridge's 64
characters whatever the LogicalResourceId; the suffix derives from the RequestId, so any path that
knows a request can find its rule. A rule that cannot be deleted fires again a minute later, and
that poll, finding its request answered (ledger.py), removes it: a rule never outlives its request
for good.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import describe
from .reasons import shorten

logger = logging.getLogger(__name__)

_RULE_NAME_LIMIT = 64
_SUFFIX = 8
_TARGET_ID = "1"
AWS_ERRORS = (ClientError, BotoCoreError)


def poll_rule_name(prefix: str, logical_id: str, request_id: str) -> str:
    """prefix + LogicalResourceId (cut to fit) + a suffix derived from the RequestId."""
    room = _RULE_NAME_LIMIT - len(prefix) - 1 - _SUFFIX
    suffix = hashlib.sha256(request_id.encode()).hexdigest()[:_SUFFIX]
    return f"{prefix}{logical_id[: max(room, 0)]}-{suffix}"


class PollRules:
    """The poll rules of one handler (``prefix``), through a boto3 EventBridge client."""

    def __init__(self, client: Any, *, prefix: str, schedule_expression: str) -> None:
        self._client = client
        self.prefix = prefix
        self._schedule_expression = schedule_expression

    def name(self, logical_id: str, request_id: str) -> str:
        return poll_rule_name(self.prefix, logical_id, request_id)

    def put(self, event: dict[str, Any], function_name: str) -> str:
        """Create the rule of ``event``'s request, invoking the function ``function_name`` (of the
        rule's account and region) with ``event`` as Input; return the rule's ARN. An error is
        raised, with no rule left behind (when it can be deleted)."""
        name = self.name(event["LogicalResourceId"], event["RequestId"])
        try:
            response = self._client.put_rule(
                Name=name,
                ScheduleExpression=self._schedule_expression,
                State="ENABLED",
                Description=shorten(f"Polls {event['LogicalResourceId']} of {event['StackId']}", 512),
            )
            rule_arn = str(response["RuleArn"])
            partition, _, region, account = rule_arn.split(":")[1:5]
            function_arn = f"arn:{partition}:lambda:{region}:{account}:function:{function_name}"
            polled = {**event, "CrHelperRule": rule_arn}
            self._client.put_targets(
                Rule=name, Targets=[{"Id": _TARGET_ID, "Arn": function_arn, "Input": json.dumps(polled)}]
            )
        except AWS_ERRORS:
            self._delete_quietly(name)
            raise
        return rule_arn

    def targets(self, name: str) -> list[dict[str, Any]] | None:
        """The targets of rule ``name``; None when there is no such rule."""
        try:
            return list(self._client.list_targets_by_rule(Rule=name).get("Targets", []))
        except self._client.exceptions.ResourceNotFoundException:
            return None

    def remove(self, name: str) -> bool:
        """Remove rule ``name`` and its target; False when there was no rule.

        An error is raised when the rule stays in place (it fires again, and that poll removes it).
        A rule whose target is gone cannot fire again, so a target removed but a rule that cannot
        be deleted gets its target back; only if that fails too does the removal count as done,
        leaving an empty rule behind (logged).
        """
        targets = self.targets(name)
        if targets is None:
            return False
        self._client.remove_targets(Rule=name, Ids=[_TARGET_ID])
        try:
            self._client.delete_rule(Name=name)
        except self._client.exceptions.ResourceNotFoundException:
            pass
        except AWS_ERRORS:
            try:
                self._client.put_targets(Rule=name, Targets=targets)
            except AWS_ERRORS as error:
                logger.error("Could not delete the empty poll rule %s (%s): delete it by hand", name, describe(error))
                return True
            raise
        return True

    def remove_quietly(self, name: str) -> None:
        """``remove``, logging a failure instead of raising it (the rule's next poll removes it)."""
        try:
            self.remove(name)
        except AWS_ERRORS as error:
            logger.error("Could not remove the poll rule %s (%s); its next poll does", name, describe(error))

    def _delete_quietly(self, name: str) -> None:
        try:
            self._client.delete_rule(Name=name)
        except self._client.exceptions.ResourceNotFoundException:
            pass
        except AWS_ERRORS as error:
            logger.error("Could not delete the empty poll rule %s (%s): delete it by hand", name, describe(error))
