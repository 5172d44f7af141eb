"""crhelper's CfnResource, adjusted for models that take minutes to start.

What changes from crhelper as shipped:

- One invocation at a time acts for a resource: each takes the resource's lease in the ledger
  (ledger.py) before its registered function runs, and holds it until it has answered. A first
  invocation waits for the lease as long as any other invocation can hold it; a poll that finds it
  taken leaves this minute to the holder.
- Every request is recorded in the ledger as it arrives, and its answer before it is sent
  (answers.py): a request gets one answer however many invocations decide one, a second delivery
  of a request is recognised, and an answer that could not be delivered is delivered by the next poll.
- A request already satisfied (or failed) on its first look is answered at once, with no
  EventBridge rule set up. Otherwise the rule is set up right after that first look and before
  any start (poll_rules.py), and the invocation goes on looking until shortly before the rule first
  fires (no blind minute). A rule that cannot be set up fails the request with the real reason.
- No Lambda permission per request: the construct grants EventBridge one permission for every
  rule with the handler's prefix, so the function's 20 KB resource policy never fills up.
- The rule is removed after the answer is delivered; a rule that cannot be removed fires again,
  and that poll, finding the request answered, removes it.
- Reasons are cut at the end, never the beginning; Data holds only the resource's attributes.
- Answers are delivered with bounded retries that treat an HTTP error as a failure (response.py).
- The EventBridge and DynamoDB clients use the same explicit retries and timeouts as Rekognition's.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from crhelper import FAILED, CfnResource

from .answers import Answers, answer_body, target_of
from .errors import describe
from .ledger import Ledger, LedgerError
from .ownership import Owner
from .poll_rules import AWS_ERRORS, PollRules
from .request import REGISTERED, PollingSetupError
from .settings import CLIENT_CONFIG

logger = logging.getLogger(__name__)


class _Admission(enum.Enum):
    """What an invocation does with the request it brings."""

    RUN = "run"  # look, decide and act (the registered function)
    REFUSED = "refused"  # answer FAILED now, without looking (the reason is set)
    DONE = "done"  # nothing: the request is answered, or another invocation works on it


class PollingResource(CfnResource):  # type: ignore[misc]
    """A CfnResource for long operations. Functions registered on it return the
    PhysicalResourceId when finished and None to poll again; to fail they call ``fail``.

    ``lease_waits``: how long a first invocation and a poll wait for the resource's lease (seconds).
    """

    # crhelper's own attributes, as this class uses them.
    _event: dict[str, Any]
    PhysicalResourceId: str | None
    # This invocation's: the answer's attributes, whether it acts at all, the lease it holds.
    attributes: dict[str, str]
    _admission: _Admission
    _lease: tuple[Owner, str] | None

    def __init__(
        self,
        *,
        rule_prefix: str,
        polling_interval_minutes: int,
        schedule_expression: str,
        ledger_table: str,
        lease_waits: tuple[float, float],
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            json_logging=False,
            log_level="INFO",
            boto_level="WARNING",
            polling_interval=polling_interval_minutes,
            sleep_on_delete=0,
        )
        self._lease_waits = lease_waits
        self._clock = clock
        self._sleep = sleep
        self._forget_last_invocation()
        if not self._init_failed:
            try:
                self._events_client = boto3.client("events", region_name=self._region, config=CLIENT_CONFIG)
                self._dynamodb_client = boto3.client("dynamodb", region_name=self._region, config=CLIENT_CONFIG)
            except Exception as error:  # crhelper answers FAILED with this on every request
                self.init_failure(error)
            else:
                self.rules = PollRules(self._events_client, prefix=rule_prefix, schedule_expression=schedule_expression)
                self.ledger = Ledger(self._dynamodb_client, ledger_table, clock=clock)
                self.answers = Answers(self.ledger)

    # What the registered functions call.

    def fail(self, reason: str) -> None:
        """Answer FAILED with ``reason``."""
        self.Status = FAILED
        self.Reason = reason

    def start_polling(self) -> bool:
        """Set up the poll rule now, with Data as it is; this invocation may go on looking.

        Raises PollingSetupError when the rule cannot be set up (none is left behind).
        """
        if "CrHelperRule" in self._event:
            return True
        polled = {**self._event, "CrHelperData": self.Data, "CrHelperPoll": True}
        try:
            rule_arn = self.rules.put(polled, self._context.function_name)
        except AWS_ERRORS as error:
            raise PollingSetupError(f"Could not set up polling with EventBridge: {describe(error)}") from error
        self._event.update(polled, CrHelperRule=rule_arn)
        logger.info("Polling every %s minute(s) until the model is ready", self._polling_interval)
        return True

    def end_request(self, logical_id: str, request_id: str, reason: str, physical_id: str) -> bool:
        """End an earlier request of the resource (held under this invocation's lease): answer it
        FAILED with ``reason`` unless it was answered, and remove its poll rule. True when it was
        still unanswered."""
        record = self.ledger.request(request_id)
        if record is None or record.sent:
            return False
        ended = not record.answered
        if ended:
            logger.info("Ending %s's earlier %s request", logical_id, record.target.get("RequestType"))
            body = answer_body(
                record.target,
                status=FAILED,
                physical_id=str(record.target.get("PhysicalResourceId") or physical_id),
                reason=reason,
            )
            self.answers.deliver(str(record.target.get("ResponseURL", "")), body)
        else:
            self.answers.redeliver(request_id, record)
        self.rules.remove_quietly(self.rules.name(logical_id, request_id))
        return ended

    def give_back_lease(self) -> None:
        """End this invocation's lease on its resource, if it holds one (index.handler's last step)."""
        lease, self._lease = self._lease, None
        if lease is None:
            return
        try:
            self.ledger.give_back_lease(*lease)
        except LedgerError as error:  # it ends with the invocation's time anyway
            logger.warning("Could not give back the resource's lease (%s)", error)

    def request_in_progress(self, logical_id: str, request_id: str) -> bool:
        """True while that request of ``logical_id`` is being polled (its poll rule exists)."""
        return self.rules.targets(self.rules.name(logical_id, request_id)) is not None

    # crhelper hooks.

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self._forget_last_invocation()
        return bool(super()._crhelper_init(event, context))  # runs the registered function

    def _wrap_function(self, func: Any) -> None:
        """Runs the registered function only when this invocation is admitted to act for the request."""
        try:
            self._admission = self._admit()
        except LedgerError as error:
            if "CrHelperPoll" in self._event:
                logger.warning("Could not reach the handler's ledger (%s); the next poll looks again", error)
                self._admission = _Admission.DONE
            else:
                self.fail(f"Could not reach the handler's ledger (DynamoDB): {error}; nothing was done")
                self._admission = _Admission.REFUSED
        if self._admission is _Admission.RUN:
            super()._wrap_function(func)

    def _forget_last_invocation(self) -> None:
        self.attributes = {}
        self._admission = _Admission.RUN
        self._lease = None

    def _admit(self) -> _Admission:
        """Take the resource's lease; tell a request to act on from one that is answered or taken care of."""
        first = "CrHelperPoll" not in self._event
        request_id = str(self._event["RequestId"])
        opened = first and self.ledger.open_request(request_id, target_of(self._event))
        if not self._take_lease(wait=self._lease_waits[0] if first else self._lease_waits[1]):
            if first:
                self.fail("Another invocation of the handler kept working on this resource; nothing was done")
                return _Admission.REFUSED
            logger.info("Another invocation works on this resource; this poll leaves it to that one")
            return _Admission.DONE
        if opened:
            return _Admission.RUN
        record = self.ledger.request(request_id)
        if record is not None and record.answered:
            logger.info("This request was answered already")
            if self.answers.redeliver(request_id, record):
                self._remove_own_rule()
            return _Admission.DONE
        if first and self._polled_already(request_id):
            logger.info("This request is being polled already (it was delivered twice)")
            return _Admission.DONE
        return _Admission.RUN

    def _polled_already(self, request_id: str) -> bool:
        """Whether an earlier delivery of this request set up its poll rule. On an error: False, and
        this delivery acts too (the ledger still lets only one answer through)."""
        try:
            return self.request_in_progress(self._event["LogicalResourceId"], request_id)
        except AWS_ERRORS as error:
            logger.warning("Could not tell whether an earlier delivery polls this request (%s)", describe(error))
            return False

    def _take_lease(self, *, wait: float) -> bool:
        owner = Owner.of(self._event)
        holder = f"{getattr(self._context, 'aws_request_id', '')}-{uuid.uuid4().hex[:8]}"
        until = self._clock() + self._context.get_remaining_time_in_millis() / 1000
        give_up = self._clock() + wait
        while not self.ledger.take_lease(owner, holder, until):
            if self._clock() >= give_up:
                return False
            self._sleep(min(1.0, max(wait / 10, 0.01)))
        self._lease = (owner, holder)
        return True

    def _polling_init(self, event: dict[str, Any]) -> None:
        if self._admission is _Admission.DONE:
            return
        finished = bool(self.PhysicalResourceId) or self.Status == FAILED
        if finished:
            self._send_response = True
        elif "CrHelperRule" not in self._event:
            self.start_polling()

    def _send(self, status: str | None = None, reason: str = "") -> None:
        body = answer_body(
            self._event,
            status=status or self.Status,
            physical_id=str(self.PhysicalResourceId),
            reason=reason or self.Reason,
            data=self.attributes,
        )
        if self.answers.deliver(self._response_url, body):
            self._remove_own_rule()
        elif "CrHelperRule" not in self._event:  # a poll then delivers the recorded answer
            try:
                self.start_polling()
            except PollingSetupError as error:
                logger.error("The answer was not delivered and cannot be tried again: %s", error)

    def _remove_own_rule(self) -> None:
        if "CrHelperRule" in self._event:
            self.rules.remove_quietly(str(self._event["CrHelperRule"]).split("/")[-1])

    def _timeout(self) -> None:
        """crhelper's timer, just before the Lambda times out. Once a poll rule is set up, the
        next scheduled poll carries on; before, only a FAILED answer keeps the stack from hanging."""
        if "CrHelperRule" in self._event:
            logger.error("This invocation ran out of time; the next scheduled poll carries on")
            return
        # An Update or Delete keeps its id; a Create that registered its resource answers with the
        # version, for its rollback Delete to stop.
        self.PhysicalResourceId = (
            self._event.get("PhysicalResourceId") or self.Data.get(REGISTERED) or self.generate_physical_id(self._event)
        )
        self._send(FAILED, "The handler ran out of time before it could answer; see its log group for why.")
