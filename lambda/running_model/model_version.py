"""A Rekognition Custom Labels model version, as its ARN names it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import contract

_VERSION_ARN = re.compile(contract.PROJECT_VERSION_ARN_PATTERN)


@dataclass(frozen=True)
class ModelVersion:
    """A Rekognition Custom Labels model version, as its ARN describes it."""

    arn: str
    partition: str
    region: str
    account: str
    project: str
    version: str

    @classmethod
    def from_arn(cls, arn: object) -> ModelVersion | None:
        """The version that ``arn`` names, or None when it is not a project version ARN."""
        match = _VERSION_ARN.match(arn) if isinstance(arn, str) else None
        if not match:
            return None
        return cls(arn=arn, **match.groupdict())  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        """Short name for messages: ``project/version``."""
        return f"{self.project}/{self.version}"
