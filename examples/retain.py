import os

import aws_cdk as cdk
from aws_cdk import RemovalPolicy, Stack
from constructs import Construct

from rekognition_running_model import RunningModel

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


class LongLivedStack(Stack):
    """The model keeps running after the stack (or the resource) is deleted: stop it yourself then."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(self, "LongLived", project_version_arn=ARN, removal_policy=RemovalPolicy.RETAIN)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
LongLivedStack(app, "LongLived")
app.synth()
