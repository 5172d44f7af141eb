"""Deliver the answer to CloudFormation's presigned ResponseURL.

crhelper's own sender retries forever on connection errors and takes any HTTP status as
success, so an answer that S3 refused with a 500 would be lost and the stack would hang until
its timeout. This one retries connection errors and server errors a bounded number of times
(urllib3's Retry, which botocore brings along) and reports whether the answer arrived.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import urllib3
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)
_QUERY = re.compile(r"\?[^\s'\"]*")


class _HideQueryStrings(logging.Filter):
    """urllib3 logs a retried request's URL at WARNING, and a presigned ResponseURL carries its
    signature in the query string. crhelper resets urllib3's log level at every invocation, so
    the query strings are cut from the records instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub("?…", message), None
        return True


for _name in ("urllib3", "urllib3.connectionpool", "urllib3.poolmanager"):
    logging.getLogger(_name).addFilter(_HideQueryStrings())

# 6 tries over about 15 s of back-off (0 + 1 + 2 + 4 + 8): S3 hiccups pass, an invocation still
# ends in time. A try waits at most 5 s to connect and 10 s for the reply.
RETRY = Retry(
    total=5,
    backoff_factor=0.5,
    status_forcelist=(500, 502, 503, 504),
    allowed_methods=frozenset({"PUT"}),
    raise_on_status=False,
)
TIMEOUT = urllib3.Timeout(connect=5, read=10)
_http = urllib3.PoolManager(retries=RETRY, timeout=TIMEOUT)


def put_answer(response_url: str, body: dict[str, Any]) -> bool:
    """PUT ``body`` to ``response_url``; True when CloudFormation's endpoint accepted it.

    The URL carries a signature: it is never logged.
    """
    payload = json.dumps(body).encode()
    try:
        # An empty Content-Type: the presigned URL was signed without one.
        response = _http.request("PUT", response_url, body=payload, headers={"Content-Type": ""})
    except urllib3.exceptions.HTTPError as error:
        logger.error("Could not deliver the answer to CloudFormation: %s", type(error).__name__)
        return False
    if 200 <= response.status < 300:
        return True
    logger.error("CloudFormation's response endpoint refused the answer: HTTP %s", response.status)
    return False
