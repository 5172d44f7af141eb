"""CloudFormation, for one Custom::RekognitionRunningModel resource: the requests it sends on
deploy, update, rollback and destroy, and how long it waits for each answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from running_model.model_version import ModelVersion

from lambda_runtime import LambdaService
from support.fakes.cloudformation import Answer, ResponseEndpoint, event

# How late an answer may arrive and still count, besides the time spent starting processes (see
# LambdaService.startup_seconds_since): in AWS that time is about a second, here it is minutes of
# the compressed schedule on a busy machine, and it is not what these tests are about.
ANSWER_SLACK_SECONDS = 5.0


class StackHangError(AssertionError):
    """CloudFormation got no answer within the resource's timeout."""


@dataclass
class CloudFormationStack:
    lambda_service: LambdaService
    responses: ResponseEndpoint
    seconds_per_minute: float
    logical_id: str = "Detector"
    physical_id: str | None = None
    properties: dict[str, Any] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered_twice: set[str] = field(default_factory=set)

    # One request.

    def send(
        self,
        request_type: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        deliver_twice: bool = False,
    ) -> Answer:
        """Send a request as CloudFormation does and wait for its answer, at most its ServiceTimeout."""
        request = event(
            request_type,
            self.responses,
            properties,
            logical_id=self.logical_id,
            physical_id=physical_id,
            old_properties=old_properties,
        )
        self.requests.append(request)
        self.lambda_service.invoke_async(request)
        if deliver_twice:
            self.delivered_twice.add(request["RequestId"])
            self.lambda_service.invoke_async(request)
        sent = time.monotonic()
        timeout = float(properties.get("ServiceTimeout", 60 * self.seconds_per_minute)) + ANSWER_SLACK_SECONDS
        while time.monotonic() < sent + timeout + self.lambda_service.startup_seconds_since(sent):
            answers = self.responses.answers_to(request["RequestId"])
            if answers:
                return answers[0]
            time.sleep(0.02)
        raise StackHangError(f"{request_type} got no answer within its ServiceTimeout")

    # What a stack operation sends.

    def deploy(self, *, before_cleanup: Callable[[], None] | None = None, **properties: Any) -> Answer:
        """Create the resource, or update it; roll back on failure, clean up a replaced one.

        ``before_cleanup`` runs after a successful update, before the cleanup phase.
        """
        properties = self._with_timeout(properties)
        if self.physical_id is None:
            answer = self.send("Create", properties)
            if answer.status == "SUCCESS":
                self.physical_id, self.properties = answer.body["PhysicalResourceId"], properties
            else:  # rollback: the failed resource is deleted
                self.send("Delete", properties, physical_id=answer.body["PhysicalResourceId"])
            return answer
        old_physical_id, old_properties = self.physical_id, self.properties or {}
        answer = self.send("Update", properties, physical_id=old_physical_id, old_properties=old_properties)
        if answer.status == "SUCCESS":
            if before_cleanup:
                before_cleanup()
            self._commit(answer, properties, replaced=(old_physical_id, old_properties))
        else:  # rollback: back to the old properties, on the old physical id
            self.send("Update", old_properties, physical_id=old_physical_id, old_properties=properties)
        return answer

    def deploy_then_fail_elsewhere(self, **properties: Any) -> tuple[Answer, Answer]:
        """Update this resource, then let another resource of the stack fail: CloudFormation rolls
        this one back to its old properties and deletes what the update replaced it with."""
        assert self.physical_id is not None and self.properties is not None
        properties = self._with_timeout(properties)
        old_physical_id, old_properties = self.physical_id, self.properties
        update = self.send("Update", properties, physical_id=old_physical_id, old_properties=old_properties)
        assert update.status == "SUCCESS", update.reason
        new_physical_id = update.body["PhysicalResourceId"]
        rollback = self.send("Update", old_properties, physical_id=new_physical_id, old_properties=properties)
        if rollback.status == "SUCCESS":
            self._commit(rollback, old_properties, replaced=(new_physical_id, properties))
        return update, rollback

    def destroy(self) -> Answer:
        """Delete the resource; after a failed Delete it stays in the stack (DELETE_FAILED)."""
        assert self.physical_id is not None and self.properties is not None
        answer = self.send("Delete", self.properties, physical_id=self.physical_id)
        if answer.status == "SUCCESS":
            self.physical_id, self.properties = None, None
        return answer

    def wanted_running(self) -> set[str]:
        """The model version the stack wants running, if any."""
        return {self.physical_id} if self.physical_id and ModelVersion.from_arn(self.physical_id) else set()

    def _commit(self, answer: Answer, properties: dict[str, Any], *, replaced: tuple[str, dict[str, Any]]) -> None:
        self.physical_id, self.properties = answer.body["PhysicalResourceId"], properties
        if answer.body["PhysicalResourceId"] != replaced[0]:  # cleanup phase: delete the replaced resource
            self.send("Delete", replaced[1], physical_id=replaced[0])

    def _with_timeout(self, properties: dict[str, Any]) -> dict[str, Any]:
        """ServiceTimeout as CDK writes it (60 minutes by default), on the compressed clock."""
        minutes = properties.pop("timeout_minutes", 60)
        return {**properties, "ServiceTimeout": max(1, round(minutes * self.seconds_per_minute))}
