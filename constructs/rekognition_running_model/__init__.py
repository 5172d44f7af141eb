"""RunningModel: keep an Amazon Rekognition Custom Labels model running exactly as long as a stack says.

The constructs load on first use (PEP 562), so that the ``running-model`` command, a subpackage,
starts without loading aws-cdk-lib and the jsii runtime (a Node.js process).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import IRunningModel, RunningModelBase
    from .guard import RunningModelGuard
    from .handler import RunningModelHandler
    from .metrics import AlarmOptions, MetricOptions
    from .running_model import RunningModel
    from .schedule import RunningSchedule, RunningWindow

# Each export, and the module that defines it.
_EXPORTS = {
    "AlarmOptions": ".metrics",
    "IRunningModel": ".base",
    "MetricOptions": ".metrics",
    "RunningModel": ".running_model",
    "RunningModelBase": ".base",
    "RunningModelGuard": ".guard",
    "RunningModelHandler": ".handler",
    "RunningSchedule": ".schedule",
    "RunningWindow": ".schedule",
}

__all__ = [
    "AlarmOptions",
    "IRunningModel",
    "MetricOptions",
    "RunningModel",
    "RunningModelBase",
    "RunningModelGuard",
    "RunningModelHandler",
    "RunningSchedule",
    "RunningWindow",
]


def __getattr__(name: str) -> Any:
    """An export, loaded from its module the first time it is asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
