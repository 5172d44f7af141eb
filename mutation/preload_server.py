"""A warm pytest for mutant_tests.py: the tests' heavy libraries are imported once, and each mutant's
tests run in a child forked from this process, which starts in a fraction of the second a fresh
interpreter takes to import them.

Usage: ``python mutation/preload_server.py SOCKET``, run in a checkout's root; run.py starts one per
checkout. Neither the handler nor any test module is imported here: each child imports them from
the files as they are then, mutant included.

Protocol, one request per connection: the client sends a JSON line ``{"args": [...], "output":
path}``; the server answers ``{"pid": n}`` (the child leads a process group of its own, so that
the client can kill it) and, when the child ends, ``{"status": n}``, pytest's exit status.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import sys

# The libraries whose import dominates a handler test run's start; none of them is under test.
PRELOAD = ("pytest", "boto3", "botocore.session", "moto", "moto.server", "flask", "trustme", "hypothesis", "crhelper")


def main(socket_path: str) -> None:
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # this folder holds no test module
    for name in PRELOAD:
        importlib.import_module(name)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen()
    while True:
        connection, _ = server.accept()
        with connection:
            request = json.loads(connection.makefile().readline())
            child = os.fork()
            if child == 0:
                server.close()
                _run_tests(request["args"], request["output"])
            _send(connection, {"pid": child})
            _, wait_status = os.waitpid(child, 0)
            _send(connection, {"status": os.waitstatus_to_exitcode(wait_status)})


def _run_tests(arguments: list[str], output: str) -> None:
    """In the child: pytest with stdout and stderr in ``output``; never returns."""
    os.setsid()
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    import pytest

    status = pytest.main(arguments)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))


def _send(connection: socket.socket, message: dict[str, int]) -> None:
    with contextlib.suppress(OSError):  # the client gave up on this mutant (a timeout) and went away
        connection.sendall(json.dumps(message).encode() + b"\n")


if __name__ == "__main__":
    main(sys.argv[1])
