"""The parts of a model version ARN, concrete or a token, for IAM scoping and metric dimensions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import Fn, Token

from . import contract

_VERSION_ARN = re.compile(contract.PROJECT_VERSION_ARN_PATTERN)


@dataclass(frozen=True)
class ModelVersionArn:
    """A model version ARN and the IAM resource patterns derived from it."""

    arn: str
    partition: str
    region: str
    account: str
    project: str
    version: str

    @classmethod
    def of(cls, arn: str) -> ModelVersionArn:
        """Split ``arn``: with regular expressions when concrete, with Fn::Split when a token.

        A token is split as arn:<partition>:rekognition:<region>:<account>:project/<name>/version/<version>/<ts>.
        """
        if Token.is_unresolved(arn):
            colon = Fn.split(":", arn)
            slash = Fn.split("/", arn)
            return cls(
                arn=arn,
                partition=Fn.select(1, colon),
                region=Fn.select(3, colon),
                account=Fn.select(4, colon),
                project=Fn.select(1, slash),
                version=Fn.select(3, slash),
            )
        match = _VERSION_ARN.match(arn)
        if not match:
            raise ValueError(f"not a model version ARN: {arn!r}")
        return cls(arn, match["partition"], match["region"], match["account"], match["project"], match["version"])

    @property
    def project_arn_pattern(self) -> str:
        """Every ARN of the version's project: the project itself and its versions."""
        return f"arn:{self.partition}:rekognition:{self.region}:{self.account}:project/{self.project}/*"
