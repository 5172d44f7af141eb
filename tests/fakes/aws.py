"""EventBridge and Lambda for crhelper's polling: moto in server mode, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "eu-west-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A moto server for every service moto knows; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


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


def poll_rules(endpoint: str, prefix: str) -> list[dict[str, Any]]:
    """crhelper's rules (name starting with ``prefix``), each with its targets."""
    events = client("events", endpoint)
    rules = events.list_rules(NamePrefix=prefix)["Rules"]
    return [{**rule, "Targets": events.list_targets_by_rule(Rule=rule["Name"])["Targets"]} for rule in rules]


def permission_statements(endpoint: str, function_name: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy (crhelper adds one per poll rule)."""
    lambda_ = client("lambda", endpoint)
    try:
        policy = lambda_.get_policy(FunctionName=function_name)["Policy"]
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return list(json.loads(policy).get("Statement", []))
