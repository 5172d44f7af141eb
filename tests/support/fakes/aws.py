"""EventBridge and Lambda for crhelper's polling, and DynamoDB for the handler's ledger: moto in
server mode, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.httpsession import URLLib3Session
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.policy import Policy
from moto.server import ThreadedMotoServer

from running_model.contract import LEDGER_EXPIRES_AT, LEDGER_KEY

REGION = "eu-west-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class StatementIdConflictError(LambdaClientError):
    code = 409

    def __init__(self, statement_id: str) -> None:
        super().__init__("ResourceConflictException", f"The statement id ({statement_id}) provided already exists.")


def handler_environment(
    rekognition_endpoint: str, aws_endpoint: str, *, access_key_id: str = "ASIAEXAMPLEEXAMPLE"
) -> dict[str, str]:
    """The environment that points the handler's boto3 clients at the stand-ins (the fake
    Rekognition, moto for EventBridge, Lambda and DynamoDB), with temporary credentials as Lambda gives."""
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": "example",
        "AWS_SESSION_TOKEN": "example",
        "AWS_ENDPOINT_URL_REKOGNITION": rekognition_endpoint,
        "AWS_ENDPOINT_URL_EVENTBRIDGE": aws_endpoint,
        "AWS_ENDPOINT_URL_LAMBDA": aws_endpoint,
        "AWS_ENDPOINT_URL_DYNAMODB": aws_endpoint,
    }


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server for every service moto knows; yields its endpoint URL.

    Lambda's AddPermission refuses a statement id that the function's policy holds already
    (ResourceConflictException); moto 5.2 appends a duplicate instead, so it is taught the
    real behaviour for as long as the server runs.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with _unique_statement_ids():
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@contextlib.contextmanager
def _unique_statement_ids() -> Iterator[None]:
    append = Policy.add_statement

    def add_statement(self: Policy, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        statement_id = json.loads(raw).get("StatementId")
        if statement_id and any(statement.get("Sid") == statement_id for statement in self.statements):
            raise StatementIdConflictError(statement_id)
        return append(self, raw, qualifier)

    Policy.add_statement = add_statement  # type: ignore[method-assign]
    try:
        yield
    finally:
        Policy.add_statement = append  # type: ignore[method-assign]


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, **CREDENTIALS)


def create_function(endpoint: str, name: str) -> str:
    """Create the handler function under ``name`` (a placeholder zip: moto never runs it here)."""
    role = client("iam", endpoint).create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        ),
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.py", "def handler(event, context):\n    pass\n")
    function = client("lambda", endpoint).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    return str(function["FunctionArn"])


def create_ledger(endpoint: str, name: str) -> str:
    """Create the handler's ledger table as the construct declares it (key and TTL); return its name."""
    dynamodb = client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": LEDGER_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": LEDGER_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": LEDGER_EXPIRES_AT}
    )
    return name


def poll_rules(endpoint: str, prefix: str) -> list[dict[str, Any]]:
    """crhelper's rules (name starting with ``prefix``), each with its targets."""
    events = client("events", endpoint)
    found = []
    rules = [rule for page in events.get_paginator("list_rules").paginate(NamePrefix=prefix) for rule in page["Rules"]]
    for rule in rules:
        with contextlib.suppress(events.exceptions.ResourceNotFoundException):  # deleted since it was listed
            found.append({**rule, "Targets": events.list_targets_by_rule(Rule=rule["Name"])["Targets"]})
    return found


def permission_statements(endpoint: str, function_name: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy (crhelper adds one per poll rule)."""
    lambda_ = client("lambda", endpoint)
    try:
        policy = lambda_.get_policy(FunctionName=function_name)["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return list(json.loads(policy).get("Statement", []))


class _Body:
    """The raw body of a made-up HTTP response, as botocore reads one."""

    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._payload


class FailingCalls:
    """Answers the next ``count`` sends of ``operation`` by one client with an AWS error.

    The error stands in for the service's own answer at the HTTP level (botocore's ``before-send``
    event), so botocore parses it and retries it exactly as it would a real one. ``count``
    counts attempts: a throttling error needs more than the client's 6 attempts to surface.
    """

    def __init__(self, client: Any, operation: str, code: str, count: int) -> None:
        self.operation, self.code, self.remaining, self.count = operation, code, count, 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{service}.{operation}", self._send)
        self._status = 400

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        self.count += 1
        payload = json.dumps({"__type": self.code, "message": f"{self.code} (injected)"}).encode()
        return AWSResponse(request.url, self._status, {"x-amzn-RequestId": "injected"}, _Body(payload))


def fail_calls(client: Any, operation: str, code: str, *, count: int) -> FailingCalls:
    """Make the next ``count`` attempts of ``operation`` by ``client`` fail with ``code`` (see FailingCalls)."""
    return FailingCalls(client, operation, code, count)


class LostReplies:
    """The next ``count`` sends of ``operation`` by one client reach the service and take effect, but
    their reply is lost on the way back: the client sees HTTP 500 and botocore retries the call."""

    def __init__(self, client: Any, operation: str, count: int) -> None:
        self.remaining, self.lost = count, 0
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{service}.{operation}", self._send)
        self._session = URLLib3Session()

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        self._session.send(request)  # it reaches the service, and takes effect there
        self.lost += 1
        payload = json.dumps({"__type": "InternalServerError", "message": "reply lost (injected)"}).encode()
        return AWSResponse(request.url, 500, {"x-amzn-RequestId": "injected"}, _Body(payload))


def lose_replies(client: Any, operation: str, *, count: int = 1) -> LostReplies:
    """Make the next ``count`` replies to ``operation`` by ``client`` get lost (see LostReplies)."""
    return LostReplies(client, operation, count)
