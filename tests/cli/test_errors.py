"""Errors say what to do, in one line on stderr, with their own exit status; never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from rekognition_running_model.cli.errors import explain

from support.account import FakeAccount

NO_CREDENTIALS = "running-model: no AWS credentials found: run `aws configure` or set AWS_PROFILE / --profile\n"


def test_no_credentials(account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    ran = cli("status")
    assert (ran.code, ran.out, ran.err) == (3, "", NO_CREDENTIALS)
    assert account.rekognition.calls == []


@pytest.mark.parametrize("action", ["DescribeProjects", "DescribeProjectVersions", "ListTagsForResource"])
def test_a_missing_permission_is_named_with_the_action_to_grant(account: FakeAccount, cli: Any, action: str) -> None:
    account.model("widgets", "v1")
    account.rekognition.set_authorizer(lambda denied, resource, context: denied != f"rekognition:{action}")
    ran = cli("status")
    assert ran.code == 3 and ran.out == ""
    assert ran.said.startswith(
        f"running-model: access denied: your AWS identity may not call rekognition:{action}: "
        f"grant it rekognition:{action} in an IAM policy (the README's running-model section lists every action"
    )
    assert "AWS said: User: arn:aws:sts::111122223333:assumed-role/handler/session is not authorized" in ran.said
    assert "Traceback" not in ran.err and ran.said.count("\n") == 1


def test_credentials_aws_does_not_accept(account: FakeAccount, cli: Any) -> None:
    account.rekognition.inject_error("DescribeProjects", "UnrecognizedClientException", http_status=403)
    ran = cli("status")
    assert ran.code == 3 and ran.err == (
        "running-model: AWS does not accept your credentials (UnrecognizedClientException): check the access key, "
        "secret and session token, or the profile (AWS_PROFILE / --profile)\n"
    )


def test_an_unknown_region_is_named_with_the_likely_one(account: FakeAccount, cli: Any) -> None:
    ran = cli("status", "--region", "eu-wset-1")
    assert ran.code == 2 and ran.out == ""
    assert ran.err.startswith(
        "running-model: unknown region 'eu-wset-1' (did you mean eu-west-1?): Rekognition is offered in "
    )
    assert "us-east-1" in ran.err and account.rekognition.calls == []


def test_an_unknown_region_from_the_environment_is_refused_too(
    account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "mars-north-1")
    ran = cli("status")
    assert ran.code == 2 and ran.err.startswith("running-model: unknown region 'mars-north-1': Rekognition is offered")


def test_no_region(account: FakeAccount, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    ran = cli("status")
    assert ran.code == 2 and ran.err == (
        "running-model: no AWS region: pass --region, set AWS_REGION, or set a region in your profile (aws configure)\n"
    )


def test_an_unknown_profile(account: FakeAccount, cli: Any) -> None:
    ran = cli("status", "--profile", "nobody")
    assert ran.code == 3 and ran.err == (
        "running-model: no AWS profile named 'nobody': `aws configure list-profiles` lists yours; "
        "set AWS_PROFILE / --profile\n"
    )


# botocore's errors that take the client's ten attempts (minutes of back-off) to surface, explained directly.


def test_no_connection_names_the_endpoint() -> None:
    explained = explain(EndpointConnectionError(endpoint_url="https://rekognition.eu-west-1.amazonaws.com/"))
    assert explained is not None and explained.exit_code == 3
    assert explained.message == (
        "could not reach https://rekognition.eu-west-1.amazonaws.com/ (EndpointConnectionError): "
        "check your network connection, proxy and --region"
    )
    timed_out = explain(ReadTimeoutError(endpoint_url="https://cloudformation.eu-west-1.amazonaws.com/"))
    assert timed_out is not None and "ReadTimeoutError" in timed_out.message


def test_throttling_beyond_the_retries_says_to_try_later() -> None:
    error = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "ListTagsForResource")
    explained = explain(error)
    assert explained is not None and explained.exit_code == 3
    assert explained.message == (
        "rekognition:ListTagsForResource was still throttled after 10 attempts (ThrottlingException): "
        "try again later, or read less (--project)"
    )


def test_anything_else_is_not_explained_away() -> None:
    assert explain(ValueError("a bug")) is None
