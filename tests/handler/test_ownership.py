"""The owner tags (ownership.py): the key and value each resource writes on a model version, and
how they are read back. Keys and values already sit on users' models: their format is a contract."""

from __future__ import annotations

import pytest

from running_model.ownership import Owner, is_idle, label_of, owners, request_of, stopping, stopping_until, wanting

from support.fakes.cloudformation import STACK_ID


def test_an_owners_key_is_the_prefix_and_32_hex_digits_of_its_stack_and_logical_id() -> None:
    """Pinned literally: a key computed differently would orphan every owner tag already written."""
    assert Owner(STACK_ID, "Detector").key == "running-model:owner:6ea7d6f727ace8d39852484f5fe4e38d"


LOCATOR = "stack:eu-west-1/5b1c1c80-0000-11f0-9e7a-0a1b2c3d4e5f"
VERSION_ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


def test_an_owners_value_names_the_request_then_where_its_stack_is_then_the_stack_and_logical_id() -> None:
    owner = Owner(STACK_ID, "Detector")
    assert owner.value("req-1") == f"req-1 {LOCATOR} RunningModelTest/Detector"
    assert owner.value("req-1", idle=True) == f"req-1 idle {LOCATOR} RunningModelTest/Detector"
    assert (
        owner.value("req-1", stopping_until=1000.5) == f"req-1 idle stopping:1001 {LOCATOR} RunningModelTest/Detector"
    )


def test_a_stack_id_that_is_no_arn_is_named_whole() -> None:
    assert Owner("RunningModelTest", "Detector").value("req-1") == "req-1 RunningModelTest/Detector"


def test_an_owners_value_is_cut_to_rekognitions_256_characters() -> None:
    value = Owner(STACK_ID, "Detector" + "X" * 300).value("req-1")
    assert len(value) == 256 and value.startswith(f"req-1 {LOCATOR} RunningModelTest/DetectorXXX")


def test_a_registration_gives_back_its_owner_from_the_versions_account_and_partition() -> None:
    owner = Owner(STACK_ID, "Detector")
    assert Owner.registered(owner.key, owner.value("req-1", idle=True), VERSION_ARN) == owner
    china = Owner(STACK_ID.replace("arn:aws:", "arn:aws-cn:"), "Detector")
    assert Owner.registered(china.key, china.value("r"), VERSION_ARN.replace("arn:aws:", "arn:aws-cn:")) == china


@pytest.mark.parametrize(
    "value",
    [
        "req-1 RunningModelTest/Detector",  # written before the locator
        f"req-1 {LOCATOR} RunningModelTest/Other",  # names another resource than its key
        "req-1 stack:eu-west-2/5b1c1c80-0000-11f0-9e7a-0a1b2c3d4e5f RunningModelTest/Detector",  # another region
        f"req-1 {LOCATOR} RunningModelTest/Detec",  # cut short
        f"req-1 {LOCATOR}",
        "stack:eu-west-1 RunningModelTest/Detector",
    ],
)
def test_a_registration_that_does_not_hash_back_to_its_key_gives_no_owner(value: str) -> None:
    assert Owner.registered(Owner(STACK_ID, "Detector").key, value, VERSION_ARN) is None


def test_a_registration_on_another_accounts_version_gives_no_owner() -> None:
    owner = Owner(STACK_ID, "Detector")
    assert Owner.registered(owner.key, owner.value("r"), VERSION_ARN.replace("111122223333", "444455556666")) is None


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (f"req-1 idle {LOCATOR} RunningModelTest/Detector", "RunningModelTest/Detector"),
        ("req-1 RunningModelTest/Detector", "RunningModelTest/Detector"),
        (f"req-1 {LOCATOR}", ""),
        ("req-1", ""),
        ("RunningModelTest/Detector", ""),
    ],
)
def test_the_label_of_a_value_is_its_last_word_when_that_names_a_stack_and_logical_id(value: str, label: str) -> None:
    assert label_of(value) == label


@pytest.mark.parametrize(
    ("value", "idle"),
    [
        ("req-1 idle RunningModelTest/Detector", True),
        ("req-1 idle", True),  # a value cut short by the limit
        ("req-1 RunningModelTest/Detector", False),
        ("req-1 prod/Detector", False),  # a stack name that sorts after "idle"
        ("req-1", False),  # a value written by hand
    ],
)
def test_an_owner_is_idle_only_when_the_second_word_of_its_value_is_idle(value: str, idle: bool) -> None:
    assert is_idle(value) is idle


def test_the_request_of_a_value_is_its_first_word() -> None:
    assert request_of("req-1 idle RunningModelTest/Detector") == "req-1"
    assert request_of("req-1") == "req-1"


def test_owners_are_the_owner_tags_and_those_wanting_the_model_are_the_ones_not_idle() -> None:
    tags = {
        "running-model:owner:a": "req-1 Stack/A",
        "running-model:owner:b": "req-2 idle Stack/B",
        "running-model:gate:x": "unrelated",
        "team": "vision",
    }
    assert owners(tags) == {"running-model:owner:a": "req-1 Stack/A", "running-model:owner:b": "req-2 idle Stack/B"}
    assert wanting(owners(tags)) == {"running-model:owner:a": "req-1 Stack/A"}


def test_a_stopping_mark_is_read_back_until_the_second_it_lasts() -> None:
    owner = Owner(STACK_ID, "Detector")
    marked = owner.value("req-1", stopping_until=1000.2)
    assert marked.split(" ")[:3] == ["req-1", "idle", "stopping:1001"]
    assert stopping_until(marked) == 1001.0
    assert stopping_until("req-1 stopping:1001 s/Detector") == 1001.0, "a mark anywhere after the request id"
    assert stopping_until(owner.value("req-1")) is None
    assert stopping_until(owner.value("req-1", idle=True)) is None


@pytest.mark.parametrize(
    "value",
    [
        "stopping:1001 idle s/Detector",
        "req-1 idle stopping:²³ s/Detector",
        "req-1 idle stopping: s/D",
        "r Resources123/D",
    ],
    ids=["the request id", "not ASCII digits", "no time", "an owner's name"],
)
def test_only_a_word_after_the_request_id_of_stopping_and_ascii_digits_is_a_mark(value: str) -> None:
    assert stopping_until(value) is None


def test_an_owner_is_stopping_until_its_marks_second_has_passed() -> None:
    owner = Owner(STACK_ID, "Detector")
    found = {"marked": owner.value("req-1", stopping_until=1001), "plain": owner.value("req-2"), "idle": "r idle s/D"}
    assert stopping(found, now=1000.0) == {"marked": found["marked"]}
    assert stopping(found, now=1001.0) == {}
