"""Recording the handler's acknowledgements (compliance.py lists them) where the tools read them.

cdk-nag 3: aws-cdk-lib's own ``Validations.of(...).acknowledge``, so the library does not depend on
cdk-nag. Each id is qualified with its pack (``<pack>::<rule>``, as synth's report suggests), so that
aws-cdk-lib matches it against that pack's findings only, for the resource it sits on and its
children, and lists it under the report's ``suppressedViolations`` with its reason. AwsSolutions-IAM5
reports a wildcard resource as ``Resource::<resource>``, with intrinsics flattened the way
``finding_text`` does. checkov: the ``Metadata: checkov: skip`` of the CloudFormation resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct

from .compliance import (
    PACKS,
    WAIVERS,
    WILDCARD_RULE,
    GuardTarget,
    GuardWildcard,
    Target,
    Waiver,
    Wildcard,
    checkov_skips,
    nag_rules,
)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> str:
    """Acknowledge the cdk-nag finding ``rule`` (e.g. ``HIPAA.Security-LambdaDLQ``) on ``scope`` only."""
    (pack,) = [pack for pack in PACKS if rule.startswith(f"{pack}-")]
    qualified = f"{pack}::{rule}"
    Validations.of(scope).acknowledge(Acknowledgment(id=qualified, reason=reason))
    return qualified


def acknowledge_wildcard_resource(scope: IConstruct, resource: str, wildcard: Wildcard | GuardWildcard) -> str:
    """Acknowledge AwsSolutions-IAM5 for the wildcard ``resource`` on ``scope`` only; return the id."""
    finding = f"{WILDCARD_RULE}[Resource::{finding_text(Stack.of(scope).resolve(resource))}]"
    return acknowledge(scope, finding, wildcard.reason)


def acknowledge_handler(
    targets: Mapping[Target | GuardTarget, Iterable[IConstruct]],
    *,
    log_key: bool,
    waivers: tuple[Waiver, ...] = WAIVERS,
) -> None:
    """Record every acknowledgement of compliance.py's ``waivers`` (the handler's, or GUARD_WAIVERS for
    the guard's) on the resources ``targets``."""
    # AwsSolutions has none here: its only findings are the IAM5 wildcards, acknowledged where granted.
    for pack in PACKS:
        for target, rule, reason in nag_rules(pack, log_key=log_key, waivers=waivers):
            for scope in targets[target]:
                acknowledge(scope, rule, reason)
    for target, check, reason in checkov_skips(log_key=log_key, waivers=waivers):
        for scope in targets[target]:
            skip_checkov(scope, check, reason)


def skip_checkov(scope: IConstruct, check: str, reason: str) -> None:
    """Add ``check`` to the checkov skip list in the CloudFormation Metadata of ``scope``'s resource."""
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    assert isinstance(resource, CfnResource), f"{scope.node.path} has no CloudFormation resource"
    checkov: dict[str, Any] = resource.get_metadata("checkov") or {}
    skips = [*checkov.get("skip", []), {"id": check, "comment": reason}]
    resource.add_metadata("checkov", {**checkov, "skip": skips})


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
