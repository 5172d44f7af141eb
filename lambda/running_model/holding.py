"""One resource's hold on one model version: its owner tag, and the checks it makes against the
other owners before it starts, adopts or stops the version.

Every path of a resource writes its own owner tag only while it holds the resource's lease
(ledger.py), so the writes of one resource never race each other. Other resources (of other stacks,
with other ledgers) write their own tags at any moment, and tags have no conditional write, so the
owners keep out of each other's way by writing first and reading after, as two processes do with
Dekker's flags:

- before it stops the version, a holding marks itself ``stopping`` (until its invocation times
  out), then reads the other owners: it stops only when none of them wants the version running;
- a holding that wants the version running has written so (its registration) before it reads: it
  starts the version, or takes a RUNNING one as done, only when no other owner's ``stopping`` mark
  stands; while one does, it waits and looks again.

Of two such owners, the one that reads last sees what the other wrote: a version is never stopped
under an owner that has just taken it as running, nor started while another owner is stopping it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import start_times
from .decision import Verb
from .lead_time import STARTED_AT_TAG, STARTS_TAG
from .ownership import Owner, owners, request_of, stopping, wanting
from .reconcile import Permit
from .rekognition import ModelVersionClient

logger = logging.getLogger(__name__)


class Holding:
    """``owner``'s hold on ``model``'s version, registered by request ``request_id``.

    ``wants``: the resource wants the version running now (a stop it makes then only changes the
    units, and a start follows). ``releasing``: the holding is on its way out (a Delete, or the
    version a failed update left): a stop it makes is followed by removing its tag.
    ``mark_until``: when this invocation's lease ends (epoch seconds); a ``stopping`` mark stands
    until then at the latest.
    """

    def __init__(
        self,
        model: ModelVersionClient,
        owner: Owner,
        request_id: str,
        *,
        wants: bool,
        releasing: bool = False,
        mark_until: float,
        clock: Callable[[], float],
    ) -> None:
        self.model = model
        self.owner = owner
        self.request_id = request_id
        self.wants = wants and not releasing
        self.releasing = releasing
        self._mark_until = mark_until
        self._clock = clock
        self._marked = False
        self.released = False
        # Set when ``before`` found the owner tag naming another request: a later request of the
        # resource took over (only by hand, or by a handler from before the lease, can that happen
        # while this invocation holds the resource's lease).
        self.superseded = False

    # What the resource's own paths write.

    def register(self, *, idle: bool) -> None:
        """Write the owner tag: ``request_id`` is the resource's latest request; ``idle``: it holds
        the version without wanting it running."""
        self.model.tag(self.owner.key, self.owner.value(self.request_id, idle=idle))
        self._marked = False

    def release(self, *, last_owner: bool) -> None:
        """Remove the owner tag; the last owner also removes the start times it leaves behind."""
        keys = [self.owner.key, STARTS_TAG, STARTED_AT_TAG] if last_owner else [self.owner.key]
        self.model.untag(*keys)
        self._marked = False
        self.released = True
        logger.info("Released %s's ownership of %s", self.owner.logical_id, self.model.label)

    # The checks before acting.

    def others(self) -> dict[str, str]:
        """The other owners' tags (key -> value), as just read."""
        found = owners(self.model.read_tags())
        found.pop(self.owner.key, None)
        return found

    def before(self, verb: Verb) -> Permit:
        """Whether this holding may ``verb`` (START, STOP, or DONE: take a RUNNING version as done) now."""
        if verb is Verb.STOP and self.wants:  # a stop to start again with other units
            return Permit.GO
        found = owners(self.model.read_tags())
        mine = found.pop(self.owner.key, None)
        if mine is not None and request_of(mine) != self.request_id:
            logger.info("A later request of %s has taken over %s", self.owner.logical_id, self.model.label)
            self.superseded = True
            return Permit.YIELD
        if verb is Verb.STOP:
            if not self._marked:
                self.model.tag(self.owner.key, self.owner.value(self.request_id, stopping_until=self._mark_until))
                self._marked = True
                found = self.others()
            others = wanting(found)
            if others:
                logger.info("Leaving %s running for its %d other owner(s)", self.model.label, len(others))
                return Permit.YIELD
            return Permit.GO
        if mine is None:  # removed by hand: only the resource's next request restores it
            logger.info(
                "%s's owner tag on %s is gone; looking again before acting", self.owner.logical_id, self.model.label
            )
            return Permit.WAIT
        if stopping(found, self._clock()):
            logger.info("Another owner may be stopping %s; looking again before acting", self.model.label)
            return Permit.WAIT
        return Permit.GO

    def acted(self, verb: Verb) -> None:
        """After a start or stop is made: a start is recorded to be timed (start_times.py); a stop
        ends what ``before`` began (``stopped``)."""
        if verb is Verb.START:
            start_times.made(self.model, self._clock())
        else:
            self.stopped()

    def stopped(self) -> None:
        """The stop is made, or another owner keeps the version running: the ``stopping`` mark goes,
        and a releasing holding's tag with it."""
        if self.wants:
            return
        if self.releasing:
            self.release(last_owner=not self.others())
        elif self._marked:
            self.register(idle=True)
