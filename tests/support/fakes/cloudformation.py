"""CloudFormation's side of a custom resource: the events it sends and the endpoint it reads answers from.

CloudFormation gives the handler a presigned S3 URL (ResponseURL) and waits for one PUT of a
JSON body there. ``ResponseEndpoint`` stands in for that URL: HTTPS on 127.0.0.1 with a
certificate from a test CA (point SSL_CERT_FILE at ``ca_file``), URLs shaped like presigned S3
URLs, every PUT recorded.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import trustme

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/RunningModelTest/5b1c1c80-0000-11f0-9e7a-0a1b2c3d4e5f"
SERVICE_TOKEN = "arn:aws:lambda:eu-west-1:111122223333:function:RunningModelTest-Handler"


@dataclass
class Answer:
    """One PUT received: the request it answers (from the URL path) and the parsed body."""

    request_id: str
    body: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.body["Status"])

    @property
    def reason(self) -> str:
        return str(self.body.get("Reason", ""))


@dataclass
class ResponseEndpoint:
    """Receives the handler's answers over HTTPS, as S3 would behind a presigned URL."""

    directory: Path
    answers: list[Answer] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    failures_to_serve: int = 0
    connections_to_drop: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _base: str = ""

    @property
    def ca_file(self) -> Path:
        return self.directory / "test-ca.pem"

    @contextlib.contextmanager
    def serve(self) -> Iterator[ResponseEndpoint]:
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        server.socket = context.wrap_socket(server.socket, server_side=True)
        with serving(server) as port:
            self._base = f"https://127.0.0.1:{port}"
            yield self

    def url_for(self, request_id: str, logical_id: str) -> str:
        """A ResponseURL shaped like CloudFormation's presigned S3 URL, with a fresh signature."""
        signature = secrets.token_hex(32)
        self.signatures.append(signature)
        key = quote(f"{STACK_ID}|{logical_id}|{request_id}", safe="")
        return (
            f"{self._base}/cloudformation-custom-resource-response-euwest1/{key}"
            "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261127T063000Z&X-Amz-SignedHeaders=host"
            "&X-Amz-Expires=7199&X-Amz-Credential=AKIAEXAMPLE%2F20261127%2Feu-west-1%2Fs3%2Faws4_request"
            f"&X-Amz-Signature={signature}"
        )

    def answers_to(self, request_id: str) -> list[Answer]:
        with self._lock:
            return [answer for answer in self.answers if answer.request_id == request_id]

    def _drop_this_connection(self) -> bool:
        with self._lock:
            if self.connections_to_drop > 0:
                self.connections_to_drop -= 1
                return True
            return False

    def _record(self, path: str, body: bytes) -> bool:
        with self._lock:
            if self.failures_to_serve > 0:
                self.failures_to_serve -= 1
                return False
            request_id = urlsplit(path).path.rsplit("%7C", 1)[-1]
            self.answers.append(Answer(request_id, json.loads(body)))
            return True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if endpoint._drop_this_connection():  # as a broken connection: no status line at all
                    self.close_connection = True
                    return
                ok = endpoint._record(self.path, body)
                self.send_response(200 if ok else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[int]:
    """Serve ``server`` from a thread while the block runs; yield its port."""
    # A short poll interval: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def event(
    request_type: str,
    endpoint: ResponseEndpoint,
    properties: dict[str, Any],
    *,
    logical_id: str = "Detector",
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A request exactly as CloudFormation sends it: every property a string, ServiceToken included."""
    request_id = str(uuid.uuid4())
    body: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": SERVICE_TOKEN,
        "ResponseURL": endpoint.url_for(request_id, logical_id),
        "StackId": STACK_ID,
        "RequestId": request_id,
        "LogicalResourceId": logical_id,
        "ResourceType": "Custom::RekognitionRunningModel",
        "ResourceProperties": _as_strings({"ServiceToken": SERVICE_TOKEN, **properties}),
    }
    if physical_id is not None:
        body["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        body["OldResourceProperties"] = _as_strings({"ServiceToken": SERVICE_TOKEN, **old_properties})
    return body


def _as_strings(properties: dict[str, Any]) -> dict[str, Any]:
    """As CloudFormation passes properties: every scalar a string, lists and objects kept as such."""
    return {key: as_sent(value) for key, value in properties.items()}


def as_sent(value: Any) -> Any:
    """``value`` as CloudFormation passes it to a custom resource: each scalar as a string."""
    if isinstance(value, dict):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
