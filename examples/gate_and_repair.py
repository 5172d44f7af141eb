import os

import aws_cdk as cdk
from aws_cdk import Duration, Stack
from constructs import Construct

from rekognition_running_model import RunningModel

# Change this to a newly trained version to roll it out blue/green: the deploy starts it only if its
# F1 score is at least 0.9; otherwise it fails saying so, and the current version keeps serving.
CANDIDATE = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v2/1767700000000"


class GatedStack(Stack):
    """A version promoted only when its evaluation is good enough, and kept running once deployed."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        model = RunningModel(
            self,
            "Detector",
            project_version_arn=CANDIDATE,
            min_f1_score=0.9,
            # Started again within 15 minutes if someone stops it, or it fails.
            repair_every=Duration.minutes(15),
        )
        model.metric_repairs().create_alarm(self, "Repaired", threshold=1, evaluation_periods=1)


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
GatedStack(app, "Gated")
app.synth()
