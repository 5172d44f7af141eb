"""RunningModel: keep an Amazon Rekognition Custom Labels model running exactly as long as a stack says."""

from .running_model import RunningModel

__all__ = ["RunningModel"]
