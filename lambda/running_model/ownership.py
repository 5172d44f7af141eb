"""Who owns a model version: one tag on the version per CloudFormation resource that wants it running.

The record lives on the model version itself, so it survives renamed constructs, several stacks
on one model, rollbacks and a deleted handler:

- key: ``running-model:owner:`` + a hash of StackId and LogicalResourceId (one per resource);
- value: the RequestId of that resource's latest Create or Update, then ``idle`` while the
  resource does not want the version running (outside its running windows, or on its way out),
  then ``stopping:<epoch second>`` while one of its invocations may be stopping the version (until
  that invocation times out at the latest), then ``stack/logical id`` for people reading the tags in
  the console.

A Create or Update registers before it starts or adopts the model; a Delete removes its own
tag and stops the model only when no other owner wants it running (an idle owner does not).

Tags have no conditional write, so the owners of one version keep out of each other's way by
writing before they read (holding.py): an owner about to stop the version marks itself
``stopping`` and then reads the other owners; an owner about to start or adopt it writes that it
wants it, then reads, and waits while another owner's mark stands.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import TAG_PREFIX

# Rekognition's limits: 50 tags a resource, values of at most 256 characters.
TAG_LIMIT = 50
_VALUE_LIMIT = 256
_HASH_LENGTH = 32
OWNER_TAG_PREFIX = TAG_PREFIX + "owner:"
# The second word of an idle owner's tag value (the stack/logical id that follows always holds a "/").
_IDLE = "idle"
# The word that marks an owner whose invocation may be stopping the version, and until when.
_STOPPING = "stopping:"


@dataclass(frozen=True)
class Owner:
    """One CloudFormation resource as an owner of model versions."""

    stack_id: str
    logical_id: str

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Owner:
        return cls(str(event["StackId"]), str(event["LogicalResourceId"]))

    @property
    def key(self) -> str:
        """The tag key of this resource: the same for every request it sends, unique to it."""
        digest = hashlib.sha256(f"{self.stack_id}|{self.logical_id}".encode()).hexdigest()
        return OWNER_TAG_PREFIX + digest[:_HASH_LENGTH]

    def value(self, request_id: str, *, idle: bool = False, stopping_until: float | None = None) -> str:
        """The tag value registering ``request_id`` as this resource's latest request; ``idle``: the
        resource holds the version but does not want it running now (outside its windows);
        ``stopping_until``: an invocation of it may be stopping the version until then (epoch
        seconds; the owner is then idle too)."""
        stack_name = self.stack_id.split("/")[1] if self.stack_id.count("/") >= 2 else self.stack_id
        marker = f" {_IDLE}" if idle or stopping_until is not None else ""
        if stopping_until is not None:
            marker += f" {_STOPPING}{math.ceil(stopping_until)}"
        return f"{request_id}{marker} {stack_name}/{self.logical_id}"[:_VALUE_LIMIT]


def request_of(value: str) -> str:
    """The RequestId a tag value registers."""
    return value.split(" ", 1)[0]


def is_idle(value: str) -> bool:
    """True when the owner this tag value registers does not want the version running now."""
    parts = value.split(" ", 2)
    return len(parts) > 1 and parts[1] == _IDLE


def stopping_until(value: str) -> float | None:
    """Until when an invocation of the owner this tag value registers may be stopping the version."""
    for word in value.split(" ")[1:]:
        if word.startswith(_STOPPING) and word[len(_STOPPING) :].isascii() and word[len(_STOPPING) :].isdigit():
            return float(word[len(_STOPPING) :])
    return None


def stopping(owners_: Mapping[str, str], now: float) -> dict[str, str]:
    """The owners (key -> value) one of whose invocations may be stopping the version at ``now``."""
    return {key: value for key, value in owners_.items() if (stopping_until(value) or 0.0) > now}


def wanting(owners_: Mapping[str, str]) -> dict[str, str]:
    """The owners (key -> value) that want the version running now."""
    return {key: value for key, value in owners_.items() if not is_idle(value)}


def owners(tags: Mapping[str, str]) -> dict[str, str]:
    """The owner tags among a version's tags (key -> value)."""
    return {key: value for key, value in tags.items() if key.startswith(OWNER_TAG_PREFIX)}
