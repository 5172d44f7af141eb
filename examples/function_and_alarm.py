import os

import aws_cdk as cdk
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from rekognition_running_model import RunningModel

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


class ClassifyStack(Stack):
    """A function that calls the model, deployed only once the model runs, and an alarm on throttling."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        model = RunningModel(self, "Detector", project_version_arn=ARN)
        function = lambda_.Function(
            self,
            "Classify",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
            environment={"MODEL_ARN": model.project_version_arn},  # the function now waits for RUNNING
        )
        model.grant_detect_custom_labels(function)
        model.metric_throttled_count().create_alarm(self, "Throttled", threshold=1, evaluation_periods=1)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
ClassifyStack(app, "Classify")
app.synth()
