"""Lambda entry point of the RunningModelGuard (handler: guard.handler). The run is running_model/guarding.py."""

from __future__ import annotations

from typing import Any

from running_model.guarding import Guard

guard = Guard.from_environment()


def handler(event: dict[str, Any], context: Any) -> None:
    guard.run(event)
