import os

import aws_cdk as cdk
from aws_cdk import Stack
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from rekognition_running_model import RunningModel, RunningModelGuard

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"


class GuardedStack(Stack):
    """A model, and the guard that audits every model of the account and region every hour: it stops
    the models whose stacks are all gone, and its alarms go to a topic."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(self, "Detector", project_version_arn=ARN)
        # One per account and region, in any one stack: it watches every model there, declared or not.
        guard = RunningModelGuard(self, "Guard", every=cdk.Duration.hours(1), stop_forgotten=True)
        # An encrypted topic: CloudWatch alarms may use its key to publish.
        key = kms.Key(self, "AlarmsKey", enable_key_rotation=True)
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(self, "Alarms", master_key=key, enforce_ssl=True)
        for alarm in (guard.alarm_forgotten(), guard.alarm_unmanaged(), guard.alarm_not_reporting()):
            alarm.add_alarm_action(actions.SnsAction(topic))


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
GuardedStack(app, "Guarded")
app.synth()
