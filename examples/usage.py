import os

import aws_cdk as cdk
from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from rekognition_running_model import RunningModel


class InferenceStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        model = RunningModel(
            self,
            "Detector",
            project_version_arn="arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/widgets.2026-01-05T10.00.00/1767607200000",
            min_inference_units=1,
            max_inference_units=3,  # lets Rekognition auto-scale between 1 and 3
            timeout=Duration.minutes(45),  # give up (and clean up) after 45 minutes
        )
        classify = lambda_.Function(
            self,
            "Classify",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
        )
        model.grant_detect_custom_labels(classify)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
InferenceStack(app, "Inference", env=cdk.Environment(account="111122223333", region="eu-west-1"))
app.synth()
