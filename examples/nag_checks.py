import os

import aws_cdk as cdk
from aws_cdk import Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from constructs import Construct

from rekognition_running_model import RunningModel, RunningModelHandler

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


class CheckedStack(Stack):
    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        # Optional, once per stack and before its first RunningModel: the handler's logs encrypted
        # with your key (its policy gets the statement CloudWatch Logs needs) and kept a year.
        key = kms.Key(self, "LogKey", enable_key_rotation=True)
        RunningModelHandler.configure(self, log_encryption_key=key, log_retention=logs.RetentionDays.ONE_YEAR)
        RunningModel(self, "Detector", project_version_arn=ARN)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
CheckedStack(app, "Checked")
# cdk-nag 3 packs are validation plugins: synth fails on any finding that is neither fixed nor acknowledged.
Validations.of(app).add_plugins(AwsSolutionsChecks(app), HIPAASecurityChecks(app), NIST80053R5Checks(app))
app.synth()
