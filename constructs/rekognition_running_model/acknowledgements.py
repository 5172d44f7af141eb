"""cdk-nag acknowledgements that every user of the construct inherits.

The construct records them with aws-cdk-lib's own ``Validations.of(...).acknowledge`` (the
mechanism cdk-nag 3 reads), so the library does not depend on cdk-nag. Each one names the
exact finding: AwsSolutions-IAM5 reports a wildcard resource as ``Resource::<resource>``, with
intrinsics flattened the way ``finding_text`` does; tests/static/test_nag.py checks that they match.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

WILDCARD_RULE = "AwsSolutions-IAM5"


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, reason: str) -> str:
    """Acknowledge AwsSolutions-IAM5 for the wildcard ``resource`` on ``scope`` only; return the finding id."""
    finding = f"{WILDCARD_RULE}[Resource::{finding_text(Stack.of(scope).resolve(resource))}]"
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))
    return finding


def finding_text(value: Any) -> str:
    """A resolved CloudFormation value as one string: Fn::Join joined, Ref and GetAtt as <...>,
    Fn::Sub's ${...} as <...>, any other intrinsic as compact JSON."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, items = argument
            return str(delimiter).join(finding_text(item) for item in items)
        if function in ("Fn::Sub", "Fn::ImportValue"):
            return finding_text(argument)
        if function == "Fn::GetAtt":
            resource, attribute = argument
            return f"<{finding_text(resource)}.{finding_text(attribute)}>"
        if function == "Ref":
            return f"<{finding_text(argument)}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
