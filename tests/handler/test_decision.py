"""The lifecycle table of docs/design.md, row by row: status x desired state -> action."""

from __future__ import annotations

import json

import botocore.session
import pytest

from running_model import decision as d
from running_model.decision import Action, Desired, Observation, Verb, decide

RUN_1 = Desired(running=True, min_units=1)
RUN_2_TO_4 = Desired(running=True, min_units=2, max_units=4)
STOP = d.STOPPED_STATE


def running(min_units: int, max_units: int | None = None) -> Observation:
    return Observation(d.RUNNING, min_units, max_units)


# (observed status, desired RUNNING on first look, on a poll, desired STOPPED)
TABLE = [
    (None, Verb.FAIL, Verb.FAIL, Verb.DONE),
    (d.TRAINING_IN_PROGRESS, Verb.WAIT, Verb.WAIT, Verb.DONE),
    (d.COPYING_IN_PROGRESS, Verb.WAIT, Verb.WAIT, Verb.DONE),
    (d.TRAINING_COMPLETED, Verb.START, Verb.START, Verb.DONE),
    (d.COPYING_COMPLETED, Verb.START, Verb.START, Verb.DONE),
    (d.STOPPED, Verb.START, Verb.START, Verb.DONE),
    (d.STARTING, Verb.WAIT, Verb.WAIT, Verb.STOP),  # a stop Rekognition refuses is tried again
    (d.STOPPING, Verb.WAIT, Verb.WAIT, Verb.WAIT),
    (d.FAILED, Verb.START, Verb.FAIL, Verb.DONE),
    (d.TRAINING_FAILED, Verb.FAIL, Verb.FAIL, Verb.DONE),
    (d.COPYING_FAILED, Verb.FAIL, Verb.FAIL, Verb.DONE),
    (d.DEPRECATED, Verb.FAIL, Verb.FAIL, Verb.DONE),
    (d.EXPIRED, Verb.FAIL, Verb.FAIL, Verb.DONE),
    (d.DELETING, Verb.FAIL, Verb.FAIL, Verb.DONE),
]


def test_the_table_and_the_handler_know_every_status_of_the_api() -> None:
    api = botocore.session.get_session().get_service_model("rekognition").shape_for("ProjectVersionStatus")
    assert set(d.ALL_STATUSES) == set(api.enum)
    assert {row[0] for row in TABLE} | {d.RUNNING} == set(api.enum) | {None}


@pytest.mark.parametrize("status, first_look, poll, stopped", TABLE)
def test_status_other_than_running(status: str | None, first_look: Verb, poll: Verb, stopped: Verb) -> None:
    observed = Observation(status, message="Insufficient capacity" if status == d.FAILED else "")
    assert decide(observed, RUN_2_TO_4, first_look=True).verb is first_look
    assert decide(observed, RUN_2_TO_4, first_look=False).verb is poll
    assert decide(observed, STOP, first_look=True).verb is stopped
    assert decide(observed, STOP, first_look=False).verb is stopped


@pytest.mark.parametrize("first_look", [True, False])
def test_running_with_the_same_units_is_done(first_look: bool) -> None:
    assert decide(running(2, 4), RUN_2_TO_4, first_look=first_look) == Action(Verb.DONE)


@pytest.mark.parametrize("observed", [running(1, 4), running(2, 3), running(2), running(3, 4)])
@pytest.mark.parametrize("first_look", [True, False])
def test_running_with_other_units_is_stopped_to_restart(observed: Observation, first_look: bool) -> None:
    assert decide(observed, RUN_2_TO_4, first_look=first_look).verb is Verb.STOP


def test_units_read_apart_compare_by_value_however_many() -> None:
    """Units from the stack's properties and from the API's JSON are separate int objects."""
    observed = Observation(d.RUNNING, *json.loads("[300, 400]"))
    wanted = Desired(running=True, min_units=int("300"), max_units=int("400"))
    assert decide(observed, wanted, first_look=False) == Action(Verb.DONE)


@pytest.mark.parametrize("observed", [running(1), running(1, 1)])
def test_no_maximum_means_maximum_equals_minimum(observed: Observation) -> None:
    assert decide(observed, RUN_1, first_look=True).verb is Verb.DONE
    assert decide(observed, Desired(running=True, min_units=1, max_units=1), first_look=True).verb is Verb.DONE


@pytest.mark.parametrize("observed", [running(1), running(2, 4)])
def test_running_is_stopped_when_stopped_is_wanted(observed: Observation) -> None:
    assert decide(observed, STOP, first_look=True).verb is Verb.STOP


def test_a_failed_start_says_why() -> None:
    action = decide(Observation(d.FAILED, message="Insufficient capacity"), RUN_1, first_look=False)
    assert action.verb is Verb.FAIL
    assert "Insufficient capacity" in action.reason


@pytest.mark.parametrize(
    "status, words",
    [
        (d.TRAINING_FAILED, "training failed"),
        (d.EXPIRED, "expired"),
        (d.DEPRECATED, "deprecated"),
        (d.DELETING, "deleted"),
    ],
)
def test_an_unusable_model_says_why(status: str, words: str) -> None:
    action = decide(Observation(status), RUN_1, first_look=True)
    assert action.verb is Verb.FAIL and words in action.reason


def test_a_missing_model_says_where_to_look() -> None:
    assert "not found" in decide(Observation(None), RUN_1, first_look=True).reason


def test_an_unknown_future_status_fails_when_running_is_wanted_and_is_done_when_stopped_is() -> None:
    observed = Observation("HIBERNATING")
    assert decide(observed, RUN_1, first_look=True).verb is Verb.FAIL
    assert decide(observed, STOP, first_look=True).verb is Verb.DONE


def test_an_unusable_model_says_why_in_rekognitions_words_too() -> None:
    action = decide(Observation(d.TRAINING_FAILED, message="The manifest file is empty"), RUN_1, first_look=True)
    assert action.reason == "cannot run: its training failed (The manifest file is empty)"


def test_running_with_the_desired_minimum_but_a_higher_maximum_is_stopped_to_restart() -> None:
    assert decide(running(1, 3), Desired(running=True, min_units=1, max_units=2), first_look=True).verb is Verb.STOP


def test_statuses_as_parsed_from_the_apis_json_are_compared_by_value() -> None:
    """botocore parses each status anew: a string equal to the constant, never the same object."""

    def parsed(status: str) -> str:
        found = json.loads(json.dumps({"Status": status}))["Status"]
        assert found == status and found is not status
        return str(found)

    assert decide(Observation(parsed(d.RUNNING), 1, 1), RUN_1, first_look=False).verb is Verb.DONE
    assert decide(Observation(parsed(d.RUNNING), 1, 1), STOP, first_look=False).verb is Verb.STOP
    failed = decide(Observation(parsed(d.FAILED), message="capacity"), RUN_1, first_look=False)
    assert failed.reason == "failed to start: capacity"
