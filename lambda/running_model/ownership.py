"""Who owns a model version: one tag on the version per CloudFormation resource that wants it running.

The record lives on the model version itself, so it survives renamed constructs, several stacks
on one model, rollbacks and a deleted handler:

- key: ``running-model:owner:`` + a hash of StackId and LogicalResourceId (one per resource);
- value: the RequestId of that resource's latest Create or Update, then ``idle`` while the
  resource does not want the version running (outside its running windows, or on its way out),
  then ``stopping:<epoch second>`` while one of its invocations may be stopping the version (until
  that invocation times out at the latest), then ``stack:<region>/<stack uuid>``, which with the
  version's account and partition gives back the StackId (so that an audit can ask CloudFormation
  about the owner for certain, see audit.py), then ``stack/logical id`` for people reading the tags
  in the console. Registrations made before the ``stack:`` word lack it and are still read.

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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .contract import TAG_PREFIX
from .model_version import ModelVersion

# Rekognition's limits: 50 tags a resource, values of at most 256 characters.
TAG_LIMIT = 50
_VALUE_LIMIT = 256
_HASH_LENGTH = 32
OWNER_TAG_PREFIX = TAG_PREFIX + "owner:"
_STACK_ID = re.compile(
    r"^arn:[a-z\d-]+:cloudformation:(?P<region>[a-z\d-]+):\d{12}:stack/[^/]+/(?P<uuid>[A-Za-z0-9-]+)$"
)
# The second word of an idle owner's tag value (the stack/logical id that follows always holds a "/").
_IDLE = "idle"
# The word that marks an owner whose invocation may be stopping the version, and until when.
_STOPPING = "stopping:"
# The word that locates the owner's stack: its region and the unique id that ends its StackId.
_STACK = "stack:"


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
        marker = f" {_IDLE}" if idle or stopping_until is not None else ""
        if stopping_until is not None:
            marker += f" {_STOPPING}{math.ceil(stopping_until)}"
        locator = f" {_STACK}{self._locator}" if self._locator else ""
        return f"{request_id}{marker}{locator} {self.label}"[:_VALUE_LIMIT]

    @property
    def label(self) -> str:
        """``stack name/logical id``, as people read the owner."""
        stack_name = self.stack_id.split("/")[1] if self.stack_id.count("/") >= 2 else self.stack_id
        return f"{stack_name}/{self.logical_id}"

    @property
    def _locator(self) -> str:
        """``region/stack uuid`` of a StackId
        (``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>``); empty for anything else."""
        match = _STACK_ID.match(self.stack_id)
        return f"{match['region']}/{match['uuid']}" if match else ""

    @classmethod
    def registered(cls, key: str, value: str, version_arn: str) -> Owner | None:
        """The owner that the tag ``key: value`` on ``version_arn`` registers, when the tag says so for
        certain: it carries the stack's locator and label, and they hash to ``key``. None otherwise
        (a registration made before the locator, or a value cut short)."""
        words = value.split(" ")
        locators = [word[len(_STACK) :] for word in words[1:] if word.startswith(_STACK)]
        version = ModelVersion.from_arn(version_arn)
        if not locators or version is None or "/" not in words[-1] or "/" not in locators[0]:
            return None
        region, stack_uuid = locators[0].split("/", 1)
        stack_name, logical_id = words[-1].split("/", 1)
        stack_id = f"arn:{version.partition}:cloudformation:{region}:{version.account}:stack/{stack_name}/{stack_uuid}"
        owner = cls(stack_id, logical_id)
        return owner if owner.key == key else None


def label_of(value: str) -> str:
    """The ``stack/logical id`` a tag value names for people (its last word), or "" if it names none."""
    last = value.rsplit(" ", 1)[-1]
    return last if " " in value and "/" in last and not last.startswith(_STACK) else ""


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
