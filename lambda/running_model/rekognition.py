"""The only module that calls Rekognition: observe, start, stop and tag one model version."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from .decision import Observation
from .model_version import ModelVersion
from .reconcile import ModelCallError
from .settings import CLIENT_CONFIG

# Errors that a later look may not meet again: the handler waits and tries again.
TRANSIENT_ERRORS = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


# Start or Stop refused because the model changed state or vanished since the last look: the
# next look sees why, and decides again.
NEXT_LOOK_EXPLAINS = frozenset({"ResourceInUseException", "ResourceNotFoundException"})


class RekognitionError(ModelCallError):
    """A Rekognition call failed after botocore's retries.

    ``transient`` errors (throttling, server errors, no connection) are worth another try later.
    """

    def __init__(self, operation: str, code: str, message: str, *, transient: bool) -> None:
        text = f"{operation} failed: {code}: {message}" if message else f"{operation} failed: {code}"
        super().__init__(text, transient=transient)
        self.operation = operation
        self.code = code


def make_client(region: str) -> Any:
    """A Rekognition client for ``region`` with explicit retries and timeouts."""
    return boto3.client("rekognition", region_name=region, config=CLIENT_CONFIG)


class ModelVersionClient:
    """Calls Rekognition Custom Labels for one model version (a reconcile.Model)."""

    def __init__(self, client: Any, version: ModelVersion, project_arn: str | None = None) -> None:
        self._client = client
        self.version = version
        self._project_arn = project_arn

    @property
    def label(self) -> str:
        """``project/version``, as messages name the model."""
        return self.version.label

    @property
    def known_project_arn(self) -> str | None:
        """The project's ARN if given or already looked up; no call."""
        return self._project_arn

    @property
    def project_arn(self) -> str | None:
        """The project's ARN, looked up by name once (DescribeProjects) when it was not given."""
        if self._project_arn is None:
            response = self._call("describe_projects", ProjectNames=[self.version.project])
            projects = response.get("ProjectDescriptions", [])
            self._project_arn = projects[0]["ProjectArn"] if projects else None
        return self._project_arn

    def observe(self) -> Observation:
        """The version's status and units; status None when the project or version does not exist."""
        project_arn = self.project_arn
        if project_arn is None:
            return Observation(status=None)
        try:
            response = self._call(
                "describe_project_versions", ProjectArn=project_arn, VersionNames=[self.version.version]
            )
        except RekognitionError as error:
            if error.code == "ResourceNotFoundException":
                return Observation(status=None)
            raise
        for description in response.get("ProjectVersionDescriptions", []):
            if description.get("ProjectVersionArn") == self.version.arn:
                return Observation(
                    status=description.get("Status"),
                    min_units=description.get("MinInferenceUnits"),
                    max_units=description.get("MaxInferenceUnits"),
                    message=description.get("StatusMessage", ""),
                    f1_score=description.get("EvaluationResult", {}).get("F1Score"),
                )
        return Observation(status=None)

    def start(self, min_units: int, max_units: int | None) -> bool:
        """StartProjectVersion; True when Rekognition took it. A refusal that the next look explains
        (the model changed state or vanished meanwhile) is left to that look."""
        arguments: dict[str, Any] = {"ProjectVersionArn": self.version.arn, "MinInferenceUnits": min_units}
        if max_units is not None:
            arguments["MaxInferenceUnits"] = max_units
        return self._call_unless_next_look_explains("start_project_version", **arguments)

    def stop(self) -> bool:
        """StopProjectVersion; True when Rekognition took it. A refusal that the next look explains
        (a model still STARTING, one that vanished) is left to that look."""
        return self._call_unless_next_look_explains("stop_project_version", ProjectVersionArn=self.version.arn)

    def read_tags(self) -> dict[str, str]:
        """The version's tags (ListTagsForResource)."""
        response = self._call("list_tags_for_resource", ResourceArn=self.version.arn)
        return dict(response.get("Tags", {}))

    def tag(self, key: str, value: str) -> None:
        """Add or overwrite one tag (TagResource)."""
        self._call("tag_resource", ResourceArn=self.version.arn, Tags={key: value})

    def untag(self, *keys: str) -> None:
        """Remove tags (UntagResource, one call); removing a tag that is not there is no error."""
        self._call("untag_resource", ResourceArn=self.version.arn, TagKeys=list(keys))

    def _call_unless_next_look_explains(self, method: str, **arguments: Any) -> bool:
        try:
            self._call(method, **arguments)
        except RekognitionError as error:
            if error.code not in NEXT_LOOK_EXPLAINS:
                raise
            return False
        return True

    def _call(self, method: str, **arguments: Any) -> Any:
        operation = self._client.meta.method_to_api_mapping.get(method, method)
        try:
            return getattr(self._client, method)(**arguments)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = details.get("Code", "Unknown")
            raise RekognitionError(
                operation, code, details.get("Message", ""), transient=code in TRANSIENT_ERRORS
            ) from error
        except ParamValidationError as error:
            raise RekognitionError(operation, "ParamValidationError", str(error), transient=False) from error
        except BotoCoreError as error:  # no connection, read timeout...: worth another try
            raise RekognitionError(operation, type(error).__name__, str(error), transient=True) from error


class RekognitionClients:
    """A cache of Rekognition clients per region (a model's region may differ from the handler's).

    One Rekognition client per region, made at first use and kept: a warm Lambda container
    reuses it at every poll.
    """

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def __call__(self, version: ModelVersion, project_arn: str | None) -> ModelVersionClient:
        if version.region not in self._clients:
            self._clients[version.region] = make_client(version.region)
        return ModelVersionClient(self._clients[version.region], version, project_arn)
