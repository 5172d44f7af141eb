"""Whether an owner of a model version is still a live CloudFormation resource: asked of CloudFormation.

An owner is **stale** only when CloudFormation says so for certain: its stack (looked up by its
StackId, which stays answerable after the stack is deleted) is DELETE_COMPLETE or unknown to
CloudFormation, or the stack no longer holds the owner's logical id. Any other answer (access
denied, throttling beyond retries, no connection, a registration that does not locate its stack)
makes it **unknown**, never stale.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from .ownership import Owner

LIVE = "live"
STALE = "stale"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Standing:
    """What CloudFormation says of an owner: LIVE, STALE or UNKNOWN, and why (for people)."""

    state: str
    reason: str


class StackLookups:
    """Asks CloudFormation about owners, one client per region (``client_for(region)``), each stack
    and each resource once."""

    def __init__(self, client_for: Callable[[str], Any]) -> None:
        self._client_for = client_for
        self._clients: dict[str, Any] = {}
        self._stacks: dict[str, Standing | str] = {}
        self._resources: dict[tuple[str, str], Standing] = {}

    def standing(self, owner: Owner) -> Standing:
        """Whether ``owner`` (whose stack_id is a full StackId) is live, stale or unknown."""
        if (owner.stack_id, owner.logical_id) not in self._resources:
            self._resources[(owner.stack_id, owner.logical_id)] = self._look_up(owner)
        return self._resources[(owner.stack_id, owner.logical_id)]

    def find_by_name(self, stack_name: str, region: str) -> str | None:
        """The StackId of the live stack named ``stack_name`` in ``region``, or None (no such stack, or no answer)."""
        try:
            stacks = self._client(region).describe_stacks(StackName=stack_name)["Stacks"]
        except (ClientError, BotoCoreError, ResponseParserError):
            return None
        return str(stacks[0]["StackId"]) if stacks else None

    def _look_up(self, owner: Owner) -> Standing:
        stack = self._stack_status(owner.stack_id)
        if isinstance(stack, Standing):
            return stack
        client = self._client(_region_of(owner.stack_id))
        try:
            detail = client.describe_stack_resource(StackName=owner.stack_id, LogicalResourceId=owner.logical_id)
        except ClientError as error:
            if _does_not_exist(error):
                return Standing(STALE, f"its stack ({stack}) no longer holds {owner.logical_id}")
            return Standing(UNKNOWN, _why(error, "cloudformation:DescribeStackResource"))
        except (BotoCoreError, ResponseParserError) as error:
            return Standing(UNKNOWN, f"cloudformation:DescribeStackResource failed: {error}")
        status = str(detail["StackResourceDetail"].get("ResourceStatus", ""))
        if status == "DELETE_COMPLETE":
            return Standing(STALE, f"its stack ({stack}) has deleted {owner.logical_id}")
        return Standing(LIVE, f"stack {stack}, resource {status}")

    def _stack_status(self, stack_id: str) -> Standing | str:
        """The stack's status, or the owner's Standing when the stack alone decides it."""
        if stack_id not in self._stacks:
            self._stacks[stack_id] = self._describe_stack(stack_id)
        return self._stacks[stack_id]

    def _describe_stack(self, stack_id: str) -> Standing | str:
        try:
            stacks = self._client(_region_of(stack_id)).describe_stacks(StackName=stack_id)["Stacks"]
        except ClientError as error:
            if _does_not_exist(error):
                return Standing(STALE, "stack deleted (CloudFormation no longer knows it)")
            return Standing(UNKNOWN, _why(error, "cloudformation:DescribeStacks"))
        except (BotoCoreError, ResponseParserError) as error:
            return Standing(UNKNOWN, f"cloudformation:DescribeStacks failed: {error}")
        if not stacks:
            return Standing(STALE, "stack deleted (CloudFormation no longer knows it)")
        status = str(stacks[0]["StackStatus"])
        if status == "DELETE_COMPLETE":
            return Standing(STALE, "stack deleted")
        return status

    def _client(self, region: str) -> Any:
        if region not in self._clients:
            self._clients[region] = self._client_for(region)
        return self._clients[region]


def _region_of(stack_id: str) -> str:
    return stack_id.split(":")[3]


def _does_not_exist(error: ClientError) -> bool:
    """CloudFormation's answer for a stack or resource it does not know: ValidationError "... does not exist"."""
    details = error.response.get("Error", {})
    return details.get("Code") == "ValidationError" and "does not exist" in str(details.get("Message", ""))


def _why(error: ClientError, action: str) -> str:
    code = error.response.get("Error", {}).get("Code", "Error")
    if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
        return f"access denied: {action}"
    return f"{action} failed: {code}"
