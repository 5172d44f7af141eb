import os

import aws_cdk as cdk
from aws_cdk import Stack
from constructs import Construct

from rekognition_running_model import RunningModel


class OtherRegionStack(Stack):
    """The stack in eu-west-1, the model in us-east-1: the handler calls Rekognition in the
    model's region; project_arn spares it the lookup by name."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(
            self,
            "UsModel",
            project_version_arn="arn:aws:rekognition:us-east-1:111122223333:project/widgets/version/w1/1767607200000",
            project_arn="arn:aws:rekognition:us-east-1:111122223333:project/widgets/1767000000000",
        )


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
OtherRegionStack(app, "OtherRegion", env=cdk.Environment(account="111122223333", region="eu-west-1"))
app.synth()
