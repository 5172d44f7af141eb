"""Reasons as CloudFormation shows them (reasons.py): one line, within its limit, cut at the end."""

from __future__ import annotations

from running_model.reasons import REASON_LIMIT, quote, shorten


def test_cloudformations_reason_limit_is_256_characters() -> None:
    assert REASON_LIMIT == 256
    assert shorten("x" * 256) == "x" * 256
    assert len(shorten("x" * 257)) == 256


def test_a_reason_that_fits_its_limit_exactly_is_kept_whole() -> None:
    assert shorten("abcde", limit=5) == "abcde"


def test_a_long_reason_keeps_its_beginning_and_ends_in_an_ellipsis_at_the_limit() -> None:
    assert shorten("StartProjectVersion failed: throttled", limit=20) == "StartProjectVersion…"


def test_a_cut_after_a_space_leaves_no_space_before_the_ellipsis() -> None:
    assert shorten("abc def", limit=5) == "abc…"


def test_a_reason_is_put_on_one_line_with_single_spaces() -> None:
    assert shorten("  the model\n\tfailed:   out of capacity \n") == "the model failed: out of capacity"


def test_a_reason_of_any_object_is_its_text() -> None:
    assert shorten(ValueError("bad value")) == "bad value"


def test_a_quoted_value_of_60_characters_is_kept_whole() -> None:
    value = "v" * 58  # repr adds the two quotes
    assert quote(value) == repr(value)


def test_a_long_quoted_value_is_cut_to_60_characters_keeping_its_start_and_last_three() -> None:
    value = "0123456789" * 10
    assert quote(value) == repr(value)[:56] + "…" + "89'"


def test_a_quoted_value_is_cut_to_the_limit_it_is_given() -> None:
    assert quote("0123456789" * 10, limit=10) == "'01234…89'"
