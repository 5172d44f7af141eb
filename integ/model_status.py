"""What Rekognition says about the model version under test, through the caller's own credentials."""

from __future__ import annotations

from typing import Any

from model_under_test import ModelVersion


def status_of(version: ModelVersion, session: Any) -> str:
    """The version's Status (STOPPED, RUNNING...), or NOT_FOUND when the project or version is unknown.

    ``session`` is a boto3 Session; DescribeProjectVersions needs the project's ARN, looked up by name.
    """
    client = session.client("rekognition", region_name=version.region)
    projects = client.describe_projects(ProjectNames=[version.project])["ProjectDescriptions"]
    if not projects:
        return "NOT_FOUND"
    described = client.describe_project_versions(ProjectArn=projects[0]["ProjectArn"], VersionNames=[version.version])[
        "ProjectVersionDescriptions"
    ]
    matching = [d for d in described if d["ProjectVersionArn"] == version.arn]
    return str(matching[0]["Status"]) if matching else "NOT_FOUND"
