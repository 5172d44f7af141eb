import os

import aws_cdk as cdk
from aws_cdk import Stack
from constructs import Construct

from rekognition_running_model import RunningModel, RunningSchedule, RunningWindow

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v2/1767700000000"


class OfficeHoursStack(Stack):
    """A model that runs (and is billed) only in office hours, and only if it is good enough."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(
            self,
            "Detector",
            project_version_arn=ARN,
            # RUNNING when 08:00 comes in Berlin (started ahead by its own start time), STOPPED at 18:00.
            schedule=RunningSchedule(
                windows=[RunningWindow(days="MON-FRI", start="08:00", end="18:00")],
                time_zone="Europe/Berlin",
            ),
            min_f1_score=0.9,
        )


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
OfficeHoursStack(app, "OfficeHours")
app.synth()
