"""An AWS account as the account-level tools see it: the fake Rekognition's model versions, and stacks
in moto's CloudFormation that own them through registration tags, as the handler writes them.

Stacks are real moto stacks (created, updated and deleted through CloudFormation's API); each
owning resource is a stand-in resource (an SNS topic, which moto's CloudFormation makes) under the
logical id the RunningModel would have, so CloudFormation's answers about it are its own.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from running_model.ownership import Owner

from support.fakes.rekognition import FakeRekognition

# moto's account: StackIds carry it, and an owner's StackId is rebuilt from its version's account.
ACCOUNT = "123456789012"
REGION = "eu-west-1"


ACCESS_DENIED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
    b"arn:aws:sts::123456789012:assumed-role/auditor/session is not authorized to perform: "
    b"cloudformation:DescribeStacks</Message></Error></ErrorResponse>"
)


def access_denied(request: Any, **_: Any) -> AWSResponse:
    """CloudFormation's AccessDenied answer to ``request``, as real botocore parses it: register it (or a
    function that returns it for some requests) on a client's ``before-send.cloudformation`` event."""
    return AWSResponse(request.url, 403, {"x-amzn-RequestId": "denied"}, _Raw(ACCESS_DENIED))


class _Raw(io.BytesIO):
    """A made-up HTTP response body, as botocore streams one."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def version_arn(project: str, version: str, *, region: str = REGION, timestamp: int = 1767607200000) -> str:
    return f"arn:aws:rekognition:{region}:{ACCOUNT}:project/{project}/version/{version}/{timestamp}"


def template(logical_ids: list[str], *, retained: bool = False) -> str:
    """A template holding a stand-in resource under each of ``logical_ids`` (retained on delete if asked)."""
    resource: dict[str, Any] = {"Type": "AWS::SNS::Topic"}
    if retained:
        resource["DeletionPolicy"] = "Retain"
    return json.dumps({"Resources": {logical_id: dict(resource) for logical_id in logical_ids}})


@dataclass
class FakeAccount:
    """Arranges model versions and their owning stacks. ``cloudformation`` is a boto3 client on moto."""

    rekognition: FakeRekognition
    cloudformation: Any

    def model(
        self, project: str, version: str, *, status: str = "RUNNING", units: int = 1, timestamp: int = 1767607200000
    ) -> str:
        """A model version in ``status`` on ``units`` inference units; its ARN."""
        arn = version_arn(project, version, timestamp=timestamp)
        billed = status in {"STARTING", "RUNNING", "STOPPING"}
        self.rekognition.add_model(arn, status=status, min_units=units if billed else None)
        return arn

    def stack(self, name: str, logical_ids: list[str], *, retained: bool = False) -> str:
        """A stack holding ``logical_ids``; its StackId."""
        created = self.cloudformation.create_stack(
            StackName=name, TemplateBody=template(logical_ids, retained=retained)
        )
        return str(created["StackId"])

    def remove_resource(self, stack_id: str, logical_id: str) -> None:
        """Update the stack so that it no longer holds ``logical_id``."""
        body = dict(self.cloudformation.get_template(StackName=stack_id)["TemplateBody"])  # boto3 parses JSON
        del body["Resources"][logical_id]
        self.cloudformation.update_stack(StackName=stack_id, TemplateBody=json.dumps(body))

    def delete_stack(self, stack_id: str) -> None:
        self.cloudformation.delete_stack(StackName=stack_id)

    def register(self, arn: str, stack_id: str, logical_id: str, *, idle: bool = False, legacy: bool = False) -> Owner:
        """Tag ``arn`` as owned by ``stack_id``'s ``logical_id``, as the handler does (``legacy``: as a handler
        from before the stack's locator was recorded did, "<request> [idle] <stack>/<logical id>")."""
        owner = Owner(stack_id, logical_id)
        value = owner.value(str(uuid.uuid4()), idle=idle)
        if legacy:
            value = " ".join(word for word in value.split(" ") if not word.startswith("stack:"))
        self.rekognition.set_tags(arn, {**self.rekognition.tags(arn), owner.key: value})
        return owner
