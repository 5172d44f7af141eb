"""CloudFormation for whole stacks over their life: every RunningModel of the example app's template,
its handler function and its role's policy, through create, update, rollback, cleanup and delete.

What CloudFormation does, and so what ``Stack`` does:

- **Create**: the handler's role, policy and function first (the custom resources depend on them),
  then a Create for every custom resource, all at once (they are independent of one another).
- **Update**: the new policy first (the custom resources depend on it); then a Create for each new
  logical id and an Update for each resource whose properties changed, all at once. Once every one
  succeeded, the cleanup phase (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) deletes the resources the new
  template dropped and those an Update replaced (answered with a new PhysicalResourceId), with
  their old properties and ids, under the new policy. A failed Delete there is forgotten: the
  resource has left the stack anyway.
- **A failure** (a FAILED answer, no answer within ServiceTimeout, or another resource of the stack
  failing) cancels every request still in progress: CloudFormation stops waiting for it, though
  the handler may still be working on it. A first deploy then rolls back by deleting every custom
  resource (one whose Create never answered gets a made-up PhysicalResourceId), then the handler
  itself. An update rolls back: the old policy first, then an Update back to the old properties of
  every resource it changed, then a cleanup phase deleting what the failed update created or
  replaced.
- **Delete**: a Delete for every resource, then the handler.

The fake IAM (``fakes.iam.RolePolicy`` of the template) decides every Rekognition call of a stack's
handler, which signs with an access key of its own. Several stacks share one fake Rekognition, one
response endpoint and moto, each with its own StackId, function, poll rule prefix and access key.

``make_cloud`` checks, after every flow, what must hold whatever happened (``Cloud.check``).
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import string
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scheduler import CronSchedule, cron_schedules, scheduled_event, schedules
from virtual_clock import VirtualClock

from running_model.reasons import REASON_LIMIT

from cloudformation_stack import ANSWER_SLACK_SECONDS
from eventbridge import EventBridgeScheduler
from harness import LAMBDA_TIMEOUT_SECONDS, PRODUCTION_TIMING_MINUTES, RESERVE_SECONDS, Deployment
from lambda_runtime import STACK, LambdaService
from support.fakes.aws import (
    REGION,
    client,
    create_function,
    create_ledger,
    handler_environment,
    permission_statements,
    poll_rules,
)
from support.fakes.cloudformation import Answer, ResponseEndpoint, as_sent, event
from support.fakes.iam import RolePolicy
from support.fakes.rekognition import FakeRekognition
from support.paths import ROOT

ACCOUNT = "111122223333"
RESOURCE_TYPE = "Custom::RekognitionRunningModel"
# CloudFormation's own timeout of a custom resource without ServiceTimeout, in schedule minutes.
DEFAULT_TIMEOUT_MINUTES = 60
# After a flow: how long to wait for poll rules to go and invocations to end, in schedule minutes
# (plus a Lambda timeout): a poll still running when the last answer arrives removes its rule
# within a minute or two of the schedule.
SETTLE_MINUTES = 15
_POLL = 0.02

SUCCESS, FAILED = "SUCCESS", "FAILED"
CANCELLED, TIMED_OUT = "CANCELLED", "TIMED OUT"
# Stack statuses a stack comes to rest in.
CREATE_COMPLETE, ROLLBACK_COMPLETE, ROLLBACK_FAILED = "CREATE_COMPLETE", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"
UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE = "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"
UPDATE_ROLLBACK_FAILED = "UPDATE_ROLLBACK_FAILED"
DELETE_COMPLETE, DELETE_FAILED = "DELETE_COMPLETE", "DELETE_FAILED"
NO_STACK = "NO_STACK"  # never created
UPDATABLE = frozenset({CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE})


class StackStateError(RuntimeError):
    """The flow asked CloudFormation for something it refuses in the stack's status."""


# ------------------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class StackTemplate:
    """A synthesized template of the example app, read as CloudFormation reads it."""

    body: dict[str, Any]

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Logical id -> Properties of each Custom::RekognitionRunningModel, as CloudFormation sends
        them (every value a string), without ServiceToken (the handler's ARN, not the model's)."""
        found = {}
        for logical_id, resource in self.body["Resources"].items():
            if resource["Type"] == RESOURCE_TYPE:
                found[logical_id] = {
                    key: _as_sent(key, value)
                    for key, value in resource.get("Properties", {}).items()
                    if key != "ServiceToken"
                }
        return found

    def scheduled_events(self, stack_id: str) -> dict[str, dict[str, Any]]:
        """Logical id of each schedule (drift repair, running windows) -> the event it sends the handler."""
        return {logical_id: scheduled_event(p, stack_id) for logical_id, p in schedules(self.body).items()}

    @cached_property
    def rule_prefix(self) -> str:
        """POLL_RULE_PREFIX of the handler function: the prefix its role's poll rule statements name."""
        (function,) = [r for r in self.body["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        return str(function["Properties"]["Environment"]["Variables"]["POLL_RULE_PREFIX"])

    @cached_property
    def policy(self) -> RolePolicy:
        """The handler role's identity policy, resolved for this account and region."""
        return RolePolicy.from_template(self.body)


def _as_sent(key: str, value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref")):
        raise ValueError(f"property {key} is an intrinsic the harness does not resolve: {value}")
    return as_sent(value)


class Templates:
    """The example app synthesized per list of models (``python app.py`` with the models as CDK
    context), once per test session: a synth takes seconds."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._cache: dict[str, StackTemplate] = {}

    def __call__(self, models: Sequence[Mapping[str, Any]]) -> StackTemplate:
        key = json.dumps(list(models), sort_keys=True)
        if key not in self._cache:
            outdir = self._directory / f"cdk.out.{len(self._cache)}"
            env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps({"models": list(models)})}
            done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"synth of {key} failed:\n{done.stderr[-4000:]}")
            self._cache[key] = StackTemplate(json.loads((outdir / f"{STACK}.template.json").read_text()))
        return self._cache[key]


def construct_id_matches(logical_id: str, construct_id: str) -> bool:
    """Whether ``logical_id`` is the resource of RunningModel ``construct_id`` (CDK appends 8 hex)."""
    return logical_id == construct_id or re.fullmatch(re.escape(construct_id) + "[0-9A-F]{8}", logical_id) is not None


# ------------------------------------------------------------------------------------- requests


@dataclass
class Request:
    """One request CloudFormation sent, and what became of it."""

    stack: str
    phase: str  # create, update, cleanup, rollback, rollback-cleanup, delete
    event: dict[str, Any]
    properties: dict[str, str]
    sent_at: float
    # When CloudFormation stops waiting: ServiceTimeout (plus slack) after sending, plus the time
    # processes took to start meanwhile (Cloud.startup_seconds_since).
    deadline: float
    answer: Answer | None = None
    answered_at: float | None = None
    cancelled: bool = False  # CloudFormation stopped waiting: another resource failed
    timed_out: bool = False  # no answer within ServiceTimeout

    @property
    def request_type(self) -> str:
        return str(self.event["RequestType"])

    @property
    def logical_id(self) -> str:
        return str(self.event["LogicalResourceId"])

    @property
    def request_id(self) -> str:
        return str(self.event["RequestId"])

    @property
    def physical_id(self) -> str | None:
        found = self.event.get("PhysicalResourceId")
        return None if found is None else str(found)

    @property
    def old_properties(self) -> dict[str, str] | None:
        found = self.event.get("OldResourceProperties")
        return None if found is None else dict(found)

    @property
    def pending(self) -> bool:
        return self.answer is None and not self.cancelled and not self.timed_out

    @property
    def outcome(self) -> str:
        """SUCCESS or FAILED as answered, else CANCELLED, TIMED OUT or pending."""
        if self.answer is not None:
            return self.answer.status
        return CANCELLED if self.cancelled else TIMED_OUT if self.timed_out else "pending"

    @property
    def answered_id(self) -> str | None:
        return str(self.answer.body["PhysicalResourceId"]) if self.answer is not None else None

    @property
    def reason(self) -> str:
        return self.answer.reason if self.answer is not None else ""

    def describe(self, origin: float = 0.0) -> str:
        version = self.properties.get("ProjectVersionArn", "?").rsplit(":", 1)[-1]
        line = (
            f"+{self.sent_at - origin:6.2f}s {self.stack} {self.phase:16} {self.request_type:6} {self.logical_id} "
            f"[{version}] id={self.physical_id} -> {self.outcome}"
        )
        if self.answer is not None:
            line += f" id={self.answered_id}"
            if self.reason:
                line += f" ({self.reason})"
        return line


@dataclass(frozen=True)
class FailureElsewhere:
    """Another resource of the stack, which fails ``after`` seconds into its own create or update.

    It depends on the RunningModels named in ``depends_on`` (construct ids), so CloudFormation starts it
    once their requests are answered; with none, it starts with the operation. A dependency says
    what the flow means ("after Beta is done") without a race against the machine's speed.
    """

    after: float
    depends_on: tuple[str, ...] = ()


@dataclass
class Operation:
    """One stack operation (create, update or delete): its requests and the status it ended in."""

    stack: str
    kind: str  # CREATE, UPDATE, DELETE
    started: float
    requests: list[Request] = field(default_factory=list)
    status: str = ""
    failure: str = ""  # why it rolled back (or failed)

    @property
    def succeeded(self) -> bool:
        return self.status in (CREATE_COMPLETE, UPDATE_COMPLETE, DELETE_COMPLETE)

    def of(self, construct_id: str, request_type: str | None = None, phase: str | None = None) -> list[Request]:
        """Requests about RunningModel ``construct_id`` (its logical id), of a type and phase if given."""
        return [
            r
            for r in self.requests
            if construct_id_matches(r.logical_id, construct_id)
            and request_type in (None, r.request_type)
            and phase in (None, r.phase)
        ]

    def request(self, construct_id: str, request_type: str | None = None, phase: str | None = None) -> Request:
        """The one request about ``construct_id`` of that type and phase."""
        found = self.of(construct_id, request_type, phase)
        assert len(found) == 1, f"expected one {request_type or 'request'} of {construct_id} ({phase}):\n{self}"
        return found[0]

    def __repr__(self) -> str:  # what an assertion message shows: every request and its answer
        lines = [f"{self.kind} of {self.stack}: {self.status}" + (f" ({self.failure})" if self.failure else "")]
        lines += ["  " + r.describe(self.started) for r in self.requests]
        return "\n".join(lines)


@dataclass(frozen=True)
class Resource:
    """A custom resource as the stack holds it: its PhysicalResourceId and the properties it has."""

    logical_id: str
    physical_id: str
    properties: dict[str, str]


# ------------------------------------------------------------------------------------- handlers


def _deny_everything(action: str, resource: str, context: Mapping[str, Any]) -> bool:
    return False


@dataclass
class Handler:
    """One stack's handler: its function (in moto, and run by ``lambda_service``), its poll rules
    (prefix), EventBridge firing them, and the access key its role's credentials sign with."""

    name: str
    arn: str
    rule_prefix: str
    access_key_id: str
    lambda_service: LambdaService
    eventbridge: EventBridgeScheduler

    @property
    def deleted(self) -> bool:
        return self.lambda_service.deleted

    @property
    def principal(self) -> str:
        """Who the handler is to IAM (named in AccessDeniedException messages)."""
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.name}-role/{self.name}"


@dataclass(frozen=True)
class Firing:
    """A schedule that fired while time passed: when (local to its time zone), and what the handler logged."""

    at: datetime
    stack: str
    logical_id: str
    output: str

    def __repr__(self) -> str:
        return f"{self.at:%a %d %b %H:%M %Z} {self.stack} {self.logical_id}"


# ------------------------------------------------------------------------------------- the cloud


@dataclass
class Cloud:
    """AWS as several stacks share it: one fake Rekognition, one response endpoint, one moto."""

    rekognition: FakeRekognition
    rekognition_endpoint: str
    responses: ResponseEndpoint
    deployment: Deployment
    templates: Templates
    seconds_per_minute: float
    clock: VirtualClock
    # On the virtual clock (start_at), ServiceTimeout reaches the handler as declared (see start_at).
    virtual_time: bool = False
    stacks: list[Stack] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def aws_endpoint(self) -> str:
        return self.deployment.aws_endpoint

    def stack(self, name: str) -> Stack:
        """A stack of this name, not created yet."""
        assert all(s.name != name for s in self.stacks), f"stack {name} exists already: use it"
        stack = Stack(self, name)
        self.stacks.append(stack)
        return stack

    def startup_seconds_since(self, moment: float) -> float:
        """The time every handler's invocations since ``moment`` took to start their processes:
        left out of every timeout here (see LambdaService.startup_seconds_since)."""
        return sum(h.lambda_service.startup_seconds_since(moment) for h in self.handlers)

    def minutes(self, minutes: float) -> float:
        """Seconds of wall time that ``minutes`` of the schedule last."""
        return minutes * self.seconds_per_minute

    def watch(self, arns: Sequence[str], minutes: float) -> dict[str, list[str]]:
        """Each model's statuses over ``minutes`` of the schedule, in order, repeats collapsed."""
        seen: dict[str, list[str]] = {arn: [] for arn in arns}
        limit = time.monotonic() + self.minutes(minutes)
        while True:
            for arn in arns:
                status = str(self.rekognition.status(arn))
                if not seen[arn] or seen[arn][-1] != status:
                    seen[arn].append(status)
            if time.monotonic() >= limit:
                return seen
            time.sleep(0.05)

    def start_handler(self, stack: Stack, template: StackTemplate) -> Handler:
        """Create a stack's function in moto and run it: as make_world does, on the compressed clock."""
        name = f"{stack.name[:30]}-Handler-{uuid.uuid4().hex[:12].upper()}"
        arn = create_function(self.aws_endpoint, name)
        rule_prefix = f"{template.rule_prefix}{uuid.uuid4().hex[:4]}-"
        access_key_id = "ASIA" + secrets.token_hex(8).upper()
        environment = {
            **handler_environment(self.rekognition_endpoint, self.aws_endpoint, access_key_id=access_key_id),
            "SSL_CERT_FILE": str(self.responses.ca_file),
            "POLL_RULE_PREFIX": rule_prefix,
            "LEDGER_TABLE": create_ledger(self.aws_endpoint, f"{name}-Ledger"),
            "RUNNING_MODEL_RESERVE_SECONDS": str(RESERVE_SECONDS),
            **{k: str(v * self.seconds_per_minute) for k, v in PRODUCTION_TIMING_MINUTES.items()},
        }
        lambda_service = LambdaService(
            function=self.deployment.function,
            name=name,
            site=self.deployment.site,
            environment=environment,
            timeout_seconds=LAMBDA_TIMEOUT_SECONDS,
            clock_file=self.clock.path,
            clock_site=self.deployment.clock_site,
        )
        eventbridge = EventBridgeScheduler(self.aws_endpoint, rule_prefix, lambda_service, self.seconds_per_minute)
        eventbridge.start()
        handler = Handler(name, arn, rule_prefix, access_key_id, lambda_service, eventbridge)
        self.handlers.append(handler)
        return handler

    def start_at(self, moment: datetime) -> None:
        """Begin a flow on the virtual clock at ``moment``, before anything else (see VirtualClock).

        The handler's deadline (ServiceTimeout less a margin) then counts on that clock, which
        pass_time moves on by hours: ServiceTimeout reaches the handler as declared, not compressed,
        while CloudFormation still waits for the answer on the compressed clock."""
        self.clock.start_at(moment)
        self.virtual_time = True

    def pass_time(self, until: datetime, event_key: str = "RunningModelWindow") -> list[Firing]:
        """Move the clock to ``until``, EventBridge Scheduler firing on the way every cron schedule of
        the live stacks whose event is ``event_key``: at each moment in order the clock stops, the
        handler is invoked with the schedule's event, and the invocation ends before time goes on."""
        start = self.clock.now()
        due: list[tuple[datetime, Stack, CronSchedule]] = []
        for stack in self.stacks:
            if stack.handler is None or stack.handler.deleted or stack.template is None:
                continue
            for schedule in cron_schedules(stack.template.body, stack.stack_id):
                if event_key in schedule.event:
                    due += [(moment, stack, schedule) for moment in schedule.firings(start, until)]
        fired = []
        for moment, stack, schedule in sorted(due, key=lambda entry: entry[0]):
            assert stack.handler is not None
            self.clock.move_to(moment)
            invocation = stack.handler.lambda_service.invoke_async(schedule.event)
            assert invocation.done.wait(LAMBDA_TIMEOUT_SECONDS * 10), f"{schedule.logical_id} at {moment} never ended"
            fired.append(
                Firing(moment.astimezone(schedule.time_zone), stack.name, schedule.logical_id, invocation.output)
            )
        self.clock.move_to(until)
        return fired

    def install_policy(self, handler: Handler, template: StackTemplate) -> None:
        """The handler's role now has the template's policy."""
        self.rekognition.set_authorizer(
            template.policy.allows, access_key_id=handler.access_key_id, principal=handler.principal
        )

    def delete_handler(self, handler: Handler) -> None:
        """CloudFormation deletes the function, its role and their policies: EventBridge firings of its
        rules are dropped from now on, and calls still signed with its credentials are refused."""
        handler.lambda_service.delete()
        client("lambda", self.aws_endpoint).delete_function(FunctionName=handler.name)
        self.rekognition.set_authorizer(
            _deny_everything, access_key_id=handler.access_key_id, principal=handler.principal
        )

    # After a flow.

    def settle(self) -> list[str]:
        """Wait until no poll rule is left and no invocation runs; return the names of rules left.

        Rules of a deleted handler with no invocation running can never go: stop waiting then.
        """
        began = time.monotonic()
        while True:
            limit = began + LAMBDA_TIMEOUT_SECONDS + self.minutes(SETTLE_MINUTES) + self.startup_seconds_since(began)
            left = {h.name: [r["Name"] for r in poll_rules(self.aws_endpoint, h.rule_prefix)] for h in self.handlers}
            running = sum(h.lambda_service.running() for h in self.handlers)
            stuck = all(h.deleted for h in self.handlers if left[h.name])
            if not running and (stuck or time.monotonic() >= limit):
                return [
                    f"{rule} (handler {'deleted' if h.deleted else 'live'})"
                    for h in self.handlers
                    for rule in left[h.name]
                ]
            if time.monotonic() >= limit + LAMBDA_TIMEOUT_SECONDS:
                return [f"{rule} (invocations still running)" for rules in left.values() for rule in rules]
            time.sleep(0.1)

    def check(self) -> None:
        """What must hold after every flow, whatever happened in it."""
        problems = self.problems(self.settle())
        assert not problems, "after the flow:\n- " + "\n- ".join(problems)

    def problems(self, rules: list[str]) -> list[str]:
        """What is wrong now, given the poll rules left (see ``check``)."""
        problems: list[str] = []
        if rules:
            problems.append(f"poll rules left behind: {rules}")
        for stack in self.stacks:
            if stack.status not in (*UPDATABLE, ROLLBACK_COMPLETE, DELETE_COMPLETE, NO_STACK):
                problems.append(f"stack {stack.name} ended {stack.status}")
        wanted = {arn for stack in self.stacks for arn in stack.wanted_running()}
        for arn in sorted(wanted):
            if self.rekognition.status(arn) != "RUNNING":
                problems.append(f"{arn}, which a live stack declares, is {self.rekognition.status(arn)}")
        unwanted = set(self.rekognition.running_models()) - wanted
        if unwanted:
            problems.append(f"models billed (STARTING or RUNNING) that no live stack declares: {sorted(unwanted)}")
        for request in self.requests:
            answers = self.responses.answers_to(request.request_id)
            what = f"{request.stack} {request.phase} {request.request_type} of {request.logical_id}"
            if len(answers) != 1:
                problems.append(f"{what} was answered {len(answers)} times")
            for answer in answers:
                if len(answer.reason) > REASON_LIMIT:
                    problems.append(f"{what}: a Reason of {len(answer.reason)} characters")
                if answer.status != SUCCESS and not answer.reason:
                    problems.append(f"{what}: {answer.status} without a reason")
        logs = "\n".join(h.lambda_service.logs() for h in self.handlers)
        if "X-Amz-Signature" in logs or any(s in logs for s in self.responses.signatures):
            problems.append("a log line holds a response URL's signature")
        for handler in self.handlers:
            if not handler.deleted:
                statements = permission_statements(self.aws_endpoint, handler.name)
                if statements:
                    problems.append(f"{handler.name} has statements in its function policy: {statements}")
        return problems

    def report(self) -> str:
        """Every request and answer, then each handler's invocations (shown when a flow fails)."""
        origin = self.requests[0].sent_at if self.requests else 0.0
        lines = ["=== CloudFormation (seconds since the first request) ==="]
        lines += [request.describe(origin) for request in self.requests]
        for handler in self.handlers:
            state = f"deleted, {handler.lambda_service.dropped} firing(s) dropped" if handler.deleted else "live"
            lines.append(f"=== {handler.name} (rules {handler.rule_prefix}*, {state}) ===")
            lines.append(handler.lambda_service.transcript())
        return "\n".join(lines)

    def shutdown(self) -> None:
        for handler in self.handlers:
            handler.eventbridge.stop()
        for handler in self.handlers:
            handler.lambda_service.wait_idle()


# ------------------------------------------------------------------------------------- stacks


class Stack:
    """One CloudFormation stack of the example app, from its first deploy to its deletion."""

    def __init__(self, cloud: Cloud, name: str) -> None:
        self.cloud = cloud
        self.name = name
        self.status = NO_STACK
        self.stack_id = ""
        self.handler: Handler | None = None
        self.template: StackTemplate | None = None
        self.resources: dict[str, Resource] = {}
        self.operations: list[Operation] = []

    def wanted_running(self) -> set[str]:
        """The model versions of the resources the stack holds that want them RUNNING now: all
        without running windows, and those inside one of their windows on the cloud's clock."""
        return {
            resource.properties["ProjectVersionArn"]
            for resource in self.resources.values()
            if "Schedule" not in resource.properties
            or _inside_window(resource.properties["Schedule"], self.cloud.clock.now())
        }

    # What the user does.

    def deploy(
        self,
        models: Sequence[Mapping[str, Any]],
        *,
        fail_elsewhere: FailureElsewhere | None = None,
        before_cleanup: Callable[[], None] | None = None,
    ) -> Operation:
        """``cdk deploy`` of the example app with these models: a create, or an update of the stack.

        ``fail_elsewhere``: another resource of the stack fails, which cancels what is still in
        progress and rolls back.
        ``before_cleanup``: called after a successful update, before its cleanup phase.
        """
        template = self.cloud.templates(models)
        if self.status in (NO_STACK, DELETE_COMPLETE):
            return self._create(template, fail_elsewhere)
        if self.status not in UPDATABLE:
            raise StackStateError(f"stack {self.name} is {self.status}: it cannot be updated (delete it first)")
        return self._update(template, fail_elsewhere, before_cleanup)

    def fire_schedules(self, event_key: str = "RunningModelRepair") -> int:
        """Every schedule of the stack whose event is ``event_key`` fires once, now (EventBridge
        Scheduler invokes the handler with its Input); returns once the invocations have ended.
        Returns how many fired."""
        assert self.handler is not None and self.template is not None
        events = {
            logical_id: body
            for logical_id, body in self.template.scheduled_events(self.stack_id).items()
            if event_key in body
        }
        # A deploy completes with its answer, while the answering invocation still ends (it gives back
        # its resource's lease last): a schedule fires minutes later, never within that moment.
        self.handler.lambda_service.wait_idle()
        for repair_event in events.values():
            self.handler.lambda_service.invoke_async(repair_event)
        self.handler.lambda_service.wait_idle()
        return len(events)

    def destroy(self) -> Operation:
        """``cdk destroy``: a Delete for every resource, then the handler. A failed Delete leaves the
        stack DELETE_FAILED, holding that resource (and so the handler, which it depends on)."""
        operation = self._operation("DELETE")
        if self.handler is None or self.handler.deleted:  # ROLLBACK_COMPLETE: nothing left but the record
            operation.status = self.status = DELETE_COMPLETE
            return operation
        deletes = self._send_all(
            operation,
            "delete",
            [("Delete", r.logical_id, r.physical_id, r.properties, None) for r in self.resources.values()],
        )
        self._await_all(deletes)
        self.resources = {r.logical_id: self.resources[r.logical_id] for r in deletes if r.outcome != SUCCESS}
        if self.resources:
            operation.failure = "a Delete failed"
            operation.status = self.status = DELETE_FAILED
            return operation
        self.cloud.delete_handler(self.handler)
        operation.status = self.status = DELETE_COMPLETE
        return operation

    # Create.

    def _create(self, template: StackTemplate, fail_elsewhere: FailureElsewhere | None) -> Operation:
        self.stack_id = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.name}/{uuid.uuid4()}"
        self.resources = {}
        self.template = template
        self.handler = self.cloud.start_handler(self, template)
        self.cloud.install_policy(self.handler, template)
        operation = self._operation("CREATE")
        creates = self._send_all(
            operation,
            "create",
            [("Create", logical_id, None, self._timed(p), None) for logical_id, p in template.resources.items()],
        )
        failure = self._await_changes(operation, creates, fail_elsewhere)
        if failure is None:
            self.resources = {r.logical_id: Resource(r.logical_id, str(r.answered_id), r.properties) for r in creates}
            operation.status = self.status = CREATE_COMPLETE
            return operation
        operation.failure = failure
        # ROLLBACK_IN_PROGRESS: every resource is deleted, then the handler it needed.
        deletes = self._send_all(
            operation,
            "rollback",
            [("Delete", r.logical_id, self._id_for_rollback(r), r.properties, None) for r in creates],
        )
        self._await_all(deletes)
        failed = [r for r in deletes if r.outcome != SUCCESS]
        if failed:
            self.resources = {r.logical_id: Resource(r.logical_id, str(r.physical_id), r.properties) for r in failed}
            operation.status = self.status = ROLLBACK_FAILED
            return operation
        self.cloud.delete_handler(self.handler)
        operation.status = self.status = ROLLBACK_COMPLETE
        return operation

    # Update.

    def _update(
        self,
        template: StackTemplate,
        fail_elsewhere: FailureElsewhere | None,
        before_cleanup: Callable[[], None] | None,
    ) -> Operation:
        assert self.handler is not None and self.template is not None
        old_template, old = self.template, dict(self.resources)
        operation = self._operation("UPDATE")
        self.cloud.install_policy(self.handler, template)  # the custom resources depend on the policy
        wanted = {logical_id: self._timed(p) for logical_id, p in template.resources.items()}
        changes: list[tuple[str, str, str | None, dict[str, str], dict[str, str] | None]] = []
        for logical_id, properties in wanted.items():
            if logical_id not in old:
                changes.append(("Create", logical_id, None, properties, None))
            elif properties != old[logical_id].properties:
                resource = old[logical_id]
                changes.append(("Update", logical_id, resource.physical_id, properties, resource.properties))
        sent = self._send_all(operation, "update", changes)
        failure = self._await_changes(operation, sent, fail_elsewhere)
        if failure is None:
            self.template = template
            self.resources = {lid: old[lid] for lid in wanted if lid in old}
            self.resources.update(
                {r.logical_id: Resource(r.logical_id, str(r.answered_id), r.properties) for r in sent}
            )
            if before_cleanup is not None:
                before_cleanup()
            # UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: what left the stack, and what was replaced.
            removed = [old[lid] for lid in old if lid not in wanted]
            replaced = [
                old[r.logical_id] for r in sent if r.request_type == "Update" and r.answered_id != r.physical_id
            ]
            self._cleanup(
                operation, "cleanup", [(r.logical_id, r.physical_id, r.properties) for r in removed + replaced]
            )
            operation.status = self.status = UPDATE_COMPLETE
            return operation
        operation.failure = failure
        # UPDATE_ROLLBACK_IN_PROGRESS: the old policy first, then every change undone.
        self.cloud.install_policy(self.handler, old_template)
        updates = [r for r in sent if r.request_type == "Update"]
        rollbacks = self._send_all(
            operation,
            "rollback",
            [
                ("Update", r.logical_id, self._current_id(r), old[r.logical_id].properties, r.properties)
                for r in updates
            ],
        )
        self._await_all(rollbacks)
        self.template = old_template
        self.resources = dict(old)
        for rollback in rollbacks:
            if rollback.outcome == SUCCESS:
                resource = old[rollback.logical_id]
                self.resources[rollback.logical_id] = Resource(
                    resource.logical_id, str(rollback.answered_id), resource.properties
                )
        if any(r.outcome != SUCCESS for r in rollbacks):
            operation.status = self.status = UPDATE_ROLLBACK_FAILED
            return operation
        # UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: what the failed update created or replaced.
        created = [(r.logical_id, self._id_for_rollback(r), r.properties) for r in sent if r.request_type == "Create"]
        replacements = [
            (update.logical_id, str(rollback.physical_id), update.properties)
            for update, rollback in zip(updates, rollbacks, strict=True)
            if rollback.answered_id != rollback.physical_id
        ]
        self._cleanup(operation, "rollback-cleanup", created + replacements)
        operation.status = self.status = UPDATE_ROLLBACK_COMPLETE
        return operation

    def _cleanup(self, operation: Operation, phase: str, doomed: list[tuple[str, str, dict[str, str]]]) -> None:
        """Delete resources that have left the stack; a failed Delete is recorded, and forgotten."""
        deletes = self._send_all(operation, phase, [("Delete", lid, pid, p, None) for lid, pid, p in doomed])
        self._await_all(deletes)

    # Requests.

    def _operation(self, kind: str) -> Operation:
        operation = Operation(self.name, kind, time.monotonic())
        self.operations.append(operation)
        return operation

    def _timed(self, properties: dict[str, str]) -> dict[str, str]:
        """The properties with ServiceTimeout (seconds) on the compressed clock, as the handler must see it."""
        if "ServiceTimeout" not in properties or self.cloud.virtual_time:
            return dict(properties)
        minutes = int(properties["ServiceTimeout"]) / 60
        return {**properties, "ServiceTimeout": str(max(1, round(self.cloud.minutes(minutes))))}

    def _waits_for(self, properties: dict[str, str]) -> float:
        """How long CloudFormation waits for an answer: ServiceTimeout, on the compressed clock also
        when the handler sees it as declared (on the virtual clock)."""
        declared = properties.get("ServiceTimeout")
        if declared is None:
            return self.cloud.minutes(DEFAULT_TIMEOUT_MINUTES)
        return self.cloud.minutes(int(declared) / 60) if self.cloud.virtual_time else float(declared)

    def _send_all(
        self,
        operation: Operation,
        phase: str,
        requests: Sequence[tuple[str, str, str | None, dict[str, str], dict[str, str] | None]],
    ) -> list[Request]:
        """Send these requests at once, as CloudFormation does for independent resources."""
        return [self._send(operation, phase, *request) for request in requests]

    def _send(
        self,
        operation: Operation,
        phase: str,
        request_type: str,
        logical_id: str,
        physical_id: str | None,
        properties: dict[str, str],
        old_properties: dict[str, str] | None,
    ) -> Request:
        assert self.handler is not None
        body = event(
            request_type,
            self.cloud.responses,
            properties,
            logical_id=logical_id,
            physical_id=physical_id,
            old_properties=old_properties,
        )
        body["StackId"] = self.stack_id
        for holder in (body, body["ResourceProperties"], body.get("OldResourceProperties", {})):
            holder["ServiceToken"] = self.handler.arn
        timeout = self._waits_for(properties)
        now = time.monotonic()
        request = Request(self.name, phase, body, properties, now, now + timeout + ANSWER_SLACK_SECONDS)
        operation.requests.append(request)
        self.cloud.requests.append(request)
        self.handler.lambda_service.invoke_async(body)
        return request

    def _collect(self, requests: Sequence[Request]) -> None:
        """Take the answers that have come; give up on requests past their ServiceTimeout."""
        now = time.monotonic()
        for request in requests:
            if request.pending:
                answers = self.cloud.responses.answers_to(request.request_id)
                if answers:
                    request.answer, request.answered_at = answers[0], now
                elif now >= request.deadline + self.cloud.startup_seconds_since(request.sent_at):
                    request.timed_out = True

    def _await_all(self, requests: Sequence[Request]) -> None:
        """Wait for every request's answer, or its timeout."""
        while True:
            self._collect(requests)
            if not any(r.pending for r in requests):
                return
            time.sleep(_POLL)

    def _await_changes(
        self, operation: Operation, requests: Sequence[Request], fail_elsewhere: FailureElsewhere | None
    ) -> str | None:
        """Wait for the Creates and Updates of an operation; None when all succeeded.

        The first failure (a FAILED answer, a timeout, another resource failing) cancels every
        request still in progress, and is returned.
        """
        while True:
            self._collect(requests)
            failed = [r for r in requests if r.outcome in (FAILED, TIMED_OUT)]
            fail_at = self._failure_elsewhere_at(operation, requests, fail_elsewhere)
            failure = None
            if failed:
                failure = "; ".join(f"{r.logical_id}: {r.outcome} {r.reason}".rstrip() for r in failed)
            elif fail_at is not None and time.monotonic() >= fail_at:
                failure = "another resource of the stack failed"
            elif fail_elsewhere is None and not any(r.pending for r in requests):
                return None
            if failure is not None:
                for request in requests:
                    if request.pending:
                        request.cancelled = True
                return failure
            time.sleep(_POLL)

    @staticmethod
    def _failure_elsewhere_at(
        operation: Operation, requests: Sequence[Request], fail_elsewhere: FailureElsewhere | None
    ) -> float | None:
        """When the other resource fails; None while it has not started (or there is none)."""
        if fail_elsewhere is None:
            return None
        needed = [r for r in requests if any(construct_id_matches(r.logical_id, c) for c in fail_elsewhere.depends_on)]
        if len(needed) != len(fail_elsewhere.depends_on):
            raise ValueError(f"fail_elsewhere depends on {fail_elsewhere.depends_on}: not all in this operation")
        answered = [r.answered_at for r in needed]
        if None in answered:
            return None
        return max([operation.started, *(t for t in answered if t is not None)]) + fail_elsewhere.after

    def _id_for_rollback(self, create: Request) -> str:
        """The PhysicalResourceId of a Delete undoing ``create``: the id its answer gave, FAILED or
        not; CloudFormation makes one up for a Create that never answered."""
        if create.answered_id is not None:
            return create.answered_id
        suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
        return f"{self.name}-{create.logical_id}-{suffix}"

    @staticmethod
    def _current_id(update: Request) -> str:
        """The resource's id once ``update`` is over: the new one if it succeeded, else the one before."""
        if update.outcome == SUCCESS and update.answered_id is not None:
            return update.answered_id
        return str(update.physical_id)


def _inside_window(schedule: Mapping[str, Any], now: datetime) -> bool:
    """Whether ``now`` falls in one of the Schedule property's windows (local days and times)."""
    local = now.astimezone(ZoneInfo(schedule["TimeZone"]))
    day, time_of_day = local.strftime("%a").upper(), local.strftime("%H:%M")
    return any(
        day in window["Days"].split(",") and window["Start"] <= time_of_day < window["End"]
        for window in schedule["Windows"]
    )


# ------------------------------------------------------------------------------------- fixture


def make_cloud(
    deployment: Deployment,
    templates: Templates,
    tmp_path: Path,
    seconds_per_minute: float,
    flow_failed: Callable[[], bool] = lambda: False,
) -> Iterator[Cloud]:
    """A cloud for one flow; after it, ``Cloud.check`` and a print of ``Cloud.report``.

    A flow that failed its own assertions has said what went wrong: what ``check`` would find is
    then printed with the report (without waiting for the cloud to settle), not asserted again.
    """
    clock = VirtualClock(tmp_path / "clock")
    rekognition = FakeRekognition(clock=clock.time)
    with rekognition.serve() as rekognition_endpoint, ResponseEndpoint(tmp_path).serve() as responses:
        cloud = Cloud(rekognition, rekognition_endpoint, responses, deployment, templates, seconds_per_minute, clock)
        try:
            yield cloud
            if not flow_failed():
                cloud.check()
            else:
                rules = [r["Name"] for h in cloud.handlers for r in poll_rules(cloud.aws_endpoint, h.rule_prefix)]
                problems = cloud.problems(rules)
                if problems:
                    print("=== Also wrong, as the flow ended ===", *problems, sep="\n- ")
        finally:
            cloud.shutdown()
            print(cloud.report())  # pytest shows it when the flow fails
