"""How often a request looks at a model it waits for (cadence.py), and the loop that keeps to it
(reconcile.py), on a virtual clock with a scripted model."""

from __future__ import annotations

import pytest
from test_reconcile import Clock, ScriptedModel

from running_model.cadence import DENSE_FROM, LONGEST_START_SECONDS, PRIOR_START_SECONDS, Cadence, Pace
from running_model.decision import Desired, Observation
from running_model.reconcile import Outcome, Reconciler, Result, Window
from running_model.rekognition import RekognitionError

STEP, LIMIT = 10.0, 300.0
RUN = Desired(running=True, min_units=1)
STARTING = Observation("STARTING", 1, 1)
RUNNING = Observation("RUNNING", 1, 1)
THROTTLED = RekognitionError("DescribeProjectVersions", "ThrottlingException", "Rate exceeded.", transient=True)


def looks(cadence: Cadence, until: float) -> list[float]:
    """The moments the cadence has due from its start to ``until``, kept a step apart as the loop keeps them."""
    found, moment = [], cadence.since
    while moment < until:
        moment = cadence.next_look(moment + (STEP if found and moment >= (cadence.dense_from or moment + 1) else 1e-6))
        found.append(moment)
    return found


def test_a_start_with_history_is_looked_at_densely_from_a_share_of_its_shortest_recent_start() -> None:
    cadence = Cadence.for_start(1000.0, [900, 700, 1100], step=STEP, limit=LIMIT)
    assert cadence.dense_from == 1000.0 + DENSE_FROM * 700
    moments = looks(cadence, 1000.0 + 1200)
    sparse = [m for m in moments if m < cadence.dense_from]
    assert 3 <= len(sparse) <= 10, sparse
    gaps = [b - a for a, b in zip([1000.0, *sparse], sparse, strict=False)]
    assert max(gaps) <= LIMIT and gaps == sorted(gaps, reverse=True), gaps
    dense = [m for m in moments if m >= cadence.dense_from]
    assert dense[0] == cadence.dense_from and all(b - a == STEP for a, b in zip(dense, dense[1:], strict=False))


def test_a_first_start_goes_dense_at_the_documented_prior() -> None:
    cadence = Cadence.for_start(0.0, [], step=STEP, limit=LIMIT)
    assert cadence.dense_from == DENSE_FROM * PRIOR_START_SECONDS


@pytest.mark.parametrize("finished", [60.0, 300.0, 600.0, 700.0, 799.0, 809.0])
def test_a_start_shorter_than_every_recent_one_is_seen_sooner_than_it_was_early(finished: float) -> None:
    """Each sparse look comes after half the time left: a start that ends x seconds before the dense
    phase is seen less than x seconds after it ends (and never more than the limit)."""
    cadence = Cadence.for_start(0.0, [900.0], step=STEP, limit=LIMIT)
    seen = cadence.next_look(finished)
    early = cadence.dense_from - finished  # type: ignore[operator]
    assert finished <= seen and seen - finished <= min(max(early, STEP), LIMIT)


def test_a_wait_nobody_timed_is_looked_at_every_step_at_first_then_ever_more_rarely_up_to_the_limit() -> None:
    cadence = Cadence.for_wait(0.0, step=STEP, limit=LIMIT)
    moments = looks(cadence, 4 * 3600)
    gaps = [b - a for a, b in zip([0.0, *moments], moments, strict=False)]
    assert gaps[:3] == [STEP] * 3
    assert gaps == sorted(gaps) and max(gaps) == pytest.approx(LIMIT)
    assert len(moments) < 4 * 3600 / LIMIT + 30


def test_a_limit_of_one_step_looks_at_every_moment() -> None:
    cadence = Cadence.for_start(0.0, [900.0], step=STEP, limit=STEP)
    assert not cadence.sparse and cadence.next_look(123.4) == 123.4


@pytest.mark.parametrize(
    "cadence", [Cadence.for_start(0, [900], step=STEP, limit=LIMIT), Cadence.for_wait(0, step=STEP, limit=LIMIT)]
)
def test_the_look_before_a_moment_is_the_one_the_cadence_had_due(cadence: Cadence) -> None:
    moments = looks(cadence, 3000)
    for earlier, later in zip(moments, moments[1:], strict=False):
        assert cadence.previous_look(later) == pytest.approx(earlier), (earlier, later)


def test_a_pace_times_the_start_it_saw_starting_by_its_own_looks() -> None:
    pace = Pace(Cadence.for_start(0, [900], step=STEP, limit=LIMIT), [900], made=0, looked_before=True)
    pace.looked(805.0, "STARTING")
    pace.looked(815.0, "RUNNING")
    assert pace.timed_start() == ((0, 805.0), 815.0)


def test_a_pace_times_a_start_first_seen_running_by_the_look_the_cadence_had_due_before() -> None:
    cadence = Cadence.for_start(0, [900], step=STEP, limit=LIMIT)
    pace = Pace(cadence, [900], made=0, looked_before=True)
    pace.looked(900.0, "RUNNING")
    assert pace.timed_start() == ((0, 890.0), 900.0)


@pytest.mark.parametrize(
    ("looked_before", "made"),
    [(False, 0.0), (True, -LONGEST_START_SECONDS)],
    ids=["the request's first look", "a record older than any start"],
)
def test_a_pace_does_not_time_a_start_it_cannot_know_the_end_of(looked_before: bool, made: float) -> None:
    pace = Pace(Cadence.for_start(made, [900], step=STEP, limit=LIMIT), [900], made=made, looked_before=looked_before)
    pace.looked(900.0, "RUNNING")
    assert pace.timed_start() is None


def test_a_pace_renews_at_the_start_its_run_makes() -> None:
    pace = Pace(Cadence.for_wait(0, step=STEP, limit=LIMIT), [600], looked_before=False)
    pace.started(500.0)
    assert pace.made == 500.0 and pace.cadence.dense_from == 500.0 + DENSE_FROM * 600


class TimedModel(ScriptedModel):
    """A scripted model that notes the moment of every look."""

    def __init__(self, clock: Clock, *script: Observation | RekognitionError) -> None:
        super().__init__(*script)
        self.clock = clock
        self.look_times: list[float] = []

    def observe(self) -> Observation:
        self.look_times.append(self.clock.now)
        return super().observe()


def reconcile(
    model: TimedModel, pace: Pace | None, *, first_look: bool, window: float = 50, deadline: float = 3600
) -> Outcome:
    clock = model.clock
    reconciler = Reconciler(model, RUN, step_seconds=STEP, quiet_seconds=30, clock=clock, sleep=clock.sleep)
    outcome = reconciler.run(Window(window, clock.now + deadline), first_look=first_look, pace=pace)
    return outcome


def test_a_poll_with_no_look_due_in_its_window_looks_at_nothing() -> None:
    model = TimedModel(Clock(), STARTING)
    now = model.clock.now
    pace = Pace(Cadence.for_start(now - 60, [900], step=STEP, limit=LIMIT), [900], made=now - 60, looked_before=True)
    outcome = reconcile(model, pace, first_look=False)
    assert outcome.result is Result.PENDING and model.looks == 0 and model.clock.now == now


def test_a_poll_looks_at_the_beat_its_cadence_has_due() -> None:
    model = TimedModel(Clock(), STARTING)
    now = model.clock.now
    cadence = Cadence.for_start(now - 530, [900], step=STEP, limit=LIMIT)
    due = cadence.next_look(now)
    assert now < due < now + 40
    outcome = reconcile(model, Pace(cadence, [900], made=now - 530, looked_before=True), first_look=False)
    assert outcome.result is Result.PENDING and model.looks == 1
    assert model.look_times == [now + STEP * -(-(due - now) // STEP)]


def test_the_dense_phase_answers_within_one_look_of_running() -> None:
    model = TimedModel(Clock(), STARTING, STARTING, RUNNING)
    now = model.clock.now
    pace = Pace(Cadence.for_start(now - 900, [900], step=STEP, limit=LIMIT), [900], made=now - 900, looked_before=True)
    outcome = reconcile(model, pace, first_look=False)
    assert outcome.result is Result.DONE and model.look_times == [now, now + STEP, now + 2 * STEP]


def test_a_run_that_starts_the_model_stops_looking_until_its_start_can_have_ended() -> None:
    model = TimedModel(Clock(), Observation("STOPPED"), STARTING)
    pace = Pace(Cadence.for_wait(model.clock.now, step=STEP, limit=LIMIT), [900], looked_before=False)
    outcome = reconcile(model, pace, first_look=True)
    assert outcome.result is Result.PENDING and model.started == [(1, None)]
    assert model.looks == 1, "without a pace the run looks three times more in the window, after its 30 s quiet"


def test_without_a_pace_the_run_looks_every_step() -> None:
    model = TimedModel(Clock(), Observation("STOPPED"), STARTING)
    outcome = reconcile(model, None, first_look=True)
    assert outcome.result is Result.PENDING and model.looks == 4


def test_throttled_looks_back_off_doubling_and_catch_up_when_it_clears() -> None:
    model = TimedModel(Clock(), THROTTLED, THROTTLED, THROTTLED, STARTING, STARTING)
    now = model.clock.now
    pace = Pace(Cadence.for_start(now - 900, [900], step=STEP, limit=LIMIT), [900], made=now - 900, looked_before=True)
    outcome = reconcile(model, pace, first_look=False, window=200)
    offsets = [t - now for t in model.look_times]
    assert offsets[:5] == [0, 10, 30, 70, 80], offsets
    assert outcome.result is Result.PENDING


def test_a_look_due_after_the_deadline_is_made_at_the_deadline() -> None:
    model = TimedModel(Clock(), STARTING)
    now = model.clock.now
    made = now - 100
    pace = Pace(Cadence.for_start(made, [3000], step=STEP, limit=LIMIT), [3000], made=made, looked_before=True)
    outcome = reconcile(model, pace, first_look=False, deadline=25)
    assert outcome.result is Result.FAILED and "still STARTING" in outcome.reason
    assert model.look_times == [now + 30]


def test_a_pace_times_the_start_its_own_run_made_even_on_the_requests_first_look() -> None:
    pace = Pace(Cadence.for_wait(0, step=STEP, limit=LIMIT), [], looked_before=False)
    pace.started(100.0)
    pace.looked(400.0, "RUNNING")
    assert pace.timed_start() == ((100.0, pace.cadence.previous_look(400.0)), 400.0)
    assert 100.0 < pace.cadence.previous_look(400.0) < 400.0
