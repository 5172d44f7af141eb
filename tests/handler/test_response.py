"""Delivering the answer (response.put_answer) through real urllib3 to a local endpoint that replies
with the statuses a test scripts: which replies count as delivered, which are tried again and how
often, and what is logged. urllib3's back-off sleeps are recorded instead of slept."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from running_model.response import TIMEOUT, put_answer

from support.fakes.cloudformation import serving

SIGNATURE = "0123456789abcdef" * 4
BODY = {"Status": "SUCCESS", "RequestId": "req-1", "Reason": ""}


@dataclass
class ScriptedEndpoint:
    """Replies to each PUT with the next status of ``replies`` (200 once they run out); with no
    reply at all, as a broken connection, while ``hang_ups`` lasts."""

    replies: list[int] = field(default_factory=list)
    hang_ups: int = 0
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    @contextlib.contextmanager
    def serve(self) -> Iterator[ScriptedEndpoint]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.received.append((self.command, dict(self.headers), body))
                if endpoint.hang_ups > 0:
                    endpoint.hang_ups -= 1
                    self.close_connection = True
                    return
                self.send_response(endpoint.replies.pop(0) if endpoint.replies else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as port:
            self.url = f"http://127.0.0.1:{port}/answer?X-Amz-Signature={SIGNATURE}"
            yield self


@pytest.fixture
def endpoint() -> Iterator[ScriptedEndpoint]:
    with ScriptedEndpoint().serve() as served:
        yield served


@pytest.fixture
def back_off(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds urllib3 would have slept between tries."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_an_answer_is_put_once_as_json_with_an_empty_content_type(endpoint: ScriptedEndpoint) -> None:
    assert put_answer(endpoint.url, BODY) is True
    [(method, headers, body)] = endpoint.received
    assert (method, headers["Content-Type"], json.loads(body)) == ("PUT", "", BODY)


@pytest.mark.parametrize("status", [200, 204, 299])
def test_any_2xx_reply_means_delivered(endpoint: ScriptedEndpoint, status: int) -> None:
    endpoint.replies = [status]
    assert put_answer(endpoint.url, BODY) is True
    assert len(endpoint.received) == 1


@pytest.mark.parametrize("status", [199, 300, 403])
def test_a_reply_outside_2xx_and_not_a_server_error_is_not_delivered_nor_tried_again(
    endpoint: ScriptedEndpoint, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.replies = [status]
    assert put_answer(endpoint.url, BODY) is False
    assert len(endpoint.received) == 1
    assert f"CloudFormation's response endpoint refused the answer: HTTP {status}" in caplog.messages


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_tried_again_at_once(endpoint: ScriptedEndpoint, back_off: list[float], status: int) -> None:
    endpoint.replies = [status]
    assert put_answer(endpoint.url, BODY) is True
    assert len(endpoint.received) == 2
    assert sum(back_off) == 0


def test_an_endpoint_that_keeps_failing_is_tried_six_times_over_15_seconds_then_reported(
    endpoint: ScriptedEndpoint, back_off: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.replies = [500] * 10
    assert put_answer(endpoint.url, BODY) is False
    assert len(endpoint.received) == 6
    assert back_off == [1.0, 2.0, 4.0, 8.0]
    assert caplog.messages[-1] == "CloudFormation's response endpoint refused the answer: HTTP 500"


def test_a_connection_broken_every_time_is_reported_not_raised(
    endpoint: ScriptedEndpoint, back_off: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.hang_ups = 10
    assert put_answer(endpoint.url, BODY) is False
    assert len(endpoint.received) == 6
    assert caplog.messages[-1] == "Could not deliver the answer to CloudFormation: MaxRetryError"


def test_a_connection_broken_once_is_tried_again(endpoint: ScriptedEndpoint, back_off: list[float]) -> None:
    endpoint.hang_ups = 1
    assert put_answer(endpoint.url, BODY) is True
    assert len(endpoint.received) == 2


def test_urllib3s_retry_warnings_are_logged_without_the_urls_signature(
    endpoint: ScriptedEndpoint, back_off: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    endpoint.hang_ups = 1
    assert put_answer(endpoint.url, BODY) is True
    retried = [record for record in caplog.records if record.name.startswith("urllib3")]
    assert retried, "urllib3 logs the retry"
    assert all(SIGNATURE not in record.getMessage() for record in caplog.records)
    assert all("/answer?…" in record.getMessage() for record in retried)


def test_a_try_waits_at_most_5_s_to_connect_and_10_s_for_the_reply() -> None:
    """Pinned to what response.py states: no real clock here can wait out a silent endpoint."""
    assert (TIMEOUT.connect_timeout, TIMEOUT.read_timeout) == (5, 10)
