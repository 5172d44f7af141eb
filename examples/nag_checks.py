import os

import aws_cdk as cdk
from aws_cdk import Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from rekognition_running_model import RunningModel

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


class CheckedStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(self, "Detector", project_version_arn=ARN)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
CheckedStack(app, "Checked")
# cdk-nag 3 is a validation plugin: synth fails on any finding that is neither fixed nor acknowledged.
Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
