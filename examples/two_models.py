import os

import aws_cdk as cdk
from aws_cdk import Stack
from constructs import Construct

from rekognition_running_model import RunningModel

DETECTOR_V3 = "arn:aws:rekognition:eu-west-1:111122223333:project/detector/version/v3/1767607200000"
CLASSIFIER_V7 = "arn:aws:rekognition:eu-west-1:111122223333:project/classifier/version/v7/1767607200000"


class TwoModelsStack(Stack):
    """Two models in one stack share one handler (one function, one role)."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(self, "Detector", project_version_arn=DETECTOR_V3)
        RunningModel(self, "Classifier", project_version_arn=CLASSIFIER_V7, min_inference_units=2)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
TwoModelsStack(app, "TwoModels")
app.synth()
