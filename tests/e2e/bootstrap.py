"""Runs one Lambda invocation the way the Python runtime does, in a process of its own.

Usage: python -I -S bootstrap.py <asset dir> <runtime site dir> <module.function> <timeout seconds>
with the event as JSON on stdin. sys.path holds the asset, then a folder with nothing but
boto3 and its dependencies (the runtime's own), then the standard library: no site-packages.
The caller kills the process when the timeout has passed, as Lambda would.
"""

import json
import logging
import os
import sys
import time
import uuid


class Context:
    """The parts of Lambda's context object that handlers use."""

    def __init__(self, function_name: str, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    asset, runtime_site, handler_name, timeout = sys.argv[1:5]
    context = Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"], float(timeout))
    sys.path[0:1] = [asset, runtime_site]
    logging.basicConfig(format="[%(levelname)s] %(name)s %(message)s", stream=sys.stdout)
    module_name, function_name = handler_name.rsplit(".", 1)
    handler = getattr(__import__(module_name), function_name)
    handler(json.loads(sys.stdin.read()), context)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
