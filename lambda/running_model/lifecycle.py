"""From a CloudFormation request (or one of its polls) to what to answer.

Every invocation that gets here holds its resource's lease (resource.py): no other path of the same
resource runs meanwhile. Create and Update go to deploy.py, Delete to release.py; both act through
the reconciler (reconcile.py) and their holding of the version (holding.py), and answer with what
request.py defines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from .deploy import Deploy
from .ledger import LedgerError
from .model_version import ModelVersion
from .rekognition import ModelVersionClient, RekognitionError
from .release import Release
from .request import (
    DEADLINE,
    PENDING,
    PROJECT_ARN,
    Answer,
    PollingSetupError,
    Request,
    RequestPolls,
    ResourceRecords,
    failed,
    registered_id,
)
from .settings import Timing

__all__ = ["DEADLINE", "PROJECT_ARN", "Answer", "Lifecycle", "PollingSetupError", "RequestPolls", "ResourceRecords"]
logger = logging.getLogger(__name__)


class Lifecycle:
    """Handles Create, Update and Delete, first look and polls alike, on ``clock`` and ``sleep`` (the
    real ones by default; tests and the benchmark pass their own)."""

    def __init__(
        self,
        timing: Timing,
        *,
        model_factory: Callable[[ModelVersion, str | None], ModelVersionClient] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._timing = timing
        self._clock = clock
        self._deploy = Deploy(timing, model_factory=model_factory, clock=clock, sleep=sleep)
        self._release = Release(timing, model_factory=model_factory, clock=clock, sleep=sleep)

    def handle(
        self,
        event: Mapping[str, Any],
        data: MutableMapping[str, Any],
        *,
        polling: bool,
        remaining_seconds: float,
        polls: RequestPolls | None = None,
        records: ResourceRecords | None = None,
    ) -> Answer:
        """Answer ``event``. ``data`` is crhelper's Data; ``remaining_seconds`` the Lambda's time left.

        ``polls`` sets up polling once the first look has not finished the request (with
        ``data`` complete, before any start) and ends superseded requests; ``records`` is the
        ledger (without it, the owner tags alone say which request of a resource is the latest).
        """
        window = min(self._timing.window_seconds, remaining_seconds - self._timing.reserve_seconds)
        request = Request(
            event,
            data,
            window,
            first_look=not polling,
            polls=polls,
            records=records,
            lease_until=self._clock() + remaining_seconds,
        )
        try:
            if event["RequestType"] == "Delete":
                return self._release.delete(request)
            return self._deploy.converge(request)
        except RekognitionError as error:  # a tag call failed (the reconciler handles the others)
            return failed(str(error), registered_id(request))
        except PollingSetupError as error:
            return failed(str(error), registered_id(request))
        except LedgerError as error:
            if not request.first_look:
                logger.warning("Could not read the handler's ledger (%s); looking again at the next poll", error)
                return PENDING
            return failed(f"Could not reach the handler's ledger (DynamoDB): {error}", registered_id(request))
