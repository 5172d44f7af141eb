"""A small, strict evaluator of IAM identity policies, read from a synthesized CloudFormation template.

Tests use it to hold the handler to its role's policy exactly as CDK synthesizes it: the fakes ask
``RolePolicy.allows(action, resource, context)`` before answering each call. CloudFormation
intrinsics in the statements are resolved to plain strings first (pseudo parameters, references to
the template's resources and parameters, ``Fn::Join``/``Select``/``Split``/``Sub``).

Evaluation follows IAM for identity-based policies: an explicit Deny wins, otherwise a matching
Allow allows, otherwise the call is implicitly denied. Anything the evaluator does not implement
(NotAction, NotResource, policy variables, an unknown condition operator or intrinsic) raises
instead of guessing, so a policy can never be read as more permissive than it is by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

LAMBDA_SERVICE = "lambda.amazonaws.com"
DEFAULT_STACK_NAME = "RunningModelExample"

Context = Mapping[str, str | Sequence[str]]  # a request's condition keys and their values
_Keys = dict[str, list[str]]  # context key in lower case -> its values (a single value as a one-item list)

# For made-up values of resources the test gives no reference for: (ARN format, name property).
_ARN_FORMATS = {
    "AWS::Lambda::Function": ("arn:{partition}:lambda:{region}:{account}:function:{name}", "FunctionName"),
    "AWS::Logs::LogGroup": ("arn:{partition}:logs:{region}:{account}:log-group:{name}:*", "LogGroupName"),
    "AWS::IAM::Role": ("arn:{partition}:iam::{account}:role/{name}", "RoleName"),
    "AWS::Events::Rule": ("arn:{partition}:events:{region}:{account}:rule/{name}", "Name"),
    "AWS::SQS::Queue": ("arn:{partition}:sqs:{region}:{account}:{name}", "QueueName"),
    "AWS::SNS::Topic": ("arn:{partition}:sns:{region}:{account}:{name}", "TopicName"),
    "AWS::S3::Bucket": ("arn:{partition}:s3:::{name}", "BucketName"),
    "AWS::DynamoDB::Table": ("arn:{partition}:dynamodb:{region}:{account}:table/{name}", "TableName"),
}
_REF_IS_ARN = frozenset({"AWS::SNS::Topic"})  # Ref of most resources is their name; of these, their ARN

_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})
_PLAIN_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
    }
)
_SET_OPERATORS = frozenset(
    f"{qualifier}:{operator}"
    for qualifier in ("ForAllValues", "ForAnyValue")
    for operator in ("StringEquals", "StringLike")
)
_NEGATED = frozenset({"StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike"})


class UnsupportedIntrinsicError(ValueError):
    """A CloudFormation intrinsic (or a use of one) the resolver does not implement."""


class RolePolicy:
    """The identity policy statements of one IAM role, resolved to plain strings."""

    def __init__(self, statements: Sequence[Mapping[str, Any]]) -> None:
        """Take plain statements (no intrinsics); each is checked now, so evaluation cannot meet a surprise."""
        self.statements: list[dict[str, Any]] = [dict(statement) for statement in statements]
        for statement in self.statements:
            _check_statement(statement)

    @classmethod
    def from_template(
        cls,
        template: dict[str, Any],
        *,
        role_logical_id: str | None = None,
        partition: str = "aws",
        region: str = "eu-west-1",
        account: str = "111122223333",
        references: Mapping[str, str] | None = None,
    ) -> RolePolicy:
        """The statements of every AWS::IAM::Policy attached to the role (and the role's inline policies).

        ``role_logical_id`` defaults to the template's only role that Lambda may assume. ``references``
        gives the value of ``Ref`` ("LogicalId") and ``Fn::GetAtt`` ("LogicalId.Attr") where a made-up
        one will not do, and may override pseudo parameters ("AWS::StackName"). Managed policies are
        ignored.
        """
        resources: dict[str, Any] = template.get("Resources", {})
        resolver = _Resolver(template, partition, region, account, references or {})
        if role_logical_id is None:
            role_logical_id = _lambda_role(resources, resolver)
        role = resources.get(role_logical_id)
        if role is None or role.get("Type") != "AWS::IAM::Role":
            raise ValueError(f"{role_logical_id!r} is not an AWS::IAM::Role of the template")
        documents = [policy["PolicyDocument"] for policy in role.get("Properties", {}).get("Policies", [])]
        for resource in resources.values():
            properties = resource.get("Properties", {})
            if resource.get("Type") == "AWS::IAM::Policy" and {"Ref": role_logical_id} in properties.get("Roles", []):
                documents.append(properties["PolicyDocument"])
        statements: list[dict[str, Any]] = []
        for document in documents:
            listed = document["Statement"]
            statements.extend(resolver.resolve(s) for s in (listed if isinstance(listed, list) else [listed]))
        return cls(statements)

    def allows(self, action: str, resource: str, context: Mapping[str, str | Sequence[str]] | None = None) -> bool:
        """Whether the policy allows ``action`` on ``resource`` given the request ``context``."""
        keys = _normalise_context(context or {})
        matching = [s for s in self.statements if _statement_matches(s, action, resource, keys)]
        if any(s["Effect"] == "Deny" for s in matching):
            return False
        return any(s["Effect"] == "Allow" for s in matching)

    def __repr__(self) -> str:
        return f"RolePolicy({self.statements!r})"


# --------------------------------------------------------------------- statements


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_statement(statement: Mapping[str, Any]) -> None:
    """Refuse what the evaluator would get wrong: unknown keys, Not* elements, policy variables, operators."""
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise ValueError(f"not a key of an identity policy statement: {sorted(unknown)} in {statement}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise ValueError(f"Effect must be Allow or Deny: {statement}")
    for element in ("NotAction", "NotResource"):
        if element in statement:
            raise NotImplementedError(f"{element} is not supported: {statement}")
    for element in ("Action", "Resource"):
        if element not in statement:
            raise ValueError(f"an identity policy statement needs {element}: {statement}")
        for value in _as_list(statement[element]):
            if not isinstance(value, str):
                raise ValueError(f"{element} must be a string or a list of strings: {statement}")
            if "${" in value:
                raise NotImplementedError(f"policy variables are not supported: {value!r}")
    for operator, block in statement.get("Condition", {}).items():
        base = operator.removesuffix("IfExists")
        if operator not in _SET_OPERATORS and operator != "Null" and base not in _PLAIN_OPERATORS:
            raise NotImplementedError(f"condition operator {operator!r} is not supported")
        if not isinstance(block, Mapping):
            raise ValueError(f"condition operator {operator!r} needs a map of keys to values: {statement}")
        for values in block.values():
            for value in _as_list(values):
                if not isinstance(value, str | bool | int | float):
                    raise ValueError(f"condition values must be strings: {statement}")
                if isinstance(value, str) and "${" in value:
                    raise NotImplementedError(f"policy variables are not supported: {value!r}")
                if operator == "Null" and _policy_value(value).lower() not in ("true", "false"):
                    raise ValueError(f"Null takes true or false: {statement}")


def _statement_matches(statement: Mapping[str, Any], action: str, resource: str, context: _Keys) -> bool:
    return (
        any(_like(pattern, action, ignore_case=True) for pattern in _as_list(statement["Action"]))
        and any(_like(pattern, resource) for pattern in _as_list(statement["Resource"]))
        and all(
            _condition_holds(operator, key, _as_list(values), context)
            for operator, block in statement.get("Condition", {}).items()
            for key, values in block.items()
        )
    )


# --------------------------------------------------------------------- conditions


def _normalise_context(context: Context) -> _Keys:
    keys: _Keys = {}
    for key, value in context.items():
        values = [value] if isinstance(value, str) else list(value)
        if not all(isinstance(item, str) for item in values):
            raise TypeError(f"context values must be strings or sequences of strings: {key}={value!r}")
        if key.lower() in keys:
            raise ValueError(f"context key {key!r} given twice (keys are case-insensitive)")
        keys[key.lower()] = values
    return keys


def _policy_value(value: str | bool | float) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _condition_holds(operator: str, key: str, values: list[Any], context: _Keys) -> bool:
    """One key of one operator: the policy's values are OR-ed."""
    wanted = [_policy_value(value) for value in values]
    present = context.get(key.lower())
    if operator == "Null":
        missing = not present
        return any((value.lower() == "true") == missing for value in wanted)
    if ":" in operator:  # ForAllValues:... / ForAnyValue:...
        qualifier, base = operator.split(":", 1)
        if not present:
            return qualifier == "ForAllValues"
        matches = [any(_compare(base, value, pattern) for pattern in wanted) for value in present]
        return all(matches) if qualifier == "ForAllValues" else any(matches)
    base = operator.removesuffix("IfExists")
    if not present:
        # IAM: an absent key matches no value, so a positive operator fails and a negated one holds.
        return base in _NEGATED or operator.endswith("IfExists")
    positive = base.replace("Not", "", 1)
    matched = any(_compare(positive, value, pattern) for value in present for pattern in wanted)
    return not matched if base in _NEGATED else matched


def _compare(operator: str, value: str, pattern: str) -> bool:
    if operator == "StringEquals":
        return value == pattern
    if operator == "StringLike":
        return _like(pattern, value)
    if operator in ("ArnLike", "ArnEquals"):  # both take wildcards, matched per ARN part
        value_parts, pattern_parts = value.split(":", 5), pattern.split(":", 5)
        return (
            len(value_parts) == len(pattern_parts) == 6
            and value_parts[0] == "arn"
            and all(_like(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))
        )
    raise NotImplementedError(f"condition operator {operator!r} is not supported")


@lru_cache(maxsize=4096)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard matching: ``*`` any run of characters (``/`` and ``:`` included), ``?`` one character."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


# --------------------------------------------------------------------- template


def _lambda_role(resources: Mapping[str, Any], resolver: _Resolver) -> str:
    """The logical id of the only role whose trust policy lets Lambda assume it."""
    found = []
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::IAM::Role":
            continue
        trust = resource.get("Properties", {}).get("AssumeRolePolicyDocument", {})
        for statement in _as_list(trust.get("Statement", [])):
            principal = statement.get("Principal", {})
            services = resolver.resolve(principal.get("Service", [])) if isinstance(principal, Mapping) else []
            if statement.get("Effect") == "Allow" and LAMBDA_SERVICE in _as_list(services):
                found.append(logical_id)
                break
    if len(found) != 1:
        raise ValueError(f"expected exactly one role assumed by {LAMBDA_SERVICE}, found {found}: pass role_logical_id")
    return found[0]


class _Resolver:
    """Resolves CloudFormation intrinsics to plain values, for one template and one account and region."""

    def __init__(
        self, template: Mapping[str, Any], partition: str, region: str, account: str, references: Mapping[str, str]
    ) -> None:
        self._resources: Mapping[str, Any] = template.get("Resources", {})
        self._parameters: Mapping[str, Any] = template.get("Parameters", {})
        self._references = references
        self._env = {"partition": partition, "region": region, "account": account}
        self._pseudo = {
            "AWS::Partition": partition,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": DEFAULT_STACK_NAME,
        }
        self._naming: set[str] = set()  # resources whose name is being resolved, against cycles

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic replaced by its value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref" or name.startswith("Fn::"):
                return self._intrinsic(name, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _string(self, value: Any, where: str) -> str:
        resolved = self.resolve(value)
        if not isinstance(resolved, str):
            raise UnsupportedIntrinsicError(f"{where} needs a string, got {resolved!r}")
        return resolved

    def _strings(self, value: Any, where: str) -> list[str]:
        resolved = self.resolve(value)
        if not isinstance(resolved, list) or not all(isinstance(item, str) for item in resolved):
            raise UnsupportedIntrinsicError(f"{where} needs a list of strings, got {resolved!r}")
        return resolved

    def _intrinsic(self, name: str, argument: Any) -> Any:
        if name == "Ref":
            return self._ref(self._string(argument, "Ref"))
        if name == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else self._strings(argument, name)
            if len(parts) != 2:
                raise UnsupportedIntrinsicError(f"Fn::GetAtt needs a logical id and an attribute: {argument!r}")
            return self._get_att(*parts)
        if name == "Fn::Join":
            delimiter, items = _pair(name, argument)
            return self._string(delimiter, name).join(self._strings(items, name))
        if name == "Fn::Select":
            index, items = _pair(name, argument)
            listed = self._strings(items, name)
            position = int(self._string(index, name)) if not isinstance(index, int) else index
            if not 0 <= position < len(listed):
                raise UnsupportedIntrinsicError(f"Fn::Select index {position} out of range of {listed}")
            return listed[position]
        if name == "Fn::Split":
            delimiter, text = _pair(name, argument)
            return self._string(text, name).split(self._string(delimiter, name))
        if name == "Fn::Sub":
            if isinstance(argument, str):
                return self._sub(argument, {})
            text, variables = _pair(name, argument)
            if not isinstance(variables, Mapping):
                raise UnsupportedIntrinsicError(f"Fn::Sub variables must be a map: {variables!r}")
            return self._sub(self._string(text, name), {k: self._string(v, name) for k, v in variables.items()})
        raise UnsupportedIntrinsicError(f"intrinsic {name} is not supported (in {{{name!r}: {argument!r}}})")

    def _sub(self, text: str, variables: Mapping[str, str]) -> str:
        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"  # ${!Literal} is written as ${Literal}
            if inner in variables:
                return variables[inner]
            if "." in inner and not inner.startswith("AWS::"):
                return self._get_att(*inner.split(".", 1))
            return self._ref(inner)

        return re.sub(r"\$\{([^}]*)\}", replace, text)

    def _ref(self, logical_id: str) -> str:
        if logical_id in self._references:
            return self._references[logical_id]
        if logical_id in self._pseudo:
            return self._pseudo[logical_id]
        if logical_id in self._parameters:
            default = self._parameters[logical_id].get("Default")
            if default is None:
                raise UnsupportedIntrinsicError(f"parameter {logical_id} has no Default: give it in references")
            return str(default)
        resource = self._resource(logical_id, "Ref")
        if resource.get("Type") in _REF_IS_ARN:
            return self._get_att(logical_id, "Arn")
        return self._name(logical_id, resource)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        key = f"{logical_id}.{attribute}"
        if key in self._references:
            return self._references[key]
        resource = self._resource(logical_id, "Fn::GetAtt")
        if attribute != "Arn":
            return f"{self._name(logical_id, resource)}-{attribute}"
        resource_type = resource.get("Type", "")
        template, _ = _ARN_FORMATS.get(resource_type, (None, None))
        if template is None:
            service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "unknown"
            kind = resource_type.rsplit("::", 1)[-1].lower()
            template = f"arn:{{partition}}:{service}:{{region}}:{{account}}:{kind}/{{name}}"
        return template.format(name=self._name(logical_id, resource), **self._env)

    def _resource(self, logical_id: str, intrinsic: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] | None = self._resources.get(logical_id)
        if resource is None:
            raise UnsupportedIntrinsicError(f"{intrinsic} of {logical_id!r}: no such resource, parameter or reference")
        return resource

    def _name(self, logical_id: str, resource: Mapping[str, Any]) -> str:
        """The resource's name property when the template sets one, else its logical id."""
        _, prop = _ARN_FORMATS.get(resource.get("Type", ""), (None, None))
        given = resource.get("Properties", {}).get(prop) if prop else None
        if given is None or logical_id in self._naming:
            return logical_id
        self._naming.add(logical_id)
        try:
            return self._string(given, f"{logical_id}.{prop}")
        finally:
            self._naming.discard(logical_id)


def _pair(name: str, argument: Any) -> tuple[Any, Any]:
    if not isinstance(argument, list) or len(argument) != 2:
        raise UnsupportedIntrinsicError(f"{name} needs a list of two arguments: {argument!r}")
    return argument[0], argument[1]
