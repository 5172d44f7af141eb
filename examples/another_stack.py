import os

import aws_cdk as cdk
from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from rekognition_running_model import IRunningModel, RunningModel

ARN = "arn:aws:rekognition:eu-west-1:111122223333:project/widgets/version/v1/1767607200000"
ENV = cdk.Environment(account="111122223333", region="eu-west-1")


class ModelsStack(Stack):
    """A platform team's stack keeps the model running."""

    def __init__(self, scope: Construct, id: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        RunningModel(self, "Detector", project_version_arn=ARN)


class ConsumerStack(Stack):
    """An application team's stack calls the model and alarms on it, and declares nothing of it."""

    def __init__(self, scope: Construct, id: str, *, model_arn: str, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        model: IRunningModel = RunningModel.from_project_version_arn(self, "Detector", model_arn)
        function = lambda_.Function(
            self,
            "Classify",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
            environment={"MODEL_ARN": model.project_version_arn},
        )
        model.grant_detect_custom_labels(function)
        model.metric_user_error_count(period=cdk.Duration.minutes(1)).create_alarm(
            self, "UserErrors", threshold=10, evaluation_periods=3
        )


app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
models = ModelsStack(app, "Models", env=ENV)
consumer = ConsumerStack(app, "Consumer", model_arn=ARN, env=ENV)
consumer.add_dependency(models, "the model runs before the function that calls it is deployed")
app.synth()
