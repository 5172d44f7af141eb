"""RunningModel: keep an Amazon Rekognition Custom Labels model running exactly as long as a stack says."""

from .base import IRunningModel, RunningModelBase
from .handler import RunningModelHandler
from .metrics import MetricOptions
from .running_model import RunningModel
from .schedule import RunningSchedule, RunningWindow

__all__ = [
    "IRunningModel",
    "MetricOptions",
    "RunningModel",
    "RunningModelBase",
    "RunningModelHandler",
    "RunningSchedule",
    "RunningWindow",
]
