"""The promotion gate's verdict on one observation (pure: no AWS call)."""

from __future__ import annotations

import json

import pytest

from running_model.decision import RUNNING, STOPPED, TRAINING_COMPLETED, TRAINING_IN_PROGRESS, Observation
from running_model.gate import refusal

LABEL = "widgets/v2"


@pytest.mark.parametrize("score", [0.9, 0.95, 1.0])
def test_a_score_at_or_above_the_required_one_passes(score: float) -> None:
    assert refusal(LABEL, Observation(status=TRAINING_COMPLETED, f1_score=score), 0.9) is None


def test_a_score_below_says_both_figures_and_that_nothing_started() -> None:
    reason = refusal(LABEL, Observation(status=STOPPED, f1_score=0.83), 0.9)
    assert reason == "Model widgets/v2: F1 0.83 is below the required 0.90; nothing was started"


def test_a_score_just_below_is_not_shown_as_equal() -> None:
    reason = refusal(LABEL, Observation(status=STOPPED, f1_score=0.8999), 0.9)
    assert reason is not None and "F1 0.8999 is below the required 0.9000" in reason


def test_a_running_version_below_the_score_is_refused_too() -> None:
    """The gate judges the version, not whether it runs: the stack may not declare it."""
    assert refusal(LABEL, Observation(status=RUNNING, f1_score=0.5), 0.9) is not None


def test_a_version_without_an_evaluation_is_refused_saying_why() -> None:
    reason = refusal(LABEL, Observation(status=TRAINING_COMPLETED), 0.9)
    assert reason == (
        "Model widgets/v2 has no F1 score (it has no evaluation), so it cannot meet the required 0.90; "
        "nothing was started"
    )
    training = refusal(LABEL, Observation(status=TRAINING_IN_PROGRESS), 0.9)
    assert training is not None and "(it is still training)" in training


def test_a_version_that_does_not_exist_is_left_to_the_lifecycle() -> None:
    assert refusal(LABEL, Observation(status=None), 0.9) is None


def test_a_version_still_training_as_the_api_reports_it_is_refused_saying_so() -> None:
    status = json.loads('"TRAINING_IN_PROGRESS"')  # parsed: not the constant's own string object
    reason = refusal(LABEL, Observation(status=status), 0.9)
    assert reason is not None and "(it is still training)" in reason
