"""The handler's parsing of ResourceProperties, which CloudFormation passes as strings."""

from __future__ import annotations

import pytest

from running_model.model_version import ModelVersion
from running_model.properties import InvalidPropertiesError, parse, service_timeout
from running_model.reasons import REASON_LIMIT, shorten

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/widgets.2026-01-05T10.00.00/1767607200000"
PROJECT_ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/1767000000000"


def test_strings_become_numbers_and_defaults_apply() -> None:
    spec = parse({"ServiceToken": "arn:aws:lambda:x", "ProjectVersionArn": ARN})
    assert (spec.min_units, spec.max_units, spec.project_arn, spec.min_f1_score) == (1, None, None, None)
    assert service_timeout({"ProjectVersionArn": ARN}) == 3600
    assert spec.version.region == "eu-west-1"
    assert spec.version.project == "widgets"
    assert spec.version.version == "widgets.2026-01-05T10.00.00"


def test_every_property_is_read() -> None:
    properties = {
        "ProjectVersionArn": ARN,
        "MinInferenceUnits": "2",
        "MaxInferenceUnits": "5",
        "ProjectArn": PROJECT_ARN,
        "ServiceTimeout": "1200",
        "MinF1Score": "0.9",
    }
    spec = parse(properties)
    assert (spec.min_units, spec.max_units, spec.project_arn, spec.min_f1_score) == (2, 5, PROJECT_ARN, 0.9)
    assert service_timeout(properties) == 1200


@pytest.mark.parametrize(
    "properties, named",
    [
        ({}, "ProjectVersionArn: received nothing; expected the ARN of the model version to run"),
        (
            {"ProjectVersionArn": "arn:aws:s3:::bucket"},
            "ProjectVersionArn: received 'arn:aws:s3:::bucket'; expected arn:<partition>:rekognition:",
        ),
        (
            {"ProjectVersionArn": ARN, "MinInferenceUnits": "0"},
            "MinInferenceUnits: received 0; expected a whole number of at least 1",
        ),
        (
            {"ProjectVersionArn": ARN, "MinInferenceUnits": "abc"},
            "MinInferenceUnits: received 'abc'; expected a whole number of at least 1",
        ),
        (
            {"ProjectVersionArn": ARN, "MinInferenceUnits": "1.5"},
            "MinInferenceUnits: received '1.5'; expected a whole number",
        ),
        (
            {"ProjectVersionArn": ARN, "MaxInferenceUnits": "-1"},
            "MaxInferenceUnits: received -1; expected a whole number of at least 1",
        ),
        (
            {"ProjectVersionArn": ARN, "MinInferenceUnits": "3", "MaxInferenceUnits": "2"},
            "MaxInferenceUnits: received 2; expected at least MinInferenceUnits (3)",
        ),
        (
            {"ProjectVersionArn": ARN, "ProjectArn": "widgets"},
            "ProjectArn: received 'widgets'; expected arn:<partition>:rekognition:",
        ),
        (
            {"ProjectVersionArn": ARN, "ProjectArn": PROJECT_ARN.replace("widgets", "gadgets")},
            "; expected the project of ProjectVersionArn (project 'widgets' in eu-west-1, account 111122223333)",
        ),
        (
            {"ProjectVersionArn": ARN, "ProjectArn": PROJECT_ARN.replace("widgets", "zebras")},
            "; expected the project of ProjectVersionArn (project 'widgets' in eu-west-1, account 111122223333)",
        ),
        (
            {"ProjectVersionArn": ARN, "ServiceTimeout": "7200"},
            "ServiceTimeout: received 7200; expected a whole number from 1 to 3600",
        ),
        (
            {"ProjectVersionArn": ARN, "MinF1Score": "1.5"},
            "MinF1Score: received '1.5'; expected a number above 0 and at most 1",
        ),
        ({"ProjectVersionArn": ARN, "MinF1Score": "0"}, "MinF1Score: received '0'; expected a number above 0"),
        ({"ProjectVersionArn": ARN, "MinF1Score": "-0.5"}, "MinF1Score: received '-0.5'; expected a number above 0"),
        ({"ProjectVersionArn": ARN, "Schedule": "weekdays"}, "Schedule: "),
        ({"ProjectVersionArn": ARN, "MinF1Score": "high"}, "MinF1Score: received 'high'; expected a number"),
        ({"ProjectVersionArn": ARN, "MinF1Score": "nan"}, "MinF1Score: received 'nan'; expected a number"),
    ],
)
def test_a_bad_property_is_named_with_what_was_received(properties: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse(properties)
    assert named in str(raised.value)


def test_a_required_f1_score_of_exactly_1_is_taken() -> None:
    assert parse({"ProjectVersionArn": ARN, "MinF1Score": "1"}).min_f1_score == 1.0


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse({"ProjectVersionArn": "nope", "MinInferenceUnits": "0", "MaxInferenceUnits": "x"})
    message = str(raised.value)
    assert all(name in message for name in ("ProjectVersionArn", "MinInferenceUnits", "MaxInferenceUnits"))


def test_a_huge_bad_value_cannot_fill_the_reason() -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse({"ProjectVersionArn": ARN, "MinInferenceUnits": "9" * 500 + "x"})
    assert len(str(raised.value)) < 200


def test_model_version_from_arn() -> None:
    assert ModelVersion.from_arn(ARN) is not None
    assert ModelVersion.from_arn(ARN).label == "widgets/widgets.2026-01-05T10.00.00"  # type: ignore[union-attr]
    for not_a_version in ("", None, 12, PROJECT_ARN, "Detector-ABCDEFGH", ARN + "/extra"):
        assert ModelVersion.from_arn(not_a_version) is None


def test_shorten_keeps_the_beginning_and_fits_cloudformation() -> None:
    text = "Model widgets failed to start: " + "x" * 400 + " END"
    short = shorten(text)
    assert len(short) == REASON_LIMIT
    assert short.startswith("Model widgets failed to start: ")
    assert short.endswith("…") and "END" not in short
    assert shorten("two\n  lines") == "two lines"


def test_a_maximum_equal_to_the_minimum_is_taken() -> None:
    spec = parse({"ProjectVersionArn": ARN, "MinInferenceUnits": "3", "MaxInferenceUnits": "3"})
    assert (spec.min_units, spec.max_units) == (3, 3)


@pytest.mark.parametrize("seconds, taken", [("1", 1), ("3600", 3600)])
def test_a_service_timeout_from_1_to_3600_seconds_is_taken(seconds: str, taken: int) -> None:
    properties = {"ProjectVersionArn": ARN, "ServiceTimeout": seconds}
    parse(properties)  # raises on a refused one
    assert service_timeout(properties) == taken


@pytest.mark.parametrize("seconds", ["0", "3601"])
def test_a_service_timeout_just_outside_1_to_3600_seconds_is_refused(seconds: str) -> None:
    with pytest.raises(InvalidPropertiesError) as raised:
        parse({"ProjectVersionArn": ARN, "ServiceTimeout": seconds})
    assert f"ServiceTimeout: received {seconds}; expected a whole number from 1 to 3600" in str(raised.value)


def test_empty_optional_properties_mean_their_defaults() -> None:
    spec = parse({"ProjectVersionArn": ARN, "MinInferenceUnits": "", "MaxInferenceUnits": "", "MinF1Score": ""})
    assert (spec.min_units, spec.max_units, spec.min_f1_score) == (1, None, None)


def test_numbers_given_as_json_numbers_are_taken() -> None:
    spec = parse({"ProjectVersionArn": ARN, "MinInferenceUnits": 2, "MaxInferenceUnits": 4, "MinF1Score": 0.5})
    assert (spec.min_units, spec.max_units, spec.min_f1_score) == (2, 4, 0.5)
