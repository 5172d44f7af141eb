"""The owner tags (ownership.py): the key and value each resource writes on a model version, and
how they are read back. Keys and values already sit on users' models: their format is a contract."""

from __future__ import annotations

import pytest

from running_model.ownership import Owner, is_idle, owners, request_of, wanting

from support.fakes.cloudformation import STACK_ID


def test_an_owners_key_is_the_prefix_and_32_hex_digits_of_its_stack_and_logical_id() -> None:
    """Pinned literally: a key computed differently would orphan every owner tag already written."""
    assert Owner(STACK_ID, "Detector").key == "running-model:owner:6ea7d6f727ace8d39852484f5fe4e38d"


def test_an_owners_value_names_the_request_then_the_stack_and_logical_id() -> None:
    owner = Owner(STACK_ID, "Detector")
    assert owner.value("req-1") == "req-1 RunningModelTest/Detector"
    assert owner.value("req-1", idle=True) == "req-1 idle RunningModelTest/Detector"


def test_a_stack_id_that_is_no_arn_is_named_whole() -> None:
    assert Owner("RunningModelTest", "Detector").value("req-1") == "req-1 RunningModelTest/Detector"


def test_an_owners_value_is_cut_to_rekognitions_256_characters() -> None:
    value = Owner(STACK_ID, "Detector" + "X" * 300).value("req-1")
    assert len(value) == 256 and value.startswith("req-1 RunningModelTest/DetectorXXX")


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
