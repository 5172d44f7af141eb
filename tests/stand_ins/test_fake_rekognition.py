"""The Rekognition fake, driven over HTTP by real boto3 clients, as the handler will drive it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support.fakes.iam import RolePolicy
from support.fakes.rekognition import FakeRekognition

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PROJECT_TS = 1767000000000
MODEL = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/version/v1/1767607200000"
OTHER_MODEL = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/version/v2/1767700000000"
GADGETS_MODEL = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/gadgets/version/g1/1767800000000"
WIDGETS = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/{PROJECT_TS}"


class Clock:
    """A clock that only moves when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


ClientFactory = Callable[..., Any]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeRekognition:
    fake = FakeRekognition(clock=clock)
    fake.add_project("widgets", timestamp=PROJECT_TS)
    return fake


@pytest.fixture
def endpoint(fake: FakeRekognition) -> Iterator[str]:
    with fake.serve() as url:
        yield url


@pytest.fixture
def make_client(endpoint: str) -> ClientFactory:
    def make(max_attempts: int = 3, **config: Any) -> Any:
        """A client retrying like the handler's. botocore counts ``max_attempts`` as retries, so
        ``max_attempts=0`` means a single attempt."""
        return boto3.client(
            "rekognition",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "max_attempts": max_attempts}, **config),
        )

    return make


@pytest.fixture
def client(make_client: ClientFactory) -> Any:
    return make_client()


@pytest.fixture
def strict(make_client: ClientFactory) -> Any:
    """A client that does not retry, to see every error as it is."""
    return make_client(max_attempts=0)


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def describe(client: Any, arn: str = MODEL) -> dict[str, Any]:
    project = arn.split(":project/")[1].split("/")[0]
    projects = client.describe_projects(ProjectNames=[project])["ProjectDescriptions"]
    version = arn.split("/version/")[1].split("/")[0]
    versions = client.describe_project_versions(ProjectArn=projects[0]["ProjectArn"], VersionNames=[version])
    (description,) = versions["ProjectVersionDescriptions"]
    return description


# ------------------------------------------------------------------------------ describe


def test_describe_projects_lists_all_or_the_named_ones(fake: FakeRekognition, client: Any) -> None:
    gadgets = fake.add_project("gadgets")
    assert fake.add_project("gadgets") == gadgets  # idempotent per name

    every = client.describe_projects()["ProjectDescriptions"]
    named = client.describe_projects(ProjectNames=["gadgets"])["ProjectDescriptions"]
    none = client.describe_projects(ProjectNames=["nothing"])["ProjectDescriptions"]

    assert [p["ProjectArn"] for p in every] == [WIDGETS, gadgets]
    assert [p["ProjectArn"] for p in named] == [gadgets]
    assert none == []
    assert named[0]["Status"] == "CREATED"
    assert every[0]["CreationTimestamp"].timestamp() == PROJECT_TS / 1000


def test_describe_project_versions_filters_by_version_name(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(MODEL)
    fake.add_model(OTHER_MODEL, status="STOPPED", min_units=2, max_units=5)
    fake.add_model(GADGETS_MODEL)

    every = client.describe_project_versions(ProjectArn=WIDGETS)["ProjectVersionDescriptions"]
    v2 = client.describe_project_versions(ProjectArn=WIDGETS, VersionNames=["v2"])["ProjectVersionDescriptions"]

    assert [v["ProjectVersionArn"] for v in every] == [OTHER_MODEL, MODEL]  # latest first
    assert v2 == [
        {
            "ProjectVersionArn": OTHER_MODEL,
            "CreationTimestamp": v2[0]["CreationTimestamp"],
            "Status": "STOPPED",
            "StatusMessage": v2[0]["StatusMessage"],
            "MinInferenceUnits": 2,
            "MaxInferenceUnits": 5,
        }
    ]
    assert v2[0]["CreationTimestamp"].timestamp() == 1767700000
    never_started = every[1]
    assert "MinInferenceUnits" not in never_started and "MaxInferenceUnits" not in never_started


def test_add_model_creates_the_project_from_the_arn(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(GADGETS_MODEL, status="RUNNING")

    assert describe(client, GADGETS_MODEL)["Status"] == "RUNNING"
    assert fake.units(GADGETS_MODEL) == (1, 1)


# ------------------------------------------------------------------------------ start and stop


def test_start_goes_through_starting_to_running_after_start_seconds(
    fake: FakeRekognition, client: Any, clock: Clock
) -> None:
    fake.add_model(MODEL, start_seconds=30)

    assert client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=2)["Status"] == "STARTING"
    clock.advance(29.9)
    assert describe(client)["Status"] == "STARTING"
    clock.advance(0.1)
    running = describe(client)

    assert running["Status"] == "RUNNING"
    assert (running["MinInferenceUnits"], running["MaxInferenceUnits"]) == (2, 2)
    assert fake.status(MODEL) == "RUNNING"
    assert fake.units(MODEL) == (2, 2)


def test_start_with_max_units_reports_both(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(MODEL, status="STOPPED", min_units=1)

    client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1, MaxInferenceUnits=3)

    assert fake.units(MODEL) == (1, 3)
    assert describe(client)["MaxInferenceUnits"] == 3


def test_stop_goes_through_stopping_to_stopped(fake: FakeRekognition, client: Any, clock: Clock) -> None:
    fake.add_model(MODEL, status="RUNNING", min_units=2, stop_seconds=10)

    assert client.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"
    assert describe(client)["Status"] == "STOPPING"
    clock.advance(10)
    stopped = describe(client)

    assert stopped["Status"] == "STOPPED"
    assert stopped["MinInferenceUnits"] == 2  # the units it last ran with


def test_start_is_refused_while_running(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL, status="RUNNING", min_units=1)

    with pytest.raises(ClientError) as excinfo:
        strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)

    assert error_code(excinfo) == "ResourceInUseException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert fake.status(MODEL) == "RUNNING"


@pytest.mark.parametrize("status", ["STARTING", "STOPPING"])
def test_start_is_refused_while_busy(fake: FakeRekognition, strict: Any, status: str) -> None:
    fake.add_model(MODEL, status=status, start_seconds=60, stop_seconds=60)

    with pytest.raises(ClientError) as excinfo:
        strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)

    assert error_code(excinfo) == "ResourceInUseException"


@pytest.mark.parametrize("status", ["TRAINING_IN_PROGRESS", "TRAINING_FAILED", "COPYING_FAILED", "EXPIRED", "DELETING"])
def test_start_is_invalid_from_a_model_that_cannot_run(fake: FakeRekognition, strict: Any, status: str) -> None:
    fake.add_model(MODEL, status=status, train_seconds=60)

    with pytest.raises(ClientError) as excinfo:
        strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)

    assert error_code(excinfo) == "InvalidParameterException"
    assert fake.status(MODEL) == status


@pytest.mark.parametrize("status", ["STOPPED", "STARTING", "TRAINING_COMPLETED"])
def test_stop_is_refused_unless_running(fake: FakeRekognition, strict: Any, status: str) -> None:
    fake.add_model(MODEL, status=status, start_seconds=60)

    with pytest.raises(ClientError) as excinfo:
        strict.stop_project_version(ProjectVersionArn=MODEL)

    assert error_code(excinfo) == "ResourceInUseException"
    assert fake.status(MODEL) == status


def test_a_model_that_stops_while_starting_goes_from_starting_to_stopping_and_never_runs(
    fake: FakeRekognition, client: Any, clock: Clock
) -> None:
    fake.add_model(MODEL, start_seconds=60, stop_seconds=10, stops_while_starting=True)
    fake.fail_next_starts(MODEL, "capacity")
    client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)

    assert client.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"
    clock.advance(60)

    assert describe(client)["Status"] == "STOPPED", "the start it stopped neither runs nor fails later"


def test_failed_start_ends_in_failed_with_the_message_then_a_retry_runs(
    fake: FakeRekognition, client: Any, clock: Clock
) -> None:
    fake.add_model(MODEL, start_seconds=5)
    fake.fail_next_starts(MODEL, "Insufficient capacity")

    client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)
    assert describe(client)["Status"] == "STARTING"
    clock.advance(5)
    failed = describe(client)
    assert (failed["Status"], failed["StatusMessage"]) == ("FAILED", "Insufficient capacity")
    assert fake.running_models() == []

    client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)
    clock.advance(5)
    assert describe(client)["Status"] == "RUNNING"


def test_training_and_copying_complete_after_their_time(fake: FakeRekognition, clock: Clock) -> None:
    fake.add_model(MODEL, status="TRAINING_IN_PROGRESS", train_seconds=60)
    fake.add_model(OTHER_MODEL, status="COPYING_IN_PROGRESS", copy_seconds=30)

    clock.advance(30)
    assert (fake.status(MODEL), fake.status(OTHER_MODEL)) == ("TRAINING_IN_PROGRESS", "COPYING_COMPLETED")
    clock.advance(30)
    assert fake.status(MODEL) == "TRAINING_COMPLETED"


def test_set_status_acts_like_someone_else(fake: FakeRekognition, client: Any, clock: Clock) -> None:
    fake.add_model(MODEL, status="RUNNING", stop_seconds=10)

    fake.set_status(MODEL, "STOPPING")
    assert describe(client)["Status"] == "STOPPING"
    clock.advance(10)
    assert describe(client)["Status"] == "STOPPED"
    fake.set_status(MODEL, "DEPRECATED", "Model expired soon")
    assert describe(client)["StatusMessage"] == "Model expired soon"


def test_running_models_lists_the_billable_ones(fake: FakeRekognition, client: Any, clock: Clock) -> None:
    fake.add_model(MODEL, start_seconds=10)
    fake.add_model(OTHER_MODEL, status="RUNNING", stop_seconds=10)
    fake.add_model(GADGETS_MODEL, status="STOPPED")

    client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)
    assert sorted(fake.running_models()) == sorted([MODEL, OTHER_MODEL])  # STARTING already bills
    client.stop_project_version(ProjectVersionArn=OTHER_MODEL)
    assert fake.running_models() == [MODEL]
    clock.advance(10)
    assert fake.running_models() == [MODEL]


# ------------------------------------------------------------------------------ bad requests


def test_unknown_version_and_project_are_not_found(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL)
    missing = MODEL.replace("/v1/", "/v9/")

    for call in (
        lambda: strict.start_project_version(ProjectVersionArn=missing, MinInferenceUnits=1),
        lambda: strict.stop_project_version(ProjectVersionArn=missing),
        lambda: strict.describe_project_versions(ProjectArn=WIDGETS.replace("widgets", "nothing")),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "ResourceNotFoundException"
    assert fake.status(missing) is None
    assert fake.units(missing) == (None, None)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:rekognition:eu-west-1:1111:project/widgets/version/v1/1767607200000",  # short account
        "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/1767000000000",  # a project ARN
        "arn:aws:s3:eu-west-1:111122223333:project/widgets/version/v1/1767607200000",  # another service
        "arn:aws:rekognition:eu-west-1:111122223333:project/wid gets/version/v1/1",  # a space in the name
    ],
)
def test_malformed_version_arn_is_an_invalid_parameter(fake: FakeRekognition, strict: Any, arn: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        strict.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)

    assert error_code(excinfo) == "InvalidParameterException"


def test_malformed_project_arn_is_an_invalid_parameter(strict: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        strict.describe_project_versions(ProjectArn=MODEL)  # a version ARN is not a project ARN

    assert error_code(excinfo) == "InvalidParameterException"


@pytest.mark.parametrize(("min_units", "max_units"), [(0, None), (3, 2)])
def test_bad_inference_units_are_invalid_parameters(
    fake: FakeRekognition, make_client: ClientFactory, min_units: int, max_units: int | None
) -> None:
    fake.add_model(MODEL)
    unchecked = make_client(max_attempts=0, parameter_validation=False)  # let 0 reach the service
    units = {"MinInferenceUnits": min_units} | ({} if max_units is None else {"MaxInferenceUnits": max_units})

    with pytest.raises(ClientError) as excinfo:
        unchecked.start_project_version(ProjectVersionArn=MODEL, **units)

    assert error_code(excinfo) == "InvalidParameterException"
    assert fake.status(MODEL) == "TRAINING_COMPLETED"


def post(endpoint: str, target: str | None, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    headers = {"Content-Type": "application/x-amz-json-1.1"} | ({"X-Amz-Target": target} if target else {})
    request = urllib.request.Request(endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_wire_format_errors_and_unknown_operations(fake: FakeRekognition, endpoint: str) -> None:
    status, headers, body = post(endpoint, "RekognitionService.DetectLabels", b"{}")
    assert (status, body["__type"]) == (400, "UnknownOperationException")
    assert headers["x-amzn-RequestId"]
    assert headers["Content-Type"] == "application/x-amz-json-1.1"

    assert post(endpoint, "DescribeProjects", b"{}")[2]["__type"] == "UnknownOperationException"  # no prefix
    assert post(endpoint, "RekognitionService.DescribeProjects", b"[1")[2]["__type"] == "SerializationException"
    assert post(endpoint, "RekognitionService.DescribeProjects", b"{}")[0] == 200
    assert [c.error for c in fake.calls] == ["UnknownOperationException", "UnknownOperationException", None]


def test_endpoint_from_the_standard_environment_variable(
    fake: FakeRekognition, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", endpoint)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    client = boto3.client(
        "rekognition", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )

    assert client.describe_projects()["ProjectDescriptions"][0]["ProjectArn"] == WIDGETS
    assert fake.call_count("DescribeProjects") == 1


# ------------------------------------------------------------------------------ faults and throttling


def test_injected_error_surfaces_as_a_client_error_once(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL)
    fake.inject_error("StartProjectVersion", "AccessDeniedException", message="no rekognition:StartProjectVersion")

    with pytest.raises(ClientError) as excinfo:
        strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)

    assert error_code(excinfo) == "AccessDeniedException"
    assert excinfo.value.response["Error"]["Message"] == "no rekognition:StartProjectVersion"
    assert fake.status(MODEL) == "TRAINING_COMPLETED"  # the failed call changed nothing
    assert strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)["Status"] == "STARTING"


def test_injected_server_errors_use_5xx_and_the_wildcard_matches_any_operation(
    fake: FakeRekognition, strict: Any
) -> None:
    fake.inject_error("*", "InternalServerError", count=2)
    fake.inject_error("DescribeProjects", "ServiceUnavailableException")

    statuses = []
    for call in (strict.describe_projects, lambda: strict.describe_project_versions(ProjectArn=WIDGETS)):
        with pytest.raises(ClientError) as excinfo:
            call()
        statuses.append((error_code(excinfo), excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]))
    with pytest.raises(ClientError) as excinfo:
        strict.describe_projects()
    statuses.append((error_code(excinfo), excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]))

    assert statuses == [
        ("InternalServerError", 500),
        ("InternalServerError", 500),
        ("ServiceUnavailableException", 503),
    ]
    assert strict.describe_projects()["ProjectDescriptions"]


def test_a_throttle_burst_is_absorbed_by_standard_retries(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(MODEL, status="RUNNING")
    fake.throttle_burst("DescribeProjectVersions", 2)

    versions = client.describe_project_versions(ProjectArn=WIDGETS)["ProjectVersionDescriptions"]

    assert versions[0]["Status"] == "RUNNING"
    assert fake.call_count("DescribeProjectVersions") == 3
    assert [c.error for c in fake.calls] == ["ThrottlingException", "ThrottlingException", None]


def test_rate_limit_throttles_calls_over_the_limit(fake: FakeRekognition, strict: Any, clock: Clock) -> None:
    fake.set_rate_limit("DescribeProjects", 2)

    strict.describe_projects()
    strict.describe_projects()
    with pytest.raises(ClientError) as excinfo:
        strict.describe_projects()
    assert error_code(excinfo) == "ThrottlingException"
    strict.describe_project_versions(ProjectArn=WIDGETS)  # another operation is not limited

    clock.advance(0.5)  # refills one token
    strict.describe_projects()
    with pytest.raises(ClientError):
        strict.describe_projects()


def test_a_rate_limit_for_every_operation_is_shared(fake: FakeRekognition, strict: Any, clock: Clock) -> None:
    fake.set_rate_limit(None, 1)

    strict.describe_projects()
    with pytest.raises(ClientError) as excinfo:
        strict.describe_project_versions(ProjectArn=WIDGETS)
    assert error_code(excinfo) == "ThrottlingException"

    clock.advance(1)
    strict.describe_project_versions(ProjectArn=WIDGETS)
    fake.set_rate_limit(None, 0)  # lifted
    strict.describe_projects()


# ------------------------------------------------------------------------------ call log and concurrency


def test_call_log_records_operation_params_error_and_time(fake: FakeRekognition, strict: Any, clock: Clock) -> None:
    fake.add_model(MODEL, status="RUNNING")
    clock.advance(7)

    strict.describe_projects(ProjectNames=["widgets"])
    with pytest.raises(ClientError):
        strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=2, MaxInferenceUnits=4)

    first, second = fake.calls
    assert (first.operation, first.params, first.error, first.at) == (
        "DescribeProjects",
        {"ProjectNames": ["widgets"]},
        None,
        1007.0,
    )
    assert second.operation == "StartProjectVersion"
    assert second.params == {"ProjectVersionArn": MODEL, "MinInferenceUnits": 2, "MaxInferenceUnits": 4}
    assert second.error == "ResourceInUseException"
    assert fake.call_count("StartProjectVersion") == 1
    assert fake.call_count("StopProjectVersion") == 0


def test_concurrent_starts_of_one_model_let_exactly_one_through(
    fake: FakeRekognition, make_client: ClientFactory
) -> None:
    fake.add_model(MODEL, status="STOPPED", start_seconds=60)
    clients = [make_client(max_attempts=0) for _ in range(8)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(clients))

    def start(client: Any) -> None:
        barrier.wait()
        try:
            outcomes.append(client.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)["Status"])
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=start, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ResourceInUseException"] * 7 + ["STARTING"]
    assert fake.call_count("StartProjectVersion") == 8


def test_the_server_is_quiet_and_stops(fake: FakeRekognition, capfd: pytest.CaptureFixture[str]) -> None:
    with fake.serve() as url:
        assert post(url, "RekognitionService.DescribeProjects", b"{}")[0] == 200

    assert capfd.readouterr().err == ""
    with pytest.raises(OSError):
        post(url, "RekognitionService.DescribeProjects", b"{}")


# ------------------------------------------------------------------------------ tagging


def test_tag_untag_and_list_round_trip(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(MODEL)

    assert client.list_tags_for_resource(ResourceArn=MODEL)["Tags"] == {}
    client.tag_resource(ResourceArn=MODEL, Tags={"running-model": "Stack/Model", "owner": "vision"})
    client.tag_resource(ResourceArn=MODEL, Tags={"owner": "platform"})  # a present key takes the new value
    assert client.list_tags_for_resource(ResourceArn=MODEL)["Tags"] == {
        "running-model": "Stack/Model",
        "owner": "platform",
    }
    client.untag_resource(ResourceArn=MODEL, TagKeys=["owner", "never-there"])
    assert client.list_tags_for_resource(ResourceArn=MODEL)["Tags"] == {"running-model": "Stack/Model"}
    assert fake.tags(MODEL) == {"running-model": "Stack/Model"}
    fake.tags(MODEL)["changed"] = "by the test"  # a copy
    assert fake.tags(MODEL) == {"running-model": "Stack/Model"}


def test_tags_are_per_resource_and_can_be_arranged(fake: FakeRekognition, client: Any) -> None:
    fake.add_model(MODEL)
    fake.add_model(OTHER_MODEL)
    fake.set_tags(OTHER_MODEL, {"running-model": "Elsewhere/Model"})
    client.tag_resource(ResourceArn=WIDGETS, Tags={"team": "vision"})  # a project is taggable too

    assert client.list_tags_for_resource(ResourceArn=OTHER_MODEL)["Tags"] == {"running-model": "Elsewhere/Model"}
    assert client.list_tags_for_resource(ResourceArn=MODEL)["Tags"] == {}
    assert fake.tags(WIDGETS) == {"team": "vision"}
    fake.set_tags(OTHER_MODEL, {})
    assert fake.tags(OTHER_MODEL) == {}
    with pytest.raises(KeyError):
        fake.tags(GADGETS_MODEL)
    with pytest.raises(KeyError):
        fake.set_tags(GADGETS_MODEL, {})


def test_a_resource_holds_at_most_50_tags(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL)
    fake.set_tags(MODEL, {f"k{i}": "v" for i in range(49)})

    with pytest.raises(ClientError) as excinfo:
        strict.tag_resource(ResourceArn=MODEL, Tags={"new1": "v", "new2": "v"})
    assert error_code(excinfo) == "ServiceQuotaExceededException"
    assert excinfo.value.response["Error"]["Message"] == "The resource has too many tags"
    assert len(fake.tags(MODEL)) == 49 and "new1" not in fake.tags(MODEL)  # nothing changed

    strict.tag_resource(ResourceArn=MODEL, Tags={"new1": "v", "k0": "changed"})  # 50 distinct keys
    strict.tag_resource(ResourceArn=MODEL, Tags={f"k{i}": "again" for i in range(49)})  # still 50
    assert len(fake.tags(MODEL)) == 50
    with pytest.raises(ClientError) as excinfo:
        strict.tag_resource(ResourceArn=MODEL, Tags={"new2": "v"})
    assert error_code(excinfo) == "ServiceQuotaExceededException"
    strict.untag_resource(ResourceArn=MODEL, TagKeys=["new1"])
    strict.tag_resource(ResourceArn=MODEL, Tags={"new2": "v"})
    assert len(fake.tags(MODEL)) == 50


@pytest.fixture
def unchecked(make_client: ClientFactory) -> Any:
    """A client that sends what botocore would refuse, to see the fake's own validation."""
    return make_client(max_attempts=0, parameter_validation=False)


@pytest.mark.parametrize(
    "tags",
    [
        {"aws:reserved": "v"},
        {"": "v"},
        {"k" * 129: "v"},
        {"k": "v" * 257},
        {"hash#": "v"},
        {"k": "semi;colon"},
        {"new\nline": "v"},
        {f"k{i}": "v" for i in range(201)},
    ],
)
def test_invalid_tags_are_invalid_parameters(fake: FakeRekognition, unchecked: Any, tags: dict[str, str]) -> None:
    fake.add_model(MODEL)
    with pytest.raises(ClientError) as excinfo:
        unchecked.tag_resource(ResourceArn=MODEL, Tags=tags)
    assert error_code(excinfo) == "InvalidParameterException"
    assert fake.tags(MODEL) == {}


def test_valid_tags_take_letters_numbers_spaces_and_the_listed_symbols(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL)
    tags = {"Größe 2": "", "k" * 128: "v" * 256, "a_.:/=+-@": "x_.:/=+-@ 9", "AWS-not-reserved": "aws:ok"}
    strict.tag_resource(ResourceArn=MODEL, Tags=tags)
    assert fake.tags(MODEL) == tags


@pytest.mark.parametrize("keys", [["aws:reserved"], [""], ["k" * 129], [f"k{i}" for i in range(201)]])
def test_invalid_tag_keys_to_remove_are_invalid_parameters(
    fake: FakeRekognition, unchecked: Any, keys: list[str]
) -> None:
    fake.add_model(MODEL)
    fake.set_tags(MODEL, {"k0": "v"})
    with pytest.raises(ClientError) as excinfo:
        unchecked.untag_resource(ResourceArn=MODEL, TagKeys=keys)
    assert error_code(excinfo) == "InvalidParameterException"
    assert fake.tags(MODEL) == {"k0": "v"}


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [("tag_resource", {"Tags": {"k": "v"}}), ("untag_resource", {"TagKeys": ["k"]}), ("list_tags_for_resource", {})],
)
def test_tagging_unknown_and_malformed_arns(fake: FakeRekognition, unchecked: Any, call: str, kwargs: Any) -> None:
    for arn, code in (
        (OTHER_MODEL, "ResourceNotFoundException"),
        (f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/999", "ResourceNotFoundException"),
        (f"arn:aws:rekognition:{REGION}:{ACCOUNT}:collection/faces", "InvalidParameterException"),
        ("arn:aws:rekognition:eu-west-1:1:x", "InvalidParameterException"),
        ("not an ARN", "InvalidParameterException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            getattr(unchecked, call)(ResourceArn=arn, **kwargs)
        assert error_code(excinfo) == code, arn


# ------------------------------------------------------------------------------ IAM


def handler_policy() -> RolePolicy:
    """What a handler of MODEL may do: run and describe it, and mark it with the running-model tag only."""
    versions = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/version/*"
    return RolePolicy(
        [
            {"Effect": "Allow", "Action": "rekognition:DescribeProjects", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": "rekognition:DescribeProjectVersions",
                "Resource": f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/widgets/*",
            },
            {
                "Effect": "Allow",
                "Action": ["rekognition:StartProjectVersion", "rekognition:StopProjectVersion"],
                "Resource": MODEL,
            },
            {
                "Effect": "Allow",
                "Action": ["rekognition:TagResource", "rekognition:UntagResource"],
                "Resource": versions,
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["running-model"]}},
            },
            {"Effect": "Allow", "Action": "rekognition:ListTagsForResource", "Resource": versions},
        ]
    )


def test_a_role_policy_decides_each_call(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL, status="RUNNING")
    fake.add_model(OTHER_MODEL, status="RUNNING")
    fake.add_model(GADGETS_MODEL)
    fake.set_authorizer(handler_policy().allows)

    assert describe(strict)["Status"] == "RUNNING"
    strict.tag_resource(ResourceArn=MODEL, Tags={"running-model": "Stack/Model"})
    assert strict.list_tags_for_resource(ResourceArn=OTHER_MODEL)["Tags"] == {}
    assert strict.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"

    with pytest.raises(ClientError) as excinfo:
        strict.stop_project_version(ProjectVersionArn=OTHER_MODEL)
    assert error_code(excinfo) == "AccessDeniedException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert excinfo.value.response["Error"]["Message"] == (
        "User: arn:aws:sts::111122223333:assumed-role/handler/session is not authorized to perform: "
        f"rekognition:StopProjectVersion on resource: {OTHER_MODEL} because no identity-based policy allows "
        "the rekognition:StopProjectVersion action"
    )
    assert fake.status(OTHER_MODEL) == "RUNNING"  # the denied call changed nothing

    refused = [
        lambda: strict.tag_resource(ResourceArn=MODEL, Tags={"running-model": "x", "owner": "me"}),
        lambda: strict.untag_resource(ResourceArn=MODEL, TagKeys=["owner"]),
        lambda: strict.describe_project_versions(ProjectArn=fake.add_project("gadgets")),
        lambda: strict.list_tags_for_resource(ResourceArn=GADGETS_MODEL),
    ]
    for call in refused:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "AccessDeniedException"
    assert fake.tags(MODEL) == {"running-model": "Stack/Model"}
    assert fake.denials == [
        ("rekognition:StopProjectVersion", OTHER_MODEL),
        ("rekognition:TagResource", MODEL),
        ("rekognition:UntagResource", MODEL),
        ("rekognition:DescribeProjectVersions", fake.add_project("gadgets")),
        ("rekognition:ListTagsForResource", GADGETS_MODEL),
    ]
    assert [c.error for c in fake.calls if c.error] == ["AccessDeniedException"] * 5


def test_the_authorizer_sees_action_resource_and_context(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL)
    fake.set_tags(MODEL, {"owner": "vision"})
    asked: list[tuple[str, str, dict[str, Any]]] = []

    def authorizer(action: str, resource: str, context: Any) -> bool:
        asked.append((action, resource, dict(context)))
        assert fake.status(MODEL)  # the fake may be read from the authorizer
        return True

    fake.set_authorizer(authorizer)
    strict.describe_projects()
    strict.describe_project_versions(ProjectArn=WIDGETS)
    strict.tag_resource(ResourceArn=MODEL, Tags={"running-model": "S/M"})
    strict.untag_resource(ResourceArn=MODEL, TagKeys=["running-model", "gone"])
    strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)
    strict.list_tags_for_resource(ResourceArn=MODEL)

    held = {"aws:ResourceTag/owner": "vision"}
    assert asked == [
        ("rekognition:DescribeProjects", "*", {}),
        ("rekognition:DescribeProjectVersions", WIDGETS, {}),
        (
            "rekognition:TagResource",
            MODEL,
            {"aws:TagKeys": ["running-model"], "aws:RequestTag/running-model": "S/M"} | held,
        ),
        (
            "rekognition:UntagResource",
            MODEL,
            {"aws:TagKeys": ["running-model", "gone"], "aws:ResourceTag/running-model": "S/M"} | held,
        ),
        ("rekognition:StartProjectVersion", MODEL, held),
        ("rekognition:ListTagsForResource", MODEL, held),
    ]


def test_resource_tags_in_a_condition_follow_the_tags_of_the_model(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL, status="RUNNING")
    mine = {"StringEquals": {"aws:ResourceTag/running-model": "Stack/Model"}}
    fake.set_authorizer(
        RolePolicy(
            [{"Effect": "Allow", "Action": "rekognition:StopProjectVersion", "Resource": "*", "Condition": mine}]
        ).allows
    )

    with pytest.raises(ClientError) as excinfo:
        strict.stop_project_version(ProjectVersionArn=MODEL)
    assert error_code(excinfo) == "AccessDeniedException"
    fake.set_tags(MODEL, {"running-model": "Stack/Model"})
    assert strict.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"


def test_faults_come_before_the_authorizer_and_denials_spend_no_rate(
    fake: FakeRekognition, strict: Any, clock: Clock
) -> None:
    fake.add_model(MODEL, status="RUNNING")
    fake.set_rate_limit("StopProjectVersion", 1)
    fake.set_authorizer(lambda action, resource, context: False)
    fake.inject_error("StopProjectVersion", "InternalServerError")

    codes = []
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            strict.stop_project_version(ProjectVersionArn=MODEL)
        codes.append(error_code(excinfo))
    fake.set_authorizer(None)
    assert strict.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"  # the token was still there

    assert codes == ["InternalServerError", "AccessDeniedException", "AccessDeniedException"]
    assert fake.denials == [("rekognition:StopProjectVersion", MODEL)] * 2


def test_the_authorizer_can_be_swapped_from_another_thread(fake: FakeRekognition, strict: Any) -> None:
    fake.add_model(MODEL, status="STOPPED")
    fake.set_authorizer(handler_policy().allows)
    assert strict.start_project_version(ProjectVersionArn=MODEL, MinInferenceUnits=1)["Status"] == "STARTING"

    # As CloudFormation does when it updates the role's policy while the handler runs.
    described_only = RolePolicy([{"Effect": "Allow", "Action": "rekognition:Describe*", "Resource": "*"}])
    swapper = threading.Thread(target=fake.set_authorizer, args=(described_only.allows,))
    swapper.start()
    swapper.join()

    assert describe(strict)["Status"] == "RUNNING"
    with pytest.raises(ClientError) as excinfo:
        strict.stop_project_version(ProjectVersionArn=MODEL)
    assert error_code(excinfo) == "AccessDeniedException"
    fake.set_authorizer(None)
    assert strict.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"
    assert fake.denials == [("rekognition:StopProjectVersion", MODEL)]


def test_swapping_the_authorizer_while_calls_run_decides_each_call_once(
    fake: FakeRekognition, make_client: ClientFactory
) -> None:
    """Each call is answered as the one authorizer it asked said, however often another thread swaps them."""
    fake.add_model(MODEL, status="RUNNING")
    decisions: list[bool] = []

    def allow_all(*_: Any) -> bool:
        decisions.append(True)
        return True

    def deny_all(*_: Any) -> bool:
        decisions.append(False)
        return False

    stop = threading.Event()

    def swap() -> None:
        while not stop.is_set():
            fake.set_authorizer(deny_all)
            fake.set_authorizer(allow_all)

    fake.set_authorizer(allow_all)
    swapper = threading.Thread(target=swap)
    swapper.start()
    client = make_client(max_attempts=0)
    outcomes: list[bool] = []
    try:
        for _ in range(40):
            try:
                client.list_tags_for_resource(ResourceArn=MODEL)
                outcomes.append(True)
            except ClientError as error:
                assert error.response["Error"]["Code"] == "AccessDeniedException"
                outcomes.append(False)
    finally:
        stop.set()
        swapper.join()
    assert outcomes == decisions
    assert len(fake.denials) == outcomes.count(False)


def test_each_signing_key_gets_its_own_authorizer(fake: FakeRekognition, endpoint: str, strict: Any) -> None:
    """Two stacks' handlers sign with two roles' keys: each call is judged by its own role's policy."""
    fake.add_model(MODEL, status="RUNNING")
    fake.set_authorizer(lambda action, resource, context: False, access_key_id="AKIASTACKONE")
    fake.set_authorizer(lambda action, resource, context: True)
    stack_one = boto3.client(
        "rekognition",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="AKIASTACKONE",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 0}),
    )
    with pytest.raises(ClientError) as excinfo:
        stack_one.stop_project_version(ProjectVersionArn=MODEL)
    assert error_code(excinfo) == "AccessDeniedException"
    assert strict.stop_project_version(ProjectVersionArn=MODEL)["Status"] == "STOPPING"
    fake.set_authorizer(None, access_key_id="AKIASTACKONE")
    assert stack_one.list_tags_for_resource(ResourceArn=MODEL)["Tags"] == {}


def test_a_versions_evaluation_comes_back_as_botocore_parses_it(fake: FakeRekognition, client: Any) -> None:
    """boto3 keeps only members of botocore's shape: an F1 score that comes through is where AWS puts it."""
    fake.add_model(MODEL, f1_score=0.83)
    fake.add_model(OTHER_MODEL)
    described = {
        v["ProjectVersionArn"]: v
        for v in client.describe_project_versions(ProjectArn=WIDGETS)["ProjectVersionDescriptions"]
    }
    assert described[MODEL]["EvaluationResult"]["F1Score"] == pytest.approx(0.83)
    assert described[MODEL]["EvaluationResult"]["Summary"]["S3Object"]["Bucket"]
    assert "EvaluationResult" not in described[OTHER_MODEL]
