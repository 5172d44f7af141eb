"""A stateful stand-in for the Amazon Rekognition Custom Labels API, served on 127.0.0.1.

The handler under test talks to Rekognition with a real boto3 client. Pointing that client at
this fake (``endpoint_url=`` or the standard ``AWS_ENDPOINT_URL_REKOGNITION`` variable) lets the
end-to-end tests run offline while still exercising botocore's serialisation, error parsing and
retry logic.

Only the operations the handler uses are implemented: ``DescribeProjects``,
``DescribeProjectVersions``, ``StartProjectVersion``, ``StopProjectVersion`` and the tagging
operations ``TagResource``, ``UntagResource`` and ``ListTagsForResource``. The wire format
is awsJson1_1: ``POST /`` with ``X-Amz-Target: RekognitionService.<Operation>`` and a JSON body;
errors are ``{"__type": code, "Message": text}`` with an HTTP 4xx/5xx status. Signatures are not
checked, and projects are not partitioned by account or region.

Model versions move through the API's statuses on timers measured with an injectable clock.
Timed transitions are applied lazily, whenever state is read, so a test that owns the clock
decides exactly when a model finishes starting or stopping. Faults, throttling bursts and
token-bucket rate limits can be injected per operation, and every request is recorded.

An authorizer (``set_authorizer``, typically ``fakes.iam.RolePolicy(...).allows``) stands in for
IAM: each call is first put to it as an action, a resource and a condition context, and answered
with AccessDeniedException when it refuses.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"

TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS"
TRAINING_COMPLETED = "TRAINING_COMPLETED"
TRAINING_FAILED = "TRAINING_FAILED"
STARTING = "STARTING"
RUNNING = "RUNNING"
FAILED = "FAILED"
STOPPING = "STOPPING"
STOPPED = "STOPPED"
DELETING = "DELETING"
COPYING_IN_PROGRESS = "COPYING_IN_PROGRESS"
COPYING_COMPLETED = "COPYING_COMPLETED"
COPYING_FAILED = "COPYING_FAILED"
DEPRECATED = "DEPRECATED"
EXPIRED = "EXPIRED"

ALL_STATUSES = frozenset(
    {
        TRAINING_IN_PROGRESS,
        TRAINING_COMPLETED,
        TRAINING_FAILED,
        STARTING,
        RUNNING,
        FAILED,
        STOPPING,
        STOPPED,
        DELETING,
        COPYING_IN_PROGRESS,
        COPYING_COMPLETED,
        COPYING_FAILED,
        DEPRECATED,
        EXPIRED,
    }
)
STARTABLE = frozenset({TRAINING_COMPLETED, COPYING_COMPLETED, STOPPED, FAILED})
BUSY = frozenset({STARTING, RUNNING, STOPPING})
BILLABLE = frozenset({STARTING, RUNNING})

DEFAULT_MESSAGES = {
    TRAINING_IN_PROGRESS: "The model is being trained.",
    TRAINING_COMPLETED: "The model is ready to run.",
    STARTING: "The model is being started.",
    RUNNING: "The model is running.",
    STOPPING: "The model is being stopped.",
    STOPPED: "The model is ready to run.",
    COPYING_IN_PROGRESS: "The model is being copied.",
    COPYING_COMPLETED: "The model is ready to run.",
}

# The patterns of the ProjectVersionArn and ProjectArn shapes of the service model.
VERSION_ARN = re.compile(
    r"^arn:[a-z\d-]+:rekognition:([a-z\d-]+):(\d{12}):project/([a-zA-Z0-9_.\-]{1,255})"
    r"/version/([a-zA-Z0-9_.\-]{1,255})/([0-9]+)$"
)
PROJECT_ARN = re.compile(r"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project/([a-zA-Z0-9_.\-]{1,255})/[0-9]+$")
# The signing key in an Authorization header: "AWS4-HMAC-SHA256 Credential=<key id>/<date>/...".
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
NAME = re.compile(r"^[a-zA-Z0-9_.\-]{1,255}$")
# The tag key and value patterns of the service model, with \p{L}\p{N} as \w and \p{Z} as whitespace
# other than control characters.
_TAG_CHARACTER = r"(?:[\w.:/=+\-@]|[^\S\t\n\r\f\v])"
TAG_KEY = re.compile(rf"(?!aws:){_TAG_CHARACTER}*")  # to fullmatch
TAG_VALUE = re.compile(rf"{_TAG_CHARACTER}*")
MAX_TAGS_PER_RESOURCE = 50
MAX_TAGS_PER_REQUEST = 200  # Tags of TagResource, TagKeys of UntagResource

DEFAULT_PRINCIPAL = "arn:aws:sts::111122223333:assumed-role/handler/session"

Authorizer = Callable[[str, str, Mapping[str, Any]], bool]

# Latest plausible ARN timestamp (2100-01-01, in milliseconds); anything else is not a date.
_MAX_ARN_MILLIS = 4_102_444_800_000


@dataclass(frozen=True)
class Call:
    """One request received by the fake, successful or not."""

    operation: str
    params: dict[str, Any]
    error: str | None
    at: float


class ApiError(Exception):
    """An error the fake answers with: ``{"__type": code, "Message": message}``."""

    def __init__(self, code: str, message: str, http_status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status if http_status is not None else default_http_status(code)


def default_http_status(code: str) -> int:
    """The HTTP status AWS uses for an error code: 500 and 503 for server faults, else 400."""
    if code == "InternalServerError":
        return 500
    if code == "ServiceUnavailableException":
        return 503
    return 400


@dataclass
class _Project:
    name: str
    arn: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class _Model:
    arn: str
    project_arn: str
    version_name: str
    created: float
    status: str
    status_message: str
    entered_at: float
    start_seconds: float
    stop_seconds: float
    train_seconds: float
    copy_seconds: float
    min_units: int | None = None
    max_units: int | None = None
    f1_score: float | None = None
    describes_max_units: bool = True
    stops_while_starting: bool = False
    failing_starts: list[str] = field(default_factory=list)
    pending_failure: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class _Latency:
    operation: str
    seconds: float
    remaining: int


@dataclass
class _Fault:
    operation: str
    code: str
    remaining: int
    message: str
    http_status: int | None


@dataclass
class _Bucket:
    """A token bucket holding up to ``max(1, rate)`` tokens, refilled at ``rate`` per second."""

    rate: float
    tokens: float
    updated: float

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate)

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class FakeRekognition:
    """In-memory Rekognition Custom Labels projects and model versions, with fault injection."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # Reentrant: the authorizer is called with the lock held and may read the fake (tags(), say).
        self._lock = threading.RLock()
        self._projects: dict[str, _Project] = {}  # by name
        self._models: dict[str, _Model] = {}  # by version ARN
        self._faults: list[_Fault] = []
        self._latencies: list[_Latency] = []
        self._buckets: dict[str | None, _Bucket] = {}  # by operation, None for every operation
        self._calls: list[Call] = []
        self._authorizers: dict[str | None, tuple[Authorizer, str]] = {}  # by access key id; None: any
        self._denials: list[tuple[str, str]] = []
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "DescribeProjects": self._describe_projects,
            "DescribeProjectVersions": self._describe_project_versions,
            "StartProjectVersion": self._start_project_version,
            "StopProjectVersion": self._stop_project_version,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
            "ListTagsForResource": self._list_tags_for_resource,
        }

    # ----------------------------------------------------------------- arranging state

    def add_project(
        self, name: str, *, region: str = "eu-west-1", account: str = "111122223333", timestamp: int | None = None
    ) -> str:
        """Create a project (once per name) and return its ARN; ``timestamp`` is the ARN's suffix in ms."""
        if not NAME.match(name):
            raise ValueError(f"invalid project name {name!r}")
        with self._lock:
            return self._add_project(name, region, account, timestamp).arn

    def add_model(
        self,
        project_version_arn: str,
        *,
        status: str = TRAINING_COMPLETED,
        start_seconds: float = 0.0,
        stop_seconds: float = 0.0,
        train_seconds: float = 0.0,
        copy_seconds: float = 0.0,
        min_units: int | None = None,
        max_units: int | None = None,
        status_message: str = "",
        f1_score: float | None = None,
        describes_max_units: bool = True,
        stops_while_starting: bool = False,
    ) -> None:
        """Create (or replace) a model version, and its project if needed.

        ``f1_score``: its evaluation's F1 score (EvaluationResult); None: no evaluation.

        ``describes_max_units`` False: DescribeProjectVersions leaves MaxInferenceUnits out, as the
        API may (the field is optional).

        ``stops_while_starting``: StopProjectVersion stops a STARTING model too. By default it refuses
        one with ResourceInUseException, as it refuses any model that is not RUNNING. Which of the two
        Rekognition does is not documented: the handler must cope with both.

        ``min_units``/``max_units`` are the units the model was last started with; a model added
        as STARTING, RUNNING or STOPPING without them is taken to run on one unit. A replaced model
        starts afresh: no tags, no failing starts.
        """
        match = VERSION_ARN.match(project_version_arn)
        if not match:
            raise ValueError(f"invalid model version ARN {project_version_arn!r}")
        _check_status(status)
        region, account, project_name, version_name, _ = match.groups()
        if min_units is None and max_units is None and status in BUSY:
            min_units = 1
        with self._lock:
            project = self._add_project(project_name, region, account, None)
            now = self._clock()
            self._models[project_version_arn] = _Model(
                arn=project_version_arn,
                project_arn=project.arn,
                version_name=version_name,
                created=_created_from_arn(project_version_arn),
                status=status,
                status_message=status_message or DEFAULT_MESSAGES.get(status, ""),
                entered_at=now,
                start_seconds=start_seconds,
                stop_seconds=stop_seconds,
                train_seconds=train_seconds,
                copy_seconds=copy_seconds,
                min_units=min_units,
                max_units=max_units if max_units is not None else min_units,
                f1_score=f1_score,
                describes_max_units=describes_max_units,
                stops_while_starting=stops_while_starting,
            )

    def fail_next_starts(self, project_version_arn: str, message: str, count: int = 1) -> None:
        """Make the next ``count`` starts end in FAILED, with this StatusMessage, after start_seconds."""
        with self._lock:
            self._known(project_version_arn).failing_starts.extend([message] * count)

    def set_status(self, project_version_arn: str, status: str, message: str = "") -> None:
        """Force a status now, as if someone else had acted on the model; its timer restarts."""
        _check_status(status)
        with self._lock:
            model = self._known(project_version_arn)
            self._enter(model, status, message, self._clock())
            model.pending_failure = None

    def inject_error(
        self,
        operation: str,
        code: str,
        *,
        count: int = 1,
        message: str = "injected",
        http_status: int | None = None,
    ) -> None:
        """Fail the next ``count`` calls of ``operation`` (``"*"`` for any) with error ``code``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(operation, code, count, message, http_status))

    def inject_latency(self, operation: str, seconds: float, *, count: int = 1) -> None:
        """Hold the next ``count`` calls of ``operation`` (``"*"`` for any) for ``seconds`` before answering."""
        with self._lock:
            self._latencies.append(_Latency(operation, seconds, count))

    def clear_latency(self) -> None:
        """Answer without delay from now on."""
        with self._lock:
            self._latencies.clear()

    def _take_latency(self, operation: str) -> float:
        with self._lock:
            for latency in self._latencies:
                if latency.operation in (operation, "*") and latency.remaining > 0:
                    latency.remaining -= 1
                    return latency.seconds
        return 0.0

    def throttle_burst(self, operation: str, count: int) -> None:
        """Answer the next ``count`` calls of ``operation`` with ThrottlingException."""
        self.inject_error(operation, "ThrottlingException", count=count, message="Rate exceeded.")

    def set_rate_limit(self, operation: str | None, per_second: float) -> None:
        """Limit calls of ``operation`` (``None``: all calls together) to ``per_second``, as a token bucket.

        The bucket starts full, holds ``max(1, per_second)`` tokens and refills on the fake's clock;
        a call finding it empty gets ThrottlingException. A rate <= 0 removes the limit.
        """
        with self._lock:
            if per_second <= 0:
                self._buckets.pop(operation, None)
                return
            bucket = _Bucket(per_second, 0.0, self._clock())
            bucket.tokens = bucket.capacity
            self._buckets[operation] = bucket

    def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        """Replace the tags of a model version (or project), unchecked, as if someone else had tagged it."""
        with self._lock:
            holder = self._tag_holder(arn)
            if holder is None:
                raise KeyError(f"unknown model version or project {arn}")
            holder.clear()
            holder.update(tags)

    def set_authorizer(
        self,
        authorizer: Authorizer | None,
        *,
        principal: str = DEFAULT_PRINCIPAL,
        access_key_id: str | None = None,
    ) -> None:
        """Put every call to ``authorizer(action, resource, context)`` first; None lets every call through.

        ``access_key_id``: only for calls signed with that key (as two roles would be); calls with
        another key use the authorizer set without one. May be called at any moment, from any
        thread: calls answered after it returns use the new one. ``principal`` is the caller named
        in AccessDeniedException messages.
        """
        with self._lock:
            if authorizer is None:
                self._authorizers.pop(access_key_id, None)
            else:
                self._authorizers[access_key_id] = (authorizer, principal)

    # ----------------------------------------------------------------- inspecting state

    def tags(self, project_version_arn: str) -> dict[str, str]:
        """A copy of the tags of a model version (or project)."""
        with self._lock:
            holder = self._tag_holder(project_version_arn)
            if holder is None:
                raise KeyError(f"unknown model version or project {project_version_arn}")
            return dict(holder)

    @property
    def denials(self) -> list[tuple[str, str]]:
        """(action, resource) of every call the authorizer refused, in order."""
        with self._lock:
            return list(self._denials)

    def status(self, project_version_arn: str) -> str | None:
        """The model's current status, None if the fake does not know it."""
        with self._lock:
            model = self._advance(project_version_arn)
            return model.status if model else None

    def units(self, project_version_arn: str) -> tuple[int | None, int | None]:
        """(min, max) inference units the model was last started with, (None, None) if never."""
        with self._lock:
            model = self._advance(project_version_arn)
            return (model.min_units, model.max_units) if model else (None, None)

    @property
    def calls(self) -> list[Call]:
        """Every request received, in order, failed ones included."""
        with self._lock:
            return list(self._calls)

    def call_count(self, operation: str) -> int:
        """How many requests of ``operation`` were received."""
        with self._lock:
            return sum(1 for call in self._calls if call.operation == operation)

    def running_models(self) -> list[str]:
        """ARNs of the models that are billed now (STARTING or RUNNING)."""
        with self._lock:
            return [arn for arn in list(self._models) if self._known(arn).status in BILLABLE]

    # ----------------------------------------------------------------- serving

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the API on 127.0.0.1 in a daemon thread; yield its endpoint URL."""
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-rekognition", daemon=True
        )
        thread.start()
        try:
            host, port = server.server_address[:2]
            yield f"http://{host}:{port}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def _handle(
        self, target: str, params: dict[str, Any], access_key_id: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one request, given its X-Amz-Target and signing key: (HTTP status, JSON body). Records the call."""
        operation = target.removeprefix(TARGET_PREFIX)
        delay = self._take_latency(operation)
        if delay:
            time.sleep(delay)
        with self._lock:
            now = self._clock()
            try:
                self._take_fault(operation)
                self._authorize(operation, params, access_key_id)
                self._take_token(operation, now)
                if not target.startswith(TARGET_PREFIX) or operation not in self._operations:
                    raise ApiError("UnknownOperationException", f"Unknown operation {target!r}.")
                body = self._operations[operation](params)
            except Exception as exception:  # a bug in the fake must reach the test, not hang the client
                error = (
                    exception if isinstance(exception, ApiError) else ApiError("InternalServerError", repr(exception))
                )
                self._calls.append(Call(operation, params, error.code, now))
                return error.http_status, {"__type": error.code, "Message": error.message}
            self._calls.append(Call(operation, params, None, now))
            return 200, body

    # ----------------------------------------------------------------- operations

    def _describe_projects(self, params: dict[str, Any]) -> dict[str, Any]:
        names = _name_filter(params, "ProjectNames")
        projects = [p for p in self._projects.values() if names is None or p.name in names]
        page, more = _page(projects, params)
        return {
            "ProjectDescriptions": [
                {"ProjectArn": p.arn, "CreationTimestamp": p.created, "Status": "CREATED", "Feature": "CUSTOM_LABELS"}
                for p in page
            ],
            **more,
        }

    def _describe_project_versions(self, params: dict[str, Any]) -> dict[str, Any]:
        project_arn = _required_string(params, "ProjectArn")
        if not PROJECT_ARN.match(project_arn):
            raise ApiError("InvalidParameterException", f"Invalid project ARN: {project_arn}")
        if project_arn not in {p.arn for p in self._projects.values()}:
            raise ApiError("ResourceNotFoundException", f"Project {project_arn} not found.")
        names = _name_filter(params, "VersionNames")
        models = [
            self._advance(m.arn)
            for m in self._models.values()
            if m.project_arn == project_arn and (names is None or m.version_name in names)
        ]
        models.sort(key=lambda m: m.created, reverse=True)  # latest first, as the API documents
        page, more = _page(models, params)
        return {"ProjectVersionDescriptions": [_describe(m) for m in page], **more}

    def _start_project_version(self, params: dict[str, Any]) -> dict[str, Any]:
        model = self._target(params)
        min_units, max_units = _units(params)
        if model.status in BUSY:
            raise ApiError("ResourceInUseException", f"The model is {model.status} and cannot be started.")
        if model.status not in STARTABLE:
            raise ApiError("InvalidParameterException", f"A model in status {model.status} cannot be started.")
        model.min_units, model.max_units = min_units, max_units
        self._enter(model, STARTING, "", self._clock())
        model.pending_failure = model.failing_starts.pop(0) if model.failing_starts else None
        return {"Status": STARTING}

    def _stop_project_version(self, params: dict[str, Any]) -> dict[str, Any]:
        model = self._target(params)
        if model.status != RUNNING and not (model.status == STARTING and model.stops_while_starting):
            raise ApiError("ResourceInUseException", f"The model is {model.status} and cannot be stopped.")
        model.pending_failure = None
        self._enter(model, STOPPING, "", self._clock())
        return {"Status": STOPPING}

    def _tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = _resource_arn(params)
        tags = params.get("Tags")
        if not isinstance(tags, dict) or len(tags) > MAX_TAGS_PER_REQUEST:
            raise ApiError("InvalidParameterException", f"Tags must map 0 to {MAX_TAGS_PER_REQUEST} keys to values.")
        for key, value in tags.items():
            _check_tag_key(key)
            if not isinstance(value, str) or len(value) > 256 or not TAG_VALUE.fullmatch(value):
                raise ApiError("InvalidParameterException", f"Invalid value for tag {key!r}.")
        holder = self._existing_tag_holder(arn)
        if len(holder.keys() | tags.keys()) > MAX_TAGS_PER_RESOURCE:
            raise ApiError("ServiceQuotaExceededException", "The resource has too many tags")
        holder.update(tags)
        return {}

    def _untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = _resource_arn(params)
        keys = params.get("TagKeys")
        if not isinstance(keys, list) or len(keys) > MAX_TAGS_PER_REQUEST:
            raise ApiError("InvalidParameterException", f"TagKeys must list 0 to {MAX_TAGS_PER_REQUEST} keys.")
        for key in keys:
            _check_tag_key(key)
        holder = self._existing_tag_holder(arn)
        for key in keys:
            holder.pop(key, None)
        return {}

    def _list_tags_for_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": dict(self._existing_tag_holder(_resource_arn(params)))}

    # ----------------------------------------------------------------- authorization (lock held)

    def _authorize(self, operation: str, params: dict[str, Any], access_key_id: str | None = None) -> None:
        """Ask the caller's authorizer about the call; raise AccessDeniedException if it refuses."""
        chosen = self._authorizers.get(access_key_id) or self._authorizers.get(None)
        if chosen is None or operation not in self._operations:
            return
        authorizer, principal = chosen
        action = f"rekognition:{operation}"
        resource_param = _IAM_RESOURCE.get(operation)
        resource = params.get(resource_param) if resource_param else "*"
        if not isinstance(resource, str):
            resource = "*"  # a malformed request: ask about every resource, which a named policy refuses
        context: dict[str, Any] = {}
        if operation == "TagResource" and isinstance(params.get("Tags"), dict):
            tags = params["Tags"]
            context["aws:TagKeys"] = list(tags)
            context.update({f"aws:RequestTag/{key}": value for key, value in tags.items() if isinstance(value, str)})
        if operation == "UntagResource" and isinstance(params.get("TagKeys"), list):
            context["aws:TagKeys"] = [key for key in params["TagKeys"] if isinstance(key, str)]
        held = self._tag_holder(resource) if resource != "*" else None
        context.update({f"aws:ResourceTag/{key}": value for key, value in (held or {}).items()})
        if not authorizer(action, resource, context):
            self._denials.append((action, resource))
            raise ApiError(
                "AccessDeniedException",
                f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
                f"because no identity-based policy allows the {action} action",
            )

    # ----------------------------------------------------------------- state helpers (lock held)

    def _tag_holder(self, arn: str) -> dict[str, str] | None:
        """The live tags of the model version or project with this ARN; None if unknown."""
        model = self._models.get(arn)
        if model is not None:
            return model.tags
        project = next((p for p in self._projects.values() if p.arn == arn), None)
        return project.tags if project is not None else None

    def _existing_tag_holder(self, arn: str) -> dict[str, str]:
        holder = self._tag_holder(arn)
        if holder is None:
            raise ApiError("ResourceNotFoundException", f"Resource {arn} not found.")
        return holder

    def _add_project(self, name: str, region: str, account: str, timestamp: int | None) -> _Project:
        if name not in self._projects:
            millis = timestamp if timestamp is not None else int(time.time() * 1000)
            arn = f"arn:aws:rekognition:{region}:{account}:project/{name}/{millis}"
            self._projects[name] = _Project(name, arn, _created_from_arn(arn))
        return self._projects[name]

    def _known(self, arn: str) -> _Model:
        model = self._advance(arn)
        if model is None:
            raise KeyError(f"unknown model version {arn}")
        return model

    def _target(self, params: dict[str, Any]) -> _Model:
        """The model named by a request's ProjectVersionArn, after its pending transitions."""
        arn = _required_string(params, "ProjectVersionArn")
        if not VERSION_ARN.match(arn):
            raise ApiError("InvalidParameterException", f"Invalid model version ARN: {arn}")
        model = self._advance(arn)
        if model is None:
            raise ApiError("ResourceNotFoundException", f"Model version {arn} not found.")
        return model

    def _advance(self, arn: str) -> _Model | None:
        """Apply the model's timed transition if it is due; return the model (None if unknown)."""
        model = self._models.get(arn)
        if model is None:
            return None
        now = self._clock()
        elapsed = now - model.entered_at
        if model.status == STARTING and elapsed >= model.start_seconds:
            failure, model.pending_failure = model.pending_failure, None
            self._enter(model, FAILED if failure is not None else RUNNING, failure or "", now)
        elif model.status == STOPPING and elapsed >= model.stop_seconds:
            self._enter(model, STOPPED, "", now)
        elif model.status == TRAINING_IN_PROGRESS and elapsed >= model.train_seconds:
            self._enter(model, TRAINING_COMPLETED, "", now)
        elif model.status == COPYING_IN_PROGRESS and elapsed >= model.copy_seconds:
            self._enter(model, COPYING_COMPLETED, "", now)
        return model

    @staticmethod
    def _enter(model: _Model, status: str, message: str, now: float) -> None:
        model.status = status
        model.status_message = message or DEFAULT_MESSAGES.get(status, "")
        model.entered_at = now

    def _take_fault(self, operation: str) -> None:
        """Raise the first injected fault matching the operation, using it up."""
        for fault in self._faults:
            if fault.remaining > 0 and fault.operation in (operation, "*"):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                raise ApiError(fault.code, fault.message, fault.http_status)

    def _take_token(self, operation: str, now: float) -> None:
        """Spend one token from the operation's bucket and the global one, or throttle."""
        buckets = [b for key, b in self._buckets.items() if key in (operation, None)]
        for bucket in buckets:
            bucket.refill(now)
        if any(bucket.tokens < 1 for bucket in buckets):
            raise ApiError("ThrottlingException", "Rate exceeded.")
        for bucket in buckets:
            bucket.tokens -= 1


# The request parameter naming the resource IAM authorizes each operation on; "*" when absent.
_IAM_RESOURCE = {
    "DescribeProjectVersions": "ProjectArn",
    "StartProjectVersion": "ProjectVersionArn",
    "StopProjectVersion": "ProjectVersionArn",
    "TagResource": "ResourceArn",
    "UntagResource": "ResourceArn",
    "ListTagsForResource": "ResourceArn",
}

# --------------------------------------------------------------------- request parsing


def _check_status(status: str) -> None:
    if status not in ALL_STATUSES:
        raise ValueError(f"unknown status {status!r}")


def _created_from_arn(arn: str) -> float:
    """The creation time encoded in an ARN's numeric suffix (ms), or now if it is not a date."""
    millis = int(arn.rsplit("/", 1)[1])
    return millis / 1000 if 0 < millis <= _MAX_ARN_MILLIS else time.time()


def _required_string(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str):
        raise ApiError("InvalidParameterException", f"{name} is required and must be a string.")
    return value


def _resource_arn(params: dict[str, Any]) -> str:
    """The ResourceArn of a tagging request: a model version or project ARN of 20 to 2048 characters."""
    arn = _required_string(params, "ResourceArn")
    if not 20 <= len(arn) <= 2048 or not (VERSION_ARN.match(arn) or PROJECT_ARN.match(arn)):
        raise ApiError("InvalidParameterException", f"Invalid resource ARN: {arn}")
    return arn


def _check_tag_key(key: Any) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= 128 or not TAG_KEY.fullmatch(key):
        raise ApiError("InvalidParameterException", f"Invalid tag key {key!r}.")


def _name_filter(params: dict[str, Any], name: str) -> set[str] | None:
    """An optional list of 1 to 10 names, as a set; None when absent."""
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise ApiError("InvalidParameterException", f"{name} must list 1 to 10 names.")
    if not all(isinstance(item, str) and NAME.match(item) for item in value):
        raise ApiError("InvalidParameterException", f"{name} holds an invalid name.")
    return set(value)


def _page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    """One page of ``items`` as the Describe* operations give it: MaxResults of 1 to 100 (default 100),
    then a NextToken while more remain."""
    size = params.get("MaxResults", _PAGE_LIMIT)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= _PAGE_LIMIT:
        raise ApiError("InvalidParameterException", f"MaxResults must be 1 to {_PAGE_LIMIT}.")
    token = params.get("NextToken", "page:0")
    if not isinstance(token, str) or not token.startswith("page:") or not token[5:].isdigit():
        raise ApiError("InvalidPaginationTokenException", "Invalid pagination token.")
    start = int(token[5:])
    more = {"NextToken": f"page:{start + size}"} if start + size < len(items) else {}
    return items[start : start + size], more


def _units(params: dict[str, Any]) -> tuple[int, int]:
    """(min, max) inference units of a start request; max defaults to min."""
    min_units = params.get("MinInferenceUnits")
    max_units = params.get("MaxInferenceUnits", min_units)
    for value in (min_units, max_units):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ApiError("InvalidParameterException", "Inference units must be integers of at least 1.")
    if max_units < min_units:
        raise ApiError("InvalidParameterException", "MaxInferenceUnits must not be less than MinInferenceUnits.")
    return min_units, max_units


def _describe(model: _Model) -> dict[str, Any]:
    description: dict[str, Any] = {
        "ProjectVersionArn": model.arn,
        "CreationTimestamp": model.created,
        "Status": model.status,
        "StatusMessage": model.status_message,
    }
    if model.min_units is not None:
        description["MinInferenceUnits"] = model.min_units
        if model.describes_max_units:
            description["MaxInferenceUnits"] = model.max_units
    if model.f1_score is not None:
        summary = {"Bucket": "evaluations", "Name": f"{model.version_name}/EvaluationResultSummary.json"}
        description["EvaluationResult"] = {"F1Score": model.f1_score, "Summary": {"S3Object": summary}}
    return description


# --------------------------------------------------------------------- HTTP


_PAGE_LIMIT = 100


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # many clients may connect at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeRekognition) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``fake``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
        disable_nagle_algorithm = True  # headers and body are written apart: do not wait for ACKs

        def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                params = json.loads(raw or b"{}")
            except ValueError:
                params = None
            if isinstance(params, dict):
                credential = _CREDENTIAL.search(self.headers.get("Authorization", ""))
                access_key_id = credential.group(1) if credential else None
                self._reply(*fake._handle(self.headers.get("X-Amz-Target", ""), params, access_key_id))
            else:
                self._reply(400, {"__type": "SerializationException", "Message": "The body is not a JSON object."})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base
            """Do not log each request to stderr."""

    return Handler
