"""The handler's Rekognition client (rekognition.ModelVersionClient) with a real botocore client
against the fake Rekognition: what it reads from the API, and which failures, once botocore's own
retries are spent, are worth another look later (transient) and which are final."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from running_model.model_version import ModelVersion
from running_model.rekognition import ModelVersionClient, RekognitionError
from running_model.settings import CLIENT_CONFIG

from support.fakes.rekognition import FakeRekognition
from support.testdata import REGION, project_arn, version_arn

ARN = version_arn()
VERSION = ModelVersion.from_arn(ARN)


@pytest.fixture
def rekognition() -> Iterator[FakeRekognition]:
    fake = FakeRekognition()
    fake.add_project("widgets", timestamp=1767000000000)  # project_arn()'s
    fake.add_model(ARN, status="RUNNING", min_units=2, max_units=4, status_message="up", f1_score=0.93)
    yield fake


@pytest.fixture
def endpoint(rekognition: FakeRekognition) -> Iterator[str]:
    with rekognition.serve() as url:
        yield url


def client_at(endpoint: str, *, attempts: int = 2, project: str | None = None, **timeouts: float) -> ModelVersionClient:
    """The handler's client configuration, with fewer attempts (and shorter timeouts) to be quick."""
    config = CLIENT_CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": attempts}, **timeouts))
    client = boto3.client(
        "rekognition",
        region_name=REGION,
        endpoint_url=endpoint,
        config=config,
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="example",
    )
    assert VERSION is not None
    return ModelVersionClient(client, VERSION, project)


def test_observe_reads_status_units_message_and_f1_score(endpoint: str) -> None:
    observed = client_at(endpoint).observe()
    assert (observed.status, observed.min_units, observed.max_units) == ("RUNNING", 2, 4)
    assert (observed.message, observed.f1_score) == ("up", 0.93)


def test_a_given_project_arn_spares_describe_projects(rekognition: FakeRekognition, endpoint: str) -> None:
    client_at(endpoint, project=project_arn()).observe()
    assert rekognition.call_count("DescribeProjects") == 0


def test_a_project_looked_up_by_name_is_looked_up_once(rekognition: FakeRekognition, endpoint: str) -> None:
    client = client_at(endpoint)
    client.observe()
    client.observe()
    assert rekognition.call_count("DescribeProjects") == 1
    assert client.known_project_arn == project_arn()


@pytest.mark.parametrize(
    "code",
    [
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "ServiceUnavailableException",
    ],
)
def test_throttling_or_a_server_error_that_outlasts_botocores_retries_is_transient(
    rekognition: FakeRekognition, endpoint: str, code: str
) -> None:
    rekognition.inject_error("DescribeProjectVersions", code, count=10)
    with pytest.raises(RekognitionError) as raised:
        client_at(endpoint, project=project_arn()).observe()
    assert (raised.value.code, raised.value.transient) == (code, True)
    assert rekognition.call_count("DescribeProjectVersions") == 2, "botocore retried first"


def test_a_refusal_is_final_and_says_which_call_and_why(rekognition: FakeRekognition, endpoint: str) -> None:
    rekognition.inject_error("DescribeProjectVersions", "AccessDeniedException", message="not allowed")
    with pytest.raises(RekognitionError) as raised:
        client_at(endpoint, project=project_arn()).observe()
    assert raised.value.transient is False
    assert str(raised.value) == "DescribeProjectVersions failed: AccessDeniedException: not allowed"


def test_no_connection_is_transient() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    with pytest.raises(RekognitionError) as raised:
        client_at(f"http://127.0.0.1:{closed_port}", attempts=1, project=project_arn()).observe()
    assert (raised.value.code, raised.value.transient) == ("EndpointConnectionError", True)


def test_a_read_timeout_is_transient(rekognition: FakeRekognition, endpoint: str) -> None:
    rekognition.inject_latency("DescribeProjectVersions", 1.0)
    with pytest.raises(RekognitionError) as raised:
        client_at(endpoint, attempts=1, project=project_arn(), read_timeout=0.1).observe()
    assert (raised.value.code, raised.value.transient) == ("ReadTimeoutError", True)


def test_parameters_botocore_refuses_are_final(rekognition: FakeRekognition, endpoint: str) -> None:
    with pytest.raises(RekognitionError) as raised:
        client_at(endpoint).start(min_units=0, max_units=None)
    assert (raised.value.code, raised.value.transient) == ("ParamValidationError", False)
    assert rekognition.call_count("StartProjectVersion") == 0


@pytest.mark.parametrize("code", ["ResourceInUseException", "ResourceNotFoundException"])
def test_a_start_or_stop_refused_because_the_model_changed_is_left_to_the_next_look(
    rekognition: FakeRekognition, endpoint: str, code: str
) -> None:
    rekognition.inject_error("StopProjectVersion", code)
    rekognition.inject_error("StartProjectVersion", code)
    client = client_at(endpoint)
    client.stop()
    client.start(min_units=1, max_units=None)
    assert rekognition.call_count("StopProjectVersion") == rekognition.call_count("StartProjectVersion") == 1


def test_a_start_without_a_maximum_sends_none(rekognition: FakeRekognition, endpoint: str) -> None:
    rekognition.set_status(ARN, "STOPPED")
    client_at(endpoint).start(min_units=3, max_units=None)
    (start,) = [call for call in rekognition.calls if call.operation == "StartProjectVersion"]
    assert start.params == {"ProjectVersionArn": ARN, "MinInferenceUnits": 3}


def test_a_version_rekognition_does_not_find_is_observed_as_missing(
    rekognition: FakeRekognition, endpoint: str
) -> None:
    rekognition.inject_error("DescribeProjectVersions", "ResourceNotFoundException")
    assert client_at(endpoint, project=project_arn()).observe().status is None


def test_the_handlers_clients_wait_5_s_to_connect_and_15_s_for_a_reply() -> None:
    """Pinned to what settings.py states: no real clock here can wait out a silent endpoint."""
    assert (CLIENT_CONFIG.connect_timeout, CLIENT_CONFIG.read_timeout) == (5, 15)
