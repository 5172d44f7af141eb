"""The promotion gate: a version is started only if its F1 score reaches the one the stack requires."""

from __future__ import annotations

from .decision import TRAINING_IN_PROGRESS, Observation


def refusal(label: str, observation: Observation, required: float) -> str | None:
    """Why ``label`` may not be started under a required F1 score; None when it may.

    A version that does not exist passes: the lifecycle reports that with its own reason.
    """
    if observation.status is None:
        return None
    score = observation.f1_score
    if score is None:
        why = "it is still training" if observation.status == TRAINING_IN_PROGRESS else "it has no evaluation"
        return (
            f"Model {label} has no F1 score ({why}), so it cannot meet the required {required:.2f}; nothing was started"
        )
    if score < required:
        shown, needed = _figures(score, required)
        return f"Model {label}: F1 {shown} is below the required {needed}; nothing was started"
    return None


def _figures(score: float, required: float) -> tuple[str, str]:
    """Both numbers with two decimals, or four when two would show them equal (0.899 against 0.90)."""
    for decimals in (2, 4):
        shown, needed = f"{score:.{decimals}f}", f"{required:.{decimals}f}"
        if shown != needed:
            return shown, needed
    return repr(score), repr(required)
