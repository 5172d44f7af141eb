"""Runs one Lambda invocation the way the Python runtime does, in a process of its own.

Usage: python -I -S bootstrap.py <asset dir> <runtime site dir> <module.function> <timeout seconds>
[<clock site dir> <clock file>] with the event as JSON on stdin. sys.path holds the
asset, then a folder with nothing but boto3 and its dependencies (the runtime's own), then the
standard library: no site-packages.

As in Lambda, the timeout counts from the end of the init phase (the imports), when a ``START``
line is printed; the process then ends itself at its timeout, as Lambda would end it. The
caller measures from that line, so the time a busy machine takes to start Python is not taken
out of the handler's budget.

With a clock file, the wall clock (time.time, datetime.now) reads as many seconds ahead as the file
says, as the flow's virtual clock does, and follows it when the flow moves it on. time-machine comes
from the clock site, which leaves sys.path before the handler is imported: the handler still finds
nothing but boto3.
"""

import json
import logging
import os
import sys
import threading
import time
import uuid

# Exit status of an invocation ended by its timeout.
TIMED_OUT = 124
# crhelper answers FAILED 0.5 s before the end; a busy machine may need longer to send that answer.
KILL_GRACE_SECONDS = 2.0


class Context:
    """The parts of Lambda's context object that handlers use."""

    def __init__(self, function_name: str, timeout_seconds: float) -> None:
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def end_at_timeout(timeout_seconds: float) -> None:
    def end() -> None:
        sys.stdout.flush()
        os._exit(TIMED_OUT)

    timer = threading.Timer(timeout_seconds + KILL_GRACE_SECONDS, end)
    timer.daemon = True
    timer.start()


# How often the clock file is read for a move of the flow's clock.
CLOCK_FOLLOW_SECONDS = 0.02


def travel(clock_site: str, clock_file: str) -> None:
    sys.path.insert(0, clock_site)
    import time_machine

    sys.path.remove(clock_site)
    offset = _offset(clock_file)
    coordinates = time_machine.travel(time.time() + offset, tick=True).start()

    def follow() -> None:
        nonlocal offset
        while True:
            time.sleep(CLOCK_FOLLOW_SECONDS)
            now = _offset(clock_file)
            if now != offset:
                coordinates.shift(now - offset)
                offset = now

    threading.Thread(target=follow, daemon=True).start()


def _offset(clock_file: str) -> float:
    with open(clock_file) as file:
        return float(file.read())


def main() -> None:
    asset, runtime_site, handler_name, timeout = sys.argv[1:5]
    if len(sys.argv) > 5:
        travel(sys.argv[5], sys.argv[6])
    event = json.loads(sys.stdin.read())
    sys.path[0:1] = [asset, runtime_site]
    logging.basicConfig(format="[%(levelname)s] %(name)s %(message)s", stream=sys.stdout)
    module_name, function_name = handler_name.rsplit(".", 1)
    handler = getattr(__import__(module_name), function_name)
    context = Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"], float(timeout))
    end_at_timeout(float(timeout))
    print("START", flush=True)
    handler(event, context)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
